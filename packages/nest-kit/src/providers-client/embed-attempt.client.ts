import { createInbox, type Msg, type Subscription } from '@nats-io/transport-node';
import { providerEmbedFrameSchema, subjects, type ProviderEmbedRequest, type RerankScoreFrame } from '@switchyard/contracts';
import type { UpstreamError, Usage } from '@switchyard/llm-spec';
import { decodeJson, encodeJson } from '../nats/nats-json.js';
import type { CancelSignal } from './cancel-signal.js';
import type { NatsService } from '../nats/nats.service.js';

/** One embedding as the client asked for it (numbers, or base64 of float32). */
export type Embedding = number[] | string;

export type EmbedOutcome =
  | {
      ok: true;
      /** One per input of an embeddings call; none for a rerank call. */
      embeddings: Embedding[];
      /** A rerank call's scores, best first, each index a document of the call; none for an embeddings call. */
      results: RerankScoreFrame[];
      usage: Usage;
      upstreamId: string | null;
      upstreamModel: string | null;
      upstreamMs: number;
      upstreamStatus: number;
    }
  | { ok: false; error: UpstreamError; upstreamMs: number };

/** Room left in a NATS message for the headers (trace context) besides the JSON payload. */
const PAYLOAD_HEADROOM_BYTES = 4 * 1024;

/** The liveness failure: a providers replica that went silent (no frame, no heartbeat). */
export const NO_REPLICA_MESSAGE = 'No providers replica answered the embeddings call in time';

/**
 * The caller side of `sy.providers.embed.v1` (embeddings and rerank calls): subscribes a unique inbox, publishes the
 * call with the inbox as reply subject (trace context in the headers), reassembles the `items` frames and resolves
 * on `done` (with a rerank's scores) or `failed`.
 * A replica that sends nothing (no frame and no heartbeat) for `livenessMs` fails the call as retryable, as does
 * NATS reporting no responders; aborting the signal sends the shared cancel broadcast so the replica aborts its
 * upstream call. Never rejects.
 */
export class EmbedAttemptClient {
  constructor(
    private readonly nats: NatsService,
    private readonly livenessMs: number,
  ) {}

