import { AdapterRequestError, getEmbeddingsAdapter, getRerankAdapter, type AdapterContext, type RerankScore, type UpstreamHttpRequest } from '@switchyard/adapters';
import type { ParsedProviderEmbedRequest, ProviderEmbedFrame } from '@switchyard/contracts';
import type { UpstreamError, Usage } from '@switchyard/llm-spec';
import { otelContext, SpanKind, SpanStatusCode, tracer, type Span } from '@switchyard/nest-kit';
import type { Dispatcher } from 'undici';
import type { ResolvedProvider } from '../catalog/resolved-provider.js';
import type { KeyResolution } from '../credentials/credential-store.js';
import { cancelledError, classifyTransportError, flattenHeaders, responseTooLargeError, shutdownError, timeoutError } from '../upstream/upstream-failure.js';
import { checkUpstreamUrl } from '../upstream/upstream-target.js';
import { genAiResponseAttributes, genAiUnaryRequestAttributes } from '../attempts/gen-ai-attributes.js';
import { encodeEmbedItems } from './embed-frame-encoder.js';

/** Error bodies are read up to this many bytes (adapters keep 2 KB of it as `raw`). */
const ERROR_BODY_LIMIT_BYTES = 8 * 1024;

export const EMBED_HEARTBEAT_FRAME = '{"k":"heartbeat"}';

/** What an embeddings call needs from the service around it: in memory, no I/O but the upstream call. */
export interface EmbedDependencies {
  /** Publishes one encoded frame to the caller's inbox; throws when NATS cannot take it. */
  publishFrame(subject: string, frame: string): void;
  resolveProvider(slug: string): ResolvedProvider | undefined;
  resolveKey(slug: string, options: { byok: boolean; accountId: string; simulator: boolean }): KeyResolution;
  /** The keep-alive pool of an (allowed) upstream origin. */
  dispatcher(origin: string): Dispatcher;
  maxFrameBytes: number;
  maxResponseBytes: number;
  onWarning?(message: string): void;
}

/** What a call's upstream answered, ready to send: the `items` frames (embeddings) and the `done` frame's payload. */
interface UnaryAnswer {
  ok: true;
  usage: Usage;
  upstreamId: string | null;
  upstreamModel: string | null;
  /** Embeddings sent, one per input (0 for rerank). */
  count: number;
  /** Encoded `items` frames (embeddings) under the frame size limit. */
  itemFrames: Iterable<string>;
  /** A rerank call's scores, best first. */
  results?: RerankScore[];
}

/** One kind of unary upstream call (embeddings, rerank) through its provider's adapter: pure transforms, no I/O. */
interface UnaryOperation {
  /** For messages and the span: "embeddings" or "rerank". */
  readonly api: 'embeddings' | 'rerank';
  build(context: AdapterContext): { request: UpstreamHttpRequest; warnings: string[] };
  parse(body: string, maxFrameBytes: number): UnaryAnswer | { ok: false; error: UpstreamError };
  parseError(status: number, headers: Record<string, string>, body: string): UpstreamError;
}

/** The operation of a call on a provider's wire format; throws when the provider has no such API. */
function operationFor(call: ParsedProviderEmbedRequest['request'], provider: ResolvedProvider): UnaryOperation {
  if (call.operation === 'rerank') {
    const adapter = getRerankAdapter(provider.wireFormat, provider.preset);
    return {
      api: 'rerank',
      build: (context) => adapter.buildRequest(call, context),
      parse: (body) => {
        const parsed = adapter.parseResponse(body, call);
        if (!parsed.ok) return parsed;
        return { ok: true, usage: parsed.usage, upstreamId: parsed.upstreamId, upstreamModel: parsed.upstreamModel, count: 0, itemFrames: [], results: parsed.results };
      },
      parseError: (status, headers, body) => adapter.parseError(status, headers, body),
    };
  }
  const adapter = getEmbeddingsAdapter(provider.wireFormat, provider.preset);
  return {
    api: 'embeddings',
    build: (context) => adapter.buildRequest(call, context),
    parse: (body, maxFrameBytes) => {
      const parsed = adapter.parseResponse(body, call);
      if (!parsed.ok) return parsed;
      return { ok: true, usage: parsed.usage, upstreamId: parsed.upstreamId, upstreamModel: parsed.upstreamModel, count: parsed.embeddings.length, itemFrames: encodeEmbedItems(parsed.embeddings, maxFrameBytes) };
    },
    parseError: (status, headers, body) => adapter.parseError(status, headers, body),
  };
}

