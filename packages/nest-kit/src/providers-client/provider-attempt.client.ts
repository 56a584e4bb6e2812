import { createInbox, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { subjects, type AttemptEnd, type ProviderChatRequest, type ProviderFrame } from '@switchyard/contracts';
import type { StreamPart, UpstreamError } from '@switchyard/llm-spec';
import type { NatsService } from '../nats/nats.service.js';
import { decodeJson, encodeJson } from '../nats/nats-json.js';
import type { CancelSignal } from './cancel-signal.js';

export type AttemptOutcome =
  | { ok: true; end: AttemptEnd }
  | { ok: false; error: UpstreamError; contentSent: boolean; upstreamMs: number; ttftMs: number | null };

export interface AttemptCallbacks {
  /** Canonical parts as they arrive, in order. */
  onParts(parts: StreamPart[]): void;
}

export interface ProviderAttemptClientOptions {
  /** A providers replica that sends nothing (no parts, no heartbeat) for this long is presumed dead, ms. */
  livenessMs?: number;
}

/**
 * The caller side of `sy.providers.chat.v1` (the hot path, see ARCHITECTURE.md "NATS"): subscribes a unique inbox,
 * publishes the attempt with the inbox as reply subject and the trace context in headers, then relays frames.
 * Liveness: a replica that goes silent (no parts and no heartbeat) for `livenessMs` fails the attempt as
 * retryable, so a dead providers replica costs a retry, never a hung client. Aborting the signal sends the
 * broadcast cancel so the replica aborts its upstream call.
 */
type ReplyHandler = (error: Error | null, message: Msg | undefined) => void;

interface ReplyMux {
  connection: NatsConnection;
  prefix: string;
  handlers: Map<string, ReplyHandler>;
  subscription: Subscription;
}

export class ProviderAttemptClient {
  private replies: ReplyMux | undefined;
  private nextToken = 0;

  private readonly livenessMs: number;

  constructor(
    private readonly nats: NatsService,
    options: ProviderAttemptClientOptions = {},
  ) {
    this.livenessMs = options.livenessMs ?? 3_500;
  }

  /**
   * Never rejects: every way an attempt can end, including NATS being unavailable to this caller, is an outcome
   * (a connection that cannot subscribe or publish is a retryable `provider_unavailable`, so the caller moves on
   * or answers with the attempt in `previous_errors`).
   */
  run(request: ProviderChatRequest, callbacks: AttemptCallbacks, signal?: CancelSignal): Promise<AttemptOutcome> {
    const started = performance.now();
    return new Promise<AttemptOutcome>((resolve) => {
      let settled = false;
      let contentSent = false;
      let replyToken: string | undefined;
      let livenessTimer: NodeJS.Timeout | undefined;
      const finish = (outcome: AttemptOutcome) => {
        if (settled) return;
        settled = true;
        if (livenessTimer) clearTimeout(livenessTimer);
        signal?.removeEventListener('abort', onAbort);
        if (replyToken !== undefined) this.replies?.handlers.delete(replyToken);
        resolve(outcome);
      };
      const elapsed = () => performance.now() - started;
      const armLiveness = () => {
        // Every frame re-arms the same timer (refresh() moves it; no clear and new timer per frame).
        if (livenessTimer) {
          livenessTimer.refresh();
          return;
        }
        livenessTimer = setTimeout(() => {
          this.cancel(request.attemptId, 'liveness');
          finish({
            ok: false,
            contentSent,
            upstreamMs: elapsed(),
            ttftMs: null,
            error: { status: 502, errorType: 'provider_unavailable', retryable: !contentSent, message: 'No providers replica answered the attempt in time', phase: 'connect' },
          });
        }, this.livenessMs);
      };
      const onAbort = () => {
        this.cancel(request.attemptId, 'client-cancelled');
        finish({
          ok: false,
          contentSent,
          upstreamMs: elapsed(),
          ttftMs: null,
          error: { status: 499, errorType: 'unmapped', retryable: false, message: 'The client cancelled the request', phase: 'cancelled' },
        });
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });

      const unavailable = (error: unknown) =>
        finish({
          ok: false,
          contentSent: false,
          upstreamMs: elapsed(),
          ttftMs: null,
          error: { status: 502, errorType: 'provider_unavailable', retryable: true, message: `The attempt could not be sent to providers: ${(error as Error).message}`, phase: 'connect' },
        });
      let nc: NatsConnection;
      try {
        nc = this.nats.connection;
      } catch (error) {
        unavailable(error);
        return;
      }
      try {
        const replies = this.replySubscription(nc);
        replyToken = String((this.nextToken += 1));
        const inbox = `${replies.prefix}.${replyToken}`;
        replies.handlers.set(replyToken, (error, message) => {
            if (settled) return;
            if (error || !message) {
              finish({ ok: false, contentSent, upstreamMs: elapsed(), ttftMs: null, error: { status: 502, errorType: 'provider_unavailable', retryable: !contentSent, message: error?.message ?? 'reply subscription closed', phase: 'connect' } });
              return;
            }
            let frame: ProviderFrame;
            try {
              frame = decodeJson(message.data) as ProviderFrame;
            } catch {
              return;
            }
            armLiveness();
            switch (frame.k) {
              case 'heartbeat':
                return;
              case 'parts':
                if (frame.parts.length > 0) {
                  if (!contentSent) contentSent = frame.parts.some((part) => part.type !== 'response-metadata' && part.type !== 'usage' && part.type !== 'finish');
                  callbacks.onParts(frame.parts);
                }
                if (frame.end) finish({ ok: true, end: frame.end });
                return;
              case 'failed':
                finish({ ok: false, error: frame.error, contentSent: frame.contentSent || contentSent, upstreamMs: frame.upstreamMs, ttftMs: frame.ttftMs ?? null });
                return;
            }
        });
        armLiveness();
        nc.publish(subjects.providers.chat, encodeJson(request), { reply: inbox, headers: this.nats.traceHeaders() });
      } catch (error) {
        unavailable(error);
      }
    });
  }

  /**
   * One wildcard reply subscription for every attempt of this client (`<inbox>.<token>`), instead of a SUB and an
   * UNSUB per request: fewer protocol operations for the client and nats-server on the hot path.
   */
  private replySubscription(nc: NatsConnection): ReplyMux {
    if (this.replies && this.replies.connection === nc && !this.replies.subscription.isClosed()) return this.replies;
    const prefix = createInbox();
    const handlers = new Map<string, ReplyHandler>();
    const subscription = nc.subscribe(`${prefix}.*`, {
      callback: (error, message) => {
        if (error) {
          for (const handler of [...handlers.values()]) handler(error, undefined);
          return;
        }
        handlers.get(message.subject.slice(prefix.length + 1))?.(null, message);
      },
    });
    this.replies = { connection: nc, prefix, handlers, subscription };
    return this.replies;
  }

  /** Tells every providers replica to abort the attempt (the one running it does). */
  cancel(attemptId: string, reason: string): void {
    try {
      this.nats.connection.publish(subjects.providers.cancel, encodeJson({ attemptId, reason }));
    } catch {
      // NATS down: the replica's own timeouts end the upstream call.
    }
  }
}
