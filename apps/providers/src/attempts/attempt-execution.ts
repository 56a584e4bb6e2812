import { AdapterRequestError, SseParser, type SseEvent, type StreamDecoder, type UpstreamHttpRequest } from '@switchyard/adapters';
import type { AttemptEnd, ParsedProviderChatRequest } from '@switchyard/contracts';
import type { StreamPart, StreamPartOf, UpstreamError, Usage } from '@switchyard/llm-spec';
import { otelContext, SpanKind, SpanStatusCode, tracer, type Span } from '@switchyard/nest-kit';
import type { IncomingHttpHeaders } from 'node:http';
import { TextDecoder } from 'node:util';
import type { Dispatcher } from 'undici';
import type { ResolvedProvider } from '../catalog/resolved-provider.js';
import type { KeyResolution } from '../credentials/credential-store.js';
import { classifyTransportError, flattenHeaders, interruptError, responseTooLargeError, type InterruptCause } from '../upstream/upstream-failure.js';
import { exchange, type ExchangeSink } from '../upstream/upstream-exchange.js';
import { checkUpstreamUrl } from '../upstream/upstream-target.js';
import { AttemptWatchdog, Heartbeat } from './attempt-timers.js';
import { genAiRequestAttributes, genAiResponseAttributes } from './gen-ai-attributes.js';
import { encodePartsFrames, HEARTBEAT_FRAME } from './frame-encoder.js';

/** Error bodies are read up to this many bytes (adapters keep 2 KB of it as `raw`). */
export const ERROR_BODY_LIMIT_BYTES = 8 * 1024;

/** After a stream's finish, the rest of the body (usually just the chunked terminator) is drained for this long at most. */
const DRAIN_LIMIT_MS = 2_000;

/** What an attempt needs from the service around it; everything is in memory (no I/O but the upstream call). */
export interface AttemptDependencies {
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

export type AttemptStage = 'resolving' | 'connecting' | 'waiting-first-token' | 'streaming' | 'draining' | 'done';

/** How an attempt ended, for the attempt-completed event, usage reconciliation and metrics. */
export interface AttemptResult {
  ok: boolean;
  /** The upstream's HTTP status when it answered, else the error's status. */
  status: number;
  error: UpstreamError | null;
  contentSent: boolean;
  usage: Usage | null;
  finishReason: string | null;
  /** Upstream call start → first content part, ms. */
  ttftMs: number | null;
  /** Upstream call start → last byte (or failure), ms; null when no upstream call was made. */
  upstreamMs: number | null;
  /** Request received → outcome, ms. */
  durationMs: number;
  /** First content part → last part, ms (for tokens per second). */
  generationMs: number | null;
  /** Characters of generated content that went to the caller (for a usage estimate when none was reported). */
  contentChars: number;
  /** Every tool call's arguments were valid JSON (null when the response made no tool call). */
  toolCallsValid: boolean | null;
  interrupted: InterruptCause['kind'] | null;
}

interface ToolCallArguments {
  text: string;
}

/**
 * One attempt against one upstream endpoint: resolve the provider, key and adapter, call the upstream on its pinned
 * origin, and stream canonical parts to the caller's inbox as `parts` frames (the last one carrying `end`), with
 * heartbeats while the upstream is quiet, or one `failed` frame. Frames go out as each upstream chunk is decoded,
 * so nothing waits on a batching timer.
 */
export class AttemptExecution {
  readonly receivedAt: number;
  readonly receivedAtWall = Date.now();
  readonly controller = new AbortController();
  stage: AttemptStage = 'resolving';
  providerSlug: string;