/** The API a unary call belongs to: "rerank", or "embeddings" (the operation an older ingress leaves out). */
export function unaryApiOf(call: ParsedProviderEmbedRequest['request']): 'embeddings' | 'rerank' {
  return call.operation === 'rerank' ? 'rerank' : 'embeddings';
}

/** How many inputs a call carries: the embeddings inputs, or the documents to rerank. */
export function embedInputCount(call: ParsedProviderEmbedRequest['request']): number {
  return call.operation === 'rerank' ? call.documents.length : call.input.length;
}

/** Why this service ended a call early. */
export type EmbedInterrupt = { kind: 'timeout'; phase: 'connect' | 'total'; limitMs: number } | { kind: 'cancelled'; reason: string } | { kind: 'shutdown' };

export type EmbedStage = 'resolving' | 'connecting' | 'waiting' | 'sending' | 'done';

/** How a call ended, for attempt-completed, attempt-usage and metrics. */
export interface EmbedResult {
  ok: boolean;
  /** The upstream's HTTP status when it answered, else the error's. */
  status: number;
  error: UpstreamError | null;
  /** Usage of a successful call (the provider's, or the adapter's estimate marked `estimated`). */
  usage: Usage | null;
  /** Request sent → last byte (or failure), ms; null when no upstream call was made. */
  upstreamMs: number | null;
  /** Request received → outcome, ms. */
  durationMs: number;
  interrupted: EmbedInterrupt['kind'] | null;
}

/**
 * One embeddings or rerank call against one upstream endpoint: resolve the provider, key and the operation's
 * adapter, call the upstream on its pinned origin, then send the embeddings to the caller's inbox as `items` frames
 * under the NATS payload limit and one `done` frame (a rerank's scores ride on `done`), or a single `failed` frame. Heartbeats go out while the upstream works, so
 * the caller can tell a slow upstream from a dead replica. Never throws.
 */
export class EmbedExecution {
  readonly receivedAt = performance.now();
  readonly receivedAtWall = Date.now();
  readonly controller = new AbortController();
  stage: EmbedStage = 'resolving';

  private terminal = false;
  private result: EmbedResult | undefined;
  private interruptCause: EmbedInterrupt | undefined;
  private upstreamStartedAt: number | undefined;
  private headersReceived = false;
  private callerGone = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private totalTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private span: Span | undefined;

  constructor(
    readonly request: ParsedProviderEmbedRequest,
    private readonly reply: string,
    private readonly dependencies: EmbedDependencies,
  ) {}

  get attemptId(): string {
    return this.request.attemptId;
  }

  /** "embeddings" or "rerank". */
  get api(): 'embeddings' | 'rerank' {
    return unaryApiOf(this.request.request);
  }

  async run(): Promise<EmbedResult> {
    this.heartbeat = setInterval(() => this.publish(EMBED_HEARTBEAT_FRAME), this.request.heartbeatMs);
    this.heartbeat.unref();
    this.totalTimer = setTimeout(() => this.interrupt({ kind: 'timeout', phase: 'total', limitMs: this.request.timeouts.totalMs }), this.request.timeouts.totalMs);
    this.totalTimer.unref();
    try {
      await this.execute();
    } catch (error) {
      this.fail({ status: 502, errorType: 'provider_unavailable', retryable: true, phase: this.headersReceived ? 'body' : 'connect', message: `The ${this.api} call failed inside the providers service: ${(error as Error)?.message ?? String(error)}` });
    } finally {
      this.stopTimers();
      this.stage = 'done';
      this.span?.end();
      this.span = undefined;
    }
    return this.result!;
  }

  /** Ends the call early (timeout, cancel, shutdown): the failure goes out at once, then the upstream is aborted. */
  interrupt(cause: EmbedInterrupt): void {
    if (!this.terminal) {
      this.interruptCause = cause;
      this.fail(interruptError(cause, this.headersReceived, this.api));
    }
    if (!this.controller.signal.aborted) this.controller.abort(cause);
  }