  run(request: ProviderEmbedRequest, signal?: CancelSignal): Promise<EmbedOutcome> {
    const started = performance.now();
    const call = request.request;
    const documents = call.operation === 'rerank' ? call.documents.length : undefined;
    const expected = call.operation === 'rerank' ? 0 : call.input.length;
    const what = call.operation === 'rerank' ? 'documents' : 'inputs';
    return new Promise<EmbedOutcome>((resolve) => {
      const embeddings: Array<Embedding | undefined> = Array.from({ length: expected });
      let continued: number | undefined;
      let settled = false;
      let subscription: Subscription | undefined;
      let livenessTimer: NodeJS.Timeout | undefined;
      const elapsed = () => performance.now() - started;
      const finish = (outcome: EmbedOutcome) => {
        if (settled) return;
        settled = true;
        if (livenessTimer) clearTimeout(livenessTimer);
        signal?.removeEventListener('abort', onAbort);
        subscription?.unsubscribe();
        resolve(outcome);
      };
      const fail = (error: UpstreamError) => finish({ ok: false, error, upstreamMs: elapsed() });
      const unavailable = (message: string) => fail({ status: 502, errorType: 'provider_unavailable', retryable: true, message, phase: 'connect' });
      const armLiveness = () => {
        if (livenessTimer) clearTimeout(livenessTimer);
        livenessTimer = setTimeout(() => {
          this.cancel(request.attemptId, 'liveness');
          unavailable(NO_REPLICA_MESSAGE);
        }, this.livenessMs);
      };
      const onAbort = () => {
        this.cancel(request.attemptId, 'client-cancelled');
        fail({ status: 499, errorType: 'unmapped', retryable: false, message: 'The client cancelled the request', phase: 'cancelled' });
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });

      const onMessage = (message: Msg) => {
        if (message.headers?.hasError && message.headers.code === 503) {
          unavailable('No providers replica is taking embeddings calls');
          return;
        }
        let raw: unknown;
        try {
          raw = decodeJson(message.data);
        } catch {
          return;
        }
        armLiveness();
        const kind = (raw as { k?: unknown })?.k;
        if (kind === 'heartbeat') return;
        if (kind === 'items') {
          const problem = this.addItems(raw, embeddings, continued, (open) => (continued = open));
          if (problem) unavailable(`providers sent a malformed embeddings frame: ${problem}`);
          return;
        }
        const frame = providerEmbedFrameSchema.safeParse(raw);
        if (!frame.success) {
          unavailable(`providers sent a malformed embeddings frame: ${frame.error.issues[0]?.message ?? 'invalid'}`);
          return;
        }
        const value = frame.data;
        if (value.k === 'failed') {
          finish({ ok: false, error: value.error, upstreamMs: value.upstreamMs });
          return;
        }
        if (value.k !== 'done') return;
        const missing = embeddings.findIndex((embedding) => embedding === undefined);
        if (value.count !== expected || missing !== -1 || continued !== undefined) {
          unavailable(`providers answered ${value.count} embeddings for ${expected} inputs${missing === -1 ? '' : ` (embedding ${missing} missing)`}`);
          return;
        }
        const results = value.results ?? [];
        if (documents !== undefined) {
          const problem = rerankProblem(results, documents);
          if (problem) {
            unavailable(`providers answered a malformed rerank: ${problem}`);
            return;
          }
        }
        finish({ ok: true, embeddings: embeddings as Embedding[], results, usage: value.usage, upstreamId: value.upstreamId, upstreamModel: value.upstreamModel, upstreamMs: value.upstreamMs, upstreamStatus: value.upstreamStatus });
      };

      try {
        const inbox = createInbox();
        subscription = this.nats.connection.subscribe(inbox, {
          callback: (error, message) => {
            if (settled) return;
            if (error) {
              unavailable(`the embeddings call could not be received: ${error.message}`);
              return;
            }
            onMessage(message);
          },
        });
        const payload = encodeJson(request);
        if (Buffer.byteLength(payload) + PAYLOAD_HEADROOM_BYTES > this.nats.maxPayload) {
          // The same for every provider: not a reason to fail over, and the client's to fix.
          fail({
            status: 413,
            errorType: 'payload_too_large',
            retryable: false,
            phase: 'connect',
            message: `The ${what} are too large for one request (${Buffer.byteLength(payload)} bytes; the limit is about ${this.nats.maxPayload - PAYLOAD_HEADROOM_BYTES}): send fewer or shorter ${what} per request`,
          });
          return;
        }
        armLiveness();
        this.nats.connection.publish(subjects.providers.embed, payload, { reply: inbox, headers: this.nats.traceHeaders() });
      } catch (error) {
        unavailable(`The embeddings call could not be sent to providers: ${(error as Error).message}`);
      }
    });
  }

  /** Tells every providers replica to abort the call (the one running it does). */
  cancel(attemptId: string, reason: string): void {
    try {
      this.nats.connection.publish(subjects.providers.cancel, encodeJson({ attemptId, reason }));
    } catch {
      // NATS down: the replica's own timeout ends the upstream call.
    }
  }

  /**
   * Adds one `items` frame: each item a whole embedding, or a piece continuing the previous item of the same index
   * (after `more: true`). Returns what is wrong with the frame, if anything (checked structurally: the numbers
   * themselves come from providers' adapter, which already checked them).
   */
  private addItems(raw: unknown, embeddings: Array<Embedding | undefined>, continued: number | undefined, setContinued: (index: number | undefined) => void): string | undefined {
    const items = (raw as { items?: unknown }).items;
    if (!Array.isArray(items)) return 'items is not a list';
    let open = continued;
    for (const item of items as Array<{ index?: unknown; embedding?: unknown; more?: unknown }>) {
      const index = item?.index;
      const piece = item?.embedding;
      if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= embeddings.length) return `embedding index ${String(index)} is out of range`;
      if (typeof piece !== 'string' && !Array.isArray(piece)) return `embedding ${index} is neither numbers nor base64`;
      const existing = embeddings[index];
      if (open === index && existing !== undefined) {
        if (typeof existing === 'string' && typeof piece === 'string') embeddings[index] = existing + piece;
        else if (Array.isArray(existing) && Array.isArray(piece)) for (const value of piece as number[]) existing.push(value);
        else return `embedding ${index} mixes numbers and base64`;
      } else {
        if (open !== undefined) return `embedding ${open} was left unfinished`;
        if (existing !== undefined) return `embedding ${index} was sent twice`;
        embeddings[index] = piece as Embedding;
      }
      open = item.more === true ? index : undefined;
    }
    setContinued(open);
    return undefined;
  }
}

/** What is wrong with a rerank's scores for `documents` documents, if anything: an index out of range or repeated. */
function rerankProblem(results: readonly RerankScoreFrame[], documents: number): string | undefined {
  const seen = new Set<number>();
  for (const result of results) {
    if (result.index >= documents) return `document index ${result.index} is out of range (${documents} documents)`;
    if (seen.has(result.index)) return `document ${result.index} is scored twice`;
    seen.add(result.index);
  }
  return undefined;
}