  private readonly heartbeat: Heartbeat;
  private readonly watchdog: AttemptWatchdog;
  private terminal = false;
  private result: AttemptResult | undefined;
  private interruptCause: InterruptCause | undefined;
  private upstreamStartedAt: number | undefined;
  private headersReceived = false;
  private upstreamStatus = 0;
  private firstContentAt: number | undefined;
  private lastPartAt: number | undefined;
  private contentSent = false;
  private contentChars = 0;
  private usage: Usage | null = null;
  /** The upstream's response id and model (the span's gen_ai.response.* attributes). */
  private responseMetadata: StreamPartOf<'response-metadata'> | undefined;
  private span: Span | undefined;
  private readonly trackToolCalls: boolean;
  private readonly toolCalls = new Map<number, ToolCallArguments>();
  private callerGone = false;
  private drainTimer: NodeJS.Timeout | undefined;
  /** The rest of a burst whose first content part went out on its own (see decodeEvents). */
  private deferredEvents: { decoder: StreamDecoder; events: SseEvent[]; from: number } | undefined;

  constructor(
    readonly request: ParsedProviderChatRequest,
    private readonly reply: string,
    private readonly dependencies: AttemptDependencies,
    readonly probe = false,
  ) {
    this.receivedAt = performance.now();
    this.providerSlug = request.endpoint.providerSlug;
    this.trackToolCalls = (request.request.tools?.length ?? 0) > 0;
    this.heartbeat = new Heartbeat(request.heartbeatMs, () => this.publish(HEARTBEAT_FRAME));
    this.watchdog = new AttemptWatchdog(request.timeouts, (phase, limitMs) => this.interrupt({ kind: 'timeout', phase, limitMs }));
  }

  get attemptId(): string {
    return this.request.attemptId;
  }

  get isContentSent(): boolean {
    return this.contentSent;
  }

  get usedTools(): boolean {
    return this.trackToolCalls;
  }

  /** Runs the attempt to its end (including draining a finished upstream body); never throws. */
  async run(): Promise<AttemptResult> {
    this.heartbeat.start();
    try {
      await this.execute();
    } catch (error) {
      this.fail({ status: 502, errorType: 'provider_unavailable', retryable: true, phase: this.headersReceived ? 'body' : 'connect', message: `The attempt failed inside the providers service: ${(error as Error)?.message ?? String(error)}` });
    } finally {
      this.heartbeat.stop();
      this.watchdog.stop();
      if (this.drainTimer) clearTimeout(this.drainTimer);
      this.stage = 'done';
      this.endSpan();
    }
    return this.result!;
  }

  /** Ends the attempt early (timeout, cancel, shutdown): the failure goes out at once, then the upstream is aborted. */
  interrupt(cause: InterruptCause): void {
    if (!this.terminal) {
      this.interruptCause = cause;
      this.fail(interruptError(cause, this.headersReceived));
    }
    if (!this.controller.signal.aborted) this.controller.abort(cause);
  }

  private async execute(): Promise<void> {
    const { request } = this;
    const provider = this.dependencies.resolveProvider(request.endpoint.providerSlug);
    if (!provider) return this.fail(unavailable(`Unknown provider ${request.endpoint.providerSlug}: not in this replica's catalog`));
    this.providerSlug = provider.slug;
    if (!provider.active) return this.fail(unavailable(`Provider ${provider.slug} is disabled`));
    if (!provider.adapter || !provider.origin) return this.fail(unavailable(`Provider ${provider.slug} cannot be called: ${provider.problem ?? 'misconfigured'}`));
    const key = this.dependencies.resolveKey(provider.slug, { byok: request.byok, accountId: request.accountId, simulator: provider.simulator });
    if (!key.ok) return this.fail(key.error);

    let upstream: UpstreamHttpRequest;
    try {
      const built = provider.adapter.buildRequest(request.request, { baseUrl: provider.baseUrl, upstreamModelId: request.endpoint.upstreamModelId, apiKey: key.apiKey, preset: provider.preset, apiVersion: provider.apiVersion });
      upstream = built.request;
    } catch (error) {
      if (AdapterRequestError.isInstance(error)) return this.fail(error.toUpstreamError());
      return this.fail(unavailable(`Could not build the request for provider ${provider.slug}: ${(error as Error).message}`));
    }
    const target = checkUpstreamUrl(upstream.url, provider.origin);
    if (!target.ok) {
      this.dependencies.onWarning?.(`refused an upstream call for provider ${provider.slug}: ${target.reason}`);
      return this.fail({ ...unavailable(`Refused to call the upstream of provider ${provider.slug}: ${target.reason}`), retryable: false });
    }
    if (this.terminal) return; // cancelled while resolving
    await this.callUpstream(provider, upstream, target.origin, target.path);
  }