  private async execute(): Promise<void> {
    const { request } = this;
    const provider = this.dependencies.resolveProvider(request.endpoint.providerSlug);
    if (!provider) return this.fail(unavailable(`Unknown provider ${request.endpoint.providerSlug}: not in this replica's catalog`));
    if (!provider.active) return this.fail(unavailable(`Provider ${provider.slug} is disabled`));
    if (!provider.adapter || !provider.origin) return this.fail(unavailable(`Provider ${provider.slug} cannot be called: ${provider.problem ?? 'misconfigured'}`));
    let operation: UnaryOperation;
    try {
      operation = operationFor(request.request, provider);
    } catch (error) {
      // Not retryable on this provider, but another endpoint of the model may serve it.
      return this.fail(unavailable(`Provider ${provider.slug} serves no ${this.api}: ${(error as Error).message}`));
    }
    const key = this.dependencies.resolveKey(provider.slug, { byok: request.byok, accountId: request.accountId, simulator: provider.simulator });
    if (!key.ok) return this.fail(key.error);

    let upstream: UpstreamHttpRequest;
    try {
      const built = operation.build({ baseUrl: provider.baseUrl, upstreamModelId: request.endpoint.upstreamModelId, apiKey: key.apiKey, preset: provider.preset, apiVersion: provider.apiVersion });
      upstream = built.request;
      for (const warning of built.warnings) this.dependencies.onWarning?.(`${operation.api} ${request.attemptId} on ${provider.slug}: ${warning}`);
    } catch (error) {
      if (AdapterRequestError.isInstance(error)) return this.fail(error.toUpstreamError());
      return this.fail(unavailable(`Could not build the ${operation.api} request for provider ${provider.slug}: ${(error as Error).message}`));
    }
    const target = checkUpstreamUrl(upstream.url, provider.origin);
    if (!target.ok) {
      this.dependencies.onWarning?.(`refused an upstream call for provider ${provider.slug}: ${target.reason}`);
      return this.fail({ ...unavailable(`Refused to call the upstream of provider ${provider.slug}: ${target.reason}`), retryable: false });
    }
    if (this.terminal) return; // cancelled while resolving
    await this.callUpstream(provider, operation, upstream, target.origin, target.path);
  }