  private async callUpstream(provider: ResolvedProvider, upstream: UpstreamHttpRequest, origin: string, path: string): Promise<void> {
    const { timeouts } = this.request;
    this.stage = 'connecting';
    this.upstreamStartedAt = performance.now();
    this.watchdog.start(this.upstreamStartedAt);
    this.span = tracer().startSpan(`upstream ${provider.slug} POST`, { kind: SpanKind.CLIENT }, otelContext.active());
    // Attributes only for a sampled trace: an unsampled span drops them anyway, and this is the hot path.
    if (this.span.isRecording()) {
      this.span.setAttributes({
        'http.request.method': 'POST',
        'server.address': new URL(origin).hostname,
        'url.path': path.split('?')[0],
        'switchyard.provider': provider.slug,
        'switchyard.endpoint_id': this.request.endpoint.id,
        'switchyard.attempt_id': this.request.attemptId,
        'switchyard.stream': upstream.stream,
        ...genAiRequestAttributes(provider.slug, this.request.endpoint.upstreamModelId, this.request.request),
      });
    }
    const sink = this.responseSink(provider, upstream.stream);
    await exchange(
      this.dependencies.dispatcher(origin),
      {
        path,
        method: 'POST',
        headers: upstream.headers,
        body: upstream.body,
        // Backstops only: the watchdog fires first with the attempt's own limits and phases.
        headersTimeout: timeouts.connectMs + 1_000,
        bodyTimeout: Math.max(timeouts.firstTokenMs, timeouts.idleMs) + 1_000,
      },
      this.controller.signal,
      sink,
    );
  }

  /**
   * How the upstream's answer is read, straight from the connection's callbacks: an error status collects the
   * start of its body for the adapter's error parser; a stream (SSE) goes to the caller chunk by chunk, then keeps
   * draining after its finish so the connection can be reused; a JSON body is collected (up to the size limit)
   * and parsed whole.
   */
  private responseSink(provider: ResolvedProvider, streamRequested: boolean): ExchangeSink {
    let mode: 'json' | 'sse' | 'error' = 'json';
    let errorHeaders: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    let size = 0;
    let sse: SseParser | undefined;
    let decoder: StreamDecoder | undefined;
    // A streaming decoder keeps a multi-byte character split across two chunks whole.
    let utf8: TextDecoder | undefined;
    const collected = () => Buffer.concat(chunks, size);
    const failStatus = () => {
      if (this.terminal) return;
      const body = collected().subarray(0, ERROR_BODY_LIMIT_BYTES).toString('utf8');
      this.fail({ ...provider.adapter!.parseError(this.upstreamStatus, flattenHeaders(errorHeaders), body), phase: 'status' });
    };
    return {
      onHead: (statusCode, headers) => {
        this.headersReceived = true;
        this.upstreamStatus = statusCode;
        if (this.span?.isRecording()) this.span.setAttribute('http.response.status_code', statusCode);
        if (this.terminal) return false; // interrupted just as the headers came: release the connection
        this.watchdog.headers();
        this.stage = 'waiting-first-token';
        if (statusCode < 200 || statusCode >= 300) {
          mode = 'error';
          errorHeaders = headers;
        } else if (streamRequested && !/application\/json/i.test(String(headers['content-type'] ?? ''))) {
          mode = 'sse';
          sse = new SseParser();
          decoder = provider.adapter!.createStreamDecoder();
          utf8 = new TextDecoder('utf-8');
        }
        return true;
      },
      onChunk: (chunk) => {
        if (mode === 'sse') {
          if (this.terminal) return true; // finished: drain the rest
          const hadContent = this.firstContentAt !== undefined;
          this.streamChunk(sse!, decoder!, utf8!.decode(chunk, { stream: true }));
          // The first token goes to the caller before the rest of a burst (fast hosts send many chunks at once).
          return !hadContent && this.firstContentAt !== undefined && !this.terminal ? 'yield' : true;
        }
        if (this.terminal) return false;
        size += chunk.length;
        chunks.push(chunk);
        if (mode === 'error') {
          if (size < ERROR_BODY_LIMIT_BYTES) return true;
          failStatus();
          return false;
        }
        if (size <= this.dependencies.maxResponseBytes) return true;
        this.fail(responseTooLargeError(this.dependencies.maxResponseBytes));
        return false;
      },
      onEnd: () => {
        if (mode === 'error') return failStatus();
        if (mode === 'sse') return this.endStream(sse!, decoder!, utf8!);
        if (!this.terminal) this.consumeJson(provider, collected().toString('utf8'));
      },
      onError: (error) => {
        if (this.terminal) return;
        // An error status whose body broke off is still that status (with what came of its body).
        if (mode === 'error') return failStatus();
        this.failFromTransport(error);
      },
    };
  }

  private streamChunk(sse: SseParser, decoder: StreamDecoder, text: string): void {
    const events = sse.push(text);
    if (events.length > 0) this.decodeEvents(decoder, events, 0);
  }

  /**
   * Decodes a chunk's SSE events into one frame, but the first content part goes out on its own: the rest of the
   * burst is decoded one event-loop turn later (a fast host sends the whole answer in one read, and decoding all of
   * it would hold the first token back). The exchange is paused meanwhile (`onChunk` answers 'yield'), so nothing
   * of the body overtakes the deferred events.
   */
  private decodeEvents(decoder: StreamDecoder, events: SseEvent[], from: number): void {
    let parts: StreamPart[] | undefined;
    for (let index = from; index < events.length; index++) {
      const decoded = decoder.push(events[index]!);
      if (decoded.length === 0) continue;
      if (parts === undefined) parts = decoded;
      else for (const part of decoded) parts.push(part);
      if (this.firstContentAt === undefined && index + 1 < events.length && decoded.some(carriesContent)) {
        this.handleStreamParts(parts);
        if (!this.terminal) {
          this.deferredEvents = { decoder, events, from: index + 1 };
          setImmediate(() => this.decodeDeferredEvents());
        }
        return;
      }
    }
    if (parts !== undefined) this.handleStreamParts(parts);
  }

  private decodeDeferredEvents(): void {
    const deferred = this.deferredEvents;
    this.deferredEvents = undefined;
    if (deferred && !this.terminal) this.decodeEvents(deferred.decoder, deferred.events, deferred.from);
  }

  private endStream(sse: SseParser, decoder: StreamDecoder, utf8: TextDecoder): void {
    this.decodeDeferredEvents();
    if (this.terminal) return;
    const tail: StreamPart[] = [];
    const rest = utf8.decode();
    if (rest !== '') for (const event of sse.push(rest)) for (const part of decoder.push(event)) tail.push(part);
    for (const event of sse.end()) for (const part of decoder.push(event)) tail.push(part);
    for (const part of decoder.end()) tail.push(part);
    if (tail.length > 0) this.handleStreamParts(tail);
    if (!this.terminal) this.fail({ status: 502, errorType: 'provider_unavailable', retryable: true, phase: 'body', message: 'The upstream stream ended without a finish' });
  }