  private async callUpstream(provider: ResolvedProvider, operation: UnaryOperation, upstream: UpstreamHttpRequest, origin: string, path: string): Promise<void> {
    const { timeouts } = this.request;
    this.stage = 'connecting';
    this.upstreamStartedAt = performance.now();
    this.connectTimer = setTimeout(() => this.interrupt({ kind: 'timeout', phase: 'connect', limitMs: timeouts.connectMs }), timeouts.connectMs);
    this.connectTimer.unref();
    this.span = tracer().startSpan(
      `upstream ${provider.slug} POST`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': 'POST',
          'server.address': new URL(origin).hostname,
          'url.path': path.split('?')[0],
          'switchyard.provider': provider.slug,
          'switchyard.endpoint_id': this.request.endpoint.id,
          'switchyard.attempt_id': this.request.attemptId,
          'switchyard.api': operation.api,
          ...genAiUnaryRequestAttributes(provider.slug, this.request.endpoint.upstreamModelId, operation.api),
        },
      },
      otelContext.active(),
    );
    let response: Dispatcher.ResponseData;
    try {
      response = await this.dependencies.dispatcher(origin).request({
        path,
        method: 'POST',
        headers: upstream.headers,
        body: upstream.body,
        signal: this.controller.signal,
        // Backstops only: this call's own timers fire first and say which limit ran out.
        headersTimeout: timeouts.connectMs + 1_000,
        bodyTimeout: timeouts.totalMs + 1_000,
      });
    } catch (error) {
      return this.failFromTransport(error);
    }
    this.headersReceived = true;
    clearTimeout(this.connectTimer);
    this.span.setAttribute('http.response.status_code', response.statusCode);
    if (this.terminal) {
      response.body.destroy();
      return;
    }
    this.stage = 'waiting';
    if (response.statusCode < 200 || response.statusCode >= 300) {
      const body = await readUpTo(response.body, ERROR_BODY_LIMIT_BYTES).catch(() => '');
      if (this.terminal) return;
      return this.fail({ ...operation.parseError(response.statusCode, flattenHeaders(response.headers), body), phase: 'status' });
    }
    let text: string;
    try {
      text = await readAll(response.body, this.dependencies.maxResponseBytes);
    } catch (error) {
      if (this.terminal) return;
      if (error instanceof ResponseTooLargeError) {
        this.controller.abort();
        return this.fail(responseTooLargeError(this.dependencies.maxResponseBytes));
      }
      return this.failFromTransport(error);
    }
    if (this.terminal) return;
    const parsed = operation.parse(text, this.dependencies.maxFrameBytes);
    if (!parsed.ok) return this.fail(parsed.error);
    this.succeed(parsed, response.statusCode);
  }

  private succeed(answer: UnaryAnswer, status: number): void {
    if (this.terminal) return;
    this.terminal = true;
    this.stopTimers();
    const now = performance.now();
    const upstreamMs = round(now - (this.upstreamStartedAt ?? now));
    this.stage = 'sending';
    let delivered = true;
    const { usage } = answer;
    for (const frame of answer.itemFrames) {
      if (!this.publish(frame)) {
        delivered = false;
        break;
      }
    }
    const done: ProviderEmbedFrame = { k: 'done', count: answer.count, ...(answer.results ? { results: answer.results } : {}), usage, upstreamId: answer.upstreamId, upstreamModel: answer.upstreamModel, upstreamMs, upstreamStatus: status };
    if (delivered) delivered = this.publish(JSON.stringify(done));
    if (this.span?.isRecording()) {
      this.span.setStatus({ code: SpanStatusCode.OK });
      this.span.setAttributes(genAiResponseAttributes({ metadata: { type: 'response-metadata', upstreamId: answer.upstreamId ?? undefined, upstreamModel: answer.upstreamModel ?? undefined }, finishReason: null, usage }));
    }
    if (!delivered) {
      // The caller is unreachable: nothing reached the client, so nothing is billed for it.
      this.interruptCause = { kind: 'cancelled', reason: 'caller unreachable' };
      this.result = { ok: false, status: 499, error: cancelledError('caller unreachable'), usage, upstreamMs, durationMs: round(now - this.receivedAt), interrupted: 'cancelled' };
      return;
    }
    this.result = { ok: true, status, error: null, usage, upstreamMs, durationMs: round(performance.now() - this.receivedAt), interrupted: null };
  }

  private fail(error: UpstreamError): void {
    if (this.terminal) return;
    this.terminal = true;
    this.stopTimers();
    const now = performance.now();
    const started = this.upstreamStartedAt;
    const upstreamMs = started === undefined ? 0 : round(now - started);
    const frame: ProviderEmbedFrame = { k: 'failed', error, upstreamMs };
    this.publish(JSON.stringify(frame));
    if (this.span) {
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      this.span.setAttribute('switchyard.error_type', error.errorType);
    }
    this.result = {
      ok: false,
      status: error.status,
      error,
      usage: null,
      upstreamMs: started === undefined ? null : upstreamMs,
      durationMs: round(now - this.receivedAt),
      interrupted: this.interruptCause?.kind ?? null,
    };
    if (!this.controller.signal.aborted) this.controller.abort();
  }

  private failFromTransport(error: unknown): void {
    if (this.terminal) return;
    const { connectMs, totalMs } = this.request.timeouts;
    this.fail(classifyTransportError(error, { headersReceived: this.headersReceived, contentStarted: false, timeouts: { connectMs, firstTokenMs: totalMs, idleMs: totalMs } }));
  }

  /** Publishes a frame; false (and the caller is given up on) when NATS refuses it. */
  private publish(frame: string): boolean {
    if (this.callerGone) return false;
    try {
      this.dependencies.publishFrame(this.reply, frame);
      return true;
    } catch (error) {
      this.callerGone = true;
      this.dependencies.onWarning?.(`${this.api} ${this.request.attemptId}: could not publish to the caller (${(error as Error).message})`);
      if (!this.terminal) {
        this.interruptCause = { kind: 'cancelled', reason: 'caller unreachable' };
        this.fail(cancelledError('caller unreachable'));
      }
      return false;
    }
  }

  private stopTimers(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.totalTimer) clearTimeout(this.totalTimer);
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.heartbeat = this.totalTimer = this.connectTimer = undefined;
  }
}

function interruptError(cause: EmbedInterrupt, headersReceived: boolean, api: string): UpstreamError {
  switch (cause.kind) {
    case 'timeout':
      return cause.phase === 'connect'
        ? timeoutError('connect', cause.limitMs)
        : { status: 504, errorType: 'timeout', retryable: true, phase: headersReceived ? 'body' : 'first-token', message: `The upstream did not answer the ${api} request within ${cause.limitMs} ms` };
    case 'cancelled':
      return cancelledError(cause.reason);
    case 'shutdown':
      return shutdownError(headersReceived);
  }
}

function unavailable(message: string): UpstreamError {
  return { status: 502, errorType: 'provider_unavailable', retryable: true, phase: 'connect', message };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

export class ResponseTooLargeError extends Error {
  constructor(limit: number) {
    super(`The upstream response is larger than ${limit} bytes`);
    this.name = 'ResponseTooLargeError';
  }
}

/** Reads a whole body as UTF-8, refusing more than `limit` bytes. */
async function readAll(body: AsyncIterable<Buffer | string>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > limit) throw new ResponseTooLargeError(limit);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/** Reads at most `limit` bytes of a body (the caller aborts the rest). */
async function readUpTo(body: AsyncIterable<Buffer | string>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    chunks.push(buffer);
    size += buffer.length;
    if (size >= limit) break;
  }
  return Buffer.concat(chunks, size).subarray(0, limit).toString('utf8');
}