  /**
   * One upstream chunk's parts → one frame (split only past the size limit). A `finish` ends the attempt with
   * `end` on that frame; an `error` part sends what came before it, then the `failed` frame.
   */
  private handleStreamParts(parts: StreamPart[]): void {
    const now = performance.now();
    let cut = parts.length;
    let content = false;
    let failure: UpstreamError | undefined;
    let finished = false;
    for (let index = 0; index < parts.length; index++) {
      const part = parts[index]!;
      if (part.type === 'error') {
        failure = part.error;
        cut = index;
        break;
      }
      if (part.type === 'finish') {
        finished = true;
        cut = index + 1;
        break;
      }
      content = this.inspect(part) || content;
    }
    const batch = cut === parts.length ? parts : parts.slice(0, cut);
    if (content && this.firstContentAt === undefined) {
      this.firstContentAt = now;
      this.stage = 'streaming';
    }
    this.lastPartAt = now;
    this.watchdog.part(content, now);
    if (finished) return this.finish(batch, now);
    if (batch.length > 0) {
      this.sendParts(batch, undefined);
      if (content) this.contentSent = true;
    }
    if (failure) this.fail(failure, now);
  }

  /** Notes what a part means for the outcome; true when it carries generated content. */
  private inspect(part: StreamPart): boolean {
    switch (part.type) {
      case 'text-delta':
      case 'reasoning-delta':
      case 'refusal-delta':
        this.contentChars += part.text.length;
        return true;
      case 'tool-call-start':
        if (this.trackToolCalls) this.toolCalls.set(part.index, { text: '' });
        return true;
      case 'tool-call-delta': {
        this.contentChars += part.argumentsDelta.length;
        const call = this.trackToolCalls ? this.toolCalls.get(part.index) : undefined;
        if (call) call.text += part.argumentsDelta;
        return true;
      }
      case 'usage':
        this.usage = part.usage;
        return false;
      case 'response-metadata':
        this.responseMetadata = part;
        return false;
      default:
        return false;
    }
  }

  /** A whole JSON body → parts; a failed response fails whole (nothing went to the caller, so failover stays possible). */
  private consumeJson(provider: ResolvedProvider, text: string): void {
    const now = performance.now();
    const parts = provider.adapter!.parseResponse(text);
    const failure = parts.find((part) => part.type === 'error');
    if (failure?.type === 'error') return this.fail(failure.error, now);
    const finishIndex = parts.findIndex((part) => part.type === 'finish');
    if (finishIndex === -1) {
      return this.fail({ status: 502, errorType: 'provider_unavailable', retryable: true, phase: 'body', message: 'The upstream response had no finish' }, now);
    }
    const delivered = finishIndex === parts.length - 1 ? parts : parts.slice(0, finishIndex + 1);
    let content = false;
    for (const part of delivered) content = this.inspect(part) || content;
    if (content) this.firstContentAt = now;
    this.lastPartAt = now;
    this.finish(delivered, now);
  }

  private finish(parts: StreamPart[], now: number): void {
    if (this.terminal) return;
    this.terminal = true;
    this.watchdog.stop();
    const started = this.upstreamStartedAt ?? now;
    const ttftMs = this.firstContentAt === undefined ? null : round(this.firstContentAt - started);
    const end: AttemptEnd = { upstreamMs: round(now - started), ttftMs, upstreamStatus: this.upstreamStatus };
    this.sendParts(parts, end);
    if (parts.some((part) => part.type !== 'response-metadata' && part.type !== 'usage' && part.type !== 'finish')) this.contentSent = true;
    const finishPart = parts[parts.length - 1];
    const finishReason = finishPart?.type === 'finish' ? finishPart.finishReason : null;
    this.heartbeat.stop();
    if (this.span?.isRecording()) {
      this.span.setStatus({ code: SpanStatusCode.OK });
      this.span.setAttributes(genAiResponseAttributes({ metadata: this.responseMetadata, finishReason, usage: this.usage }));
    }
    this.stage = 'draining';
    this.result = {
      ok: true,
      status: this.upstreamStatus,
      error: null,
      contentSent: this.contentSent,
      usage: this.usage,
      finishReason,
      ttftMs,
      upstreamMs: end.upstreamMs,
      durationMs: round(now - this.receivedAt),
      generationMs: this.firstContentAt === undefined ? null : round(now - this.firstContentAt),
      contentChars: this.contentChars,
      toolCallsValid: this.toolCallsValid(),
      interrupted: null,
    };
    // A stream keeps draining after its finish so the connection can be reused, but only briefly.
    this.drainTimer = setTimeout(() => this.controller.abort(), DRAIN_LIMIT_MS);
    this.drainTimer.unref();
  }

  private fail(error: UpstreamError, now = performance.now()): void {
    if (this.terminal) return;
    this.terminal = true;
    this.watchdog.stop();
    this.heartbeat.stop();
    const started = this.upstreamStartedAt;
    const upstreamMs = started === undefined ? 0 : round(now - started);
    const ttftMs = this.firstContentAt === undefined || started === undefined ? null : round(this.firstContentAt - started);
    this.publish(JSON.stringify({ k: 'failed', error, contentSent: this.contentSent, upstreamMs, ttftMs }));
    if (this.span) {
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      this.span.setAttribute('switchyard.error_type', error.errorType);
    }
    this.result = {
      ok: false,
      status: error.status,
      error,
      contentSent: this.contentSent,
      usage: this.usage,
      finishReason: null,
      ttftMs,
      upstreamMs: started === undefined ? null : upstreamMs,
      durationMs: round(now - this.receivedAt),
      generationMs: this.firstContentAt === undefined ? null : round((this.lastPartAt ?? now) - this.firstContentAt),
      contentChars: this.contentChars,
      toolCallsValid: this.toolCallsValid(),
      interrupted: this.interruptCause?.kind ?? null,
    };
    // Stop the upstream (an error mid-stream, a status we only read the start of).
    if (!this.controller.signal.aborted) this.controller.abort();
  }

  private failFromTransport(error: unknown): void {
    if (this.terminal) return;
    this.fail(classifyTransportError(error, { headersReceived: this.headersReceived, contentStarted: this.firstContentAt !== undefined, timeouts: this.request.timeouts }));
  }

  private sendParts(parts: StreamPart[], end: AttemptEnd | undefined): void {
    for (const frame of encodePartsFrames(parts, end, this.dependencies.maxFrameBytes)) {
      if (!this.publish(frame)) return;
    }
  }

  /** Publishes a frame; when NATS refuses it (connection closed), the caller is unreachable: abort the upstream. */
  private publish(frame: string): boolean {
    if (this.callerGone) return false;
    try {
      this.dependencies.publishFrame(this.reply, frame);
      this.heartbeat.touch();
      return true;
    } catch (error) {
      this.callerGone = true;
      this.dependencies.onWarning?.(`attempt ${this.request.attemptId}: could not publish to the caller (${(error as Error).message}); aborting the upstream call`);
      if (!this.terminal) {
        this.interruptCause = { kind: 'cancelled', reason: 'caller unreachable' };
        this.fail(interruptError(this.interruptCause, this.headersReceived));
      }
      if (!this.controller.signal.aborted) this.controller.abort();
      return false;
    }
  }

  private toolCallsValid(): boolean | null {
    if (!this.trackToolCalls || this.toolCalls.size === 0) return null;
    for (const call of this.toolCalls.values()) {
      const text = call.text.trim();
      if (text === '') continue;
      try {
        JSON.parse(text);
      } catch {
        return false;
      }
    }
    return true;
  }

  private endSpan(): void {
    this.span?.end();
    this.span = undefined;
  }
}

function unavailable(message: string): UpstreamError {
  return { status: 502, errorType: 'provider_unavailable', retryable: true, phase: 'connect', message };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** A part that is generated content (what makes the first token). */
function carriesContent(part: StreamPart): boolean {
  return part.type === 'text-delta' || part.type === 'reasoning-delta' || part.type === 'refusal-delta' || part.type === 'tool-call-start' || part.type === 'tool-call-delta';
}
