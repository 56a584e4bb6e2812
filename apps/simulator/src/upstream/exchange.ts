import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EffectiveKnobs } from '../knobs/knobs.schema.js';
import type { Outcome, TokenCounts } from '../ledger/usage-ledger.js';
import { renderError } from './formats/errors.js';
import type { Frame } from './frames.js';
import type { Answer, PreparedRequest, Route } from './routes.js';

function ignoreError(): void {}

/** What an exchange needs from the server that owns it. */
export interface ExchangeHost {
  nextRequestFails(model: string, knobs: EffectiveKnobs): boolean;
  /** Called once when the exchange ends, whatever the outcome. */
  ended(exchange: Exchange, outcome: Outcome, tokens: TokenCounts | undefined, usageReported: boolean): void;
}

export type ExchangePhase = 'waiting' | 'streaming' | 'hanging' | 'done';

export interface InflightView {
  id: string;
  route: string;
  model: string;
  stream: boolean;
  phase: ExchangePhase;
  ageMs: number;
  completionTokensSent: number;
}

/**
 * One simulated upstream request from the failure decision to its end: an injected failure, or the answer after
 * the time to first token, streamed at the knobs' pace. Ends exactly once (completed, failed, reset, cancelled or
 * hung), with the tokens it produced reported to the host; a client that goes away stops it at once.
 */
export class Exchange {
  readonly startedAt = Date.now();
  phase: ExchangePhase = 'waiting';
  private timer: NodeJS.Timeout | undefined;
  private answer: Answer | undefined;
  private frames: Frame[] = [];
  private index = 0;
  private contentChunks = 0;
  private tokensSent = 0;
  private reasoningSent = 0;
  private usageReported = false;
  /** The first byte (the status line) went out: from then on the prompt is billed. */
  private started = false;
  private firstTokenAt = 0;
  private pacedTokens = 0;
  private pacedIndex = -1;
  private lastTokenFrame = -1;
  /** Reset the socket after this many content chunks (0: no mid-answer reset). */
  private resetAfterChunks = 0;
  /** Shutdown: no more waiting; deliver everything now. */
  private hurry = false;

  constructor(
    readonly id: string,
    private readonly host: ExchangeHost,
    private readonly request: IncomingMessage,
    private readonly response: ServerResponse,
    readonly route: Route,
    private readonly prepared: PreparedRequest,
    private readonly knobs: EffectiveKnobs,
    private readonly responseHeaders: Record<string, string>,
  ) {}

  get model(): string {
    return this.prepared.model;
  }

  view(now = Date.now()): InflightView {
    return { id: this.id, route: this.route.label, model: this.model, stream: this.prepared.stream, phase: this.phase, ageMs: now - this.startedAt, completionTokensSent: this.tokensSent };
  }

  start(): void {
    this.response.on('close', this.onClose);
    // A write racing a client that just left must not become an unhandled 'error' (the close handler ends the exchange).
    this.response.on('error', ignoreError);
    if (this.host.nextRequestFails(this.model, this.knobs)) {
      switch (this.knobs.failureMode) {
        case 'status':
          return this.failWithStatus(this.knobs.failureStatus);
        case 'hang':
          this.phase = 'hanging';
          return;
        case 'reset':
          if (this.knobs.failAfterChunks === 0) return this.resetBeforeHeaders();
          this.resetAfterChunks = this.knobs.failAfterChunks;
      }
    }
    this.answer = this.prepared.answer(this.knobs);
    const knobs = this.knobs;
    const generation = !this.prepared.stream && knobs.tokensPerSecond > 0 ? (this.answer.usage.completionTokens / knobs.tokensPerSecond) * 1000 : 0;
    const delay = knobs.ttftMs + generation;
    if (delay <= 0) this.deliver();
    else this.timer = setTimeout(this.deliver, delay);
  }

  /** An unexpected failure while answering: a 500 if nothing was sent yet, else a cut connection. */
  crash(): void {
    if (this.phase === 'done') return;
    if (!this.response.headersSent) return this.failWithStatus(500);
    this.end('failed');
    this.response.destroy();
  }

  /** Graceful shutdown: answers still waiting or streaming are sent in full at once; hanging ones get a 503. */
  shutdown(): void {
    if (this.phase === 'done') return;
    clearTimeout(this.timer);
    this.hurry = true;
    if (this.phase === 'hanging') return this.failWithStatus(503);
    if (this.phase === 'waiting') return this.deliver();
    this.pump();
  }

  private readonly onClose = (): void => {
    if (this.phase !== 'done') this.end(this.phase === 'hanging' ? 'hung' : 'cancelled');
  };

  private failWithStatus(status: number): void {
    const error = renderError(this.route.format, status, undefined, { model: this.model, retryAfterSeconds: this.knobs.retryAfterSeconds, requestId: this.responseHeaders['request-id'] });
    this.started = true;
    this.response.writeHead(error.status, { ...error.headers, ...this.responseHeaders, 'content-length': String(Buffer.byteLength(error.body)) });
    this.end('failed');
    this.response.end(error.body);
  }

  private resetBeforeHeaders(): void {
    this.end('reset');
    const socket = this.request.socket;
    if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
    else socket.destroy();
  }

  private readonly deliver = (): void => {
    this.timer = undefined;
    if (this.phase === 'done') return;
    const answer = this.answer!;
    this.started = true;
    if (answer.body !== undefined) {
      const body = answer.body;
      this.response.writeHead(200, { 'content-type': answer.contentType, 'content-length': String(Buffer.byteLength(body)), ...this.responseHeaders });
      if (this.resetAfterChunks > 0) {
        // A non-streamed body cut in half: the provider generated (and bills) it all; the client never sees usage.
        return this.resetMidAnswer(body.slice(0, Math.floor(body.length / 2)), true);
      }
      this.end('completed');
      this.response.end(body);
      return;
    }
    this.frames = answer.frames ?? [];
    for (let index = this.frames.length - 1; index >= 0; index--) {
      if (this.frames[index].tokens > 0) {
        this.lastTokenFrame = index;
        break;
      }
    }
    this.response.writeHead(200, { 'content-type': answer.contentType, 'cache-control': 'no-cache', ...this.responseHeaders });
    this.phase = 'streaming';
    if (this.resetAfterChunks > 0 && this.lastTokenFrame === -1) return this.resetMidAnswer('', false);
    this.pump();
  };

  /** Writes frames until the next one is due later (then waits), the answer ends, or a reset is due. */
  private readonly pump = (): void => {
    this.timer = undefined;
    if (this.phase === 'done') return;
    const tokensPerSecond = this.hurry ? 0 : this.knobs.tokensPerSecond;
    const frames = this.frames;
    let buffer = '';
    while (this.index < frames.length) {
      const current = frames[this.index];
      if (current.tokens > 0) {
        if (this.contentChunks > 0 && tokensPerSecond > 0 && this.pacedIndex !== this.index) {
          this.pacedIndex = this.index;
          this.pacedTokens += current.tokens;
          const wait = this.firstTokenAt + (this.pacedTokens / tokensPerSecond) * 1000 - performance.now();
          if (wait >= 1) {
            if (buffer) this.response.write(buffer);
            this.timer = setTimeout(this.pump, wait);
            return;
          }
        }
        if (this.contentChunks === 0) this.firstTokenAt = performance.now();
        this.contentChunks++;
        this.tokensSent += current.tokens;
        this.reasoningSent += current.reasoningTokens;
      }
      if (current.usage) this.usageReported = true;
      buffer += current.data;
      this.index++;
      if (this.resetAfterChunks > 0 && current.tokens > 0 && (this.contentChunks >= this.resetAfterChunks || this.index - 1 === this.lastTokenFrame)) {
        return this.resetMidAnswer(buffer, false);
      }
    }
    this.end('completed');
    this.response.end(buffer);
  };

  /** Sends `data`, then destroys the socket: the client sees a truncated answer. */
  private resetMidAnswer(data: string, wholeAnswerBilled: boolean): void {
    if (wholeAnswerBilled) {
      this.tokensSent = this.answer!.usage.completionTokens;
      this.reasoningSent = this.answer!.usage.reasoningTokens;
    }
    this.end('reset');
    const socket = this.response.socket;
    if (!data) {
      socket?.destroy();
      return;
    }
    this.response.write(data, () => socket?.destroy());
  }

  private end(outcome: Outcome): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    clearTimeout(this.timer);
    this.timer = undefined;
    let tokens: TokenCounts | undefined;
    let reported = false;
    const usage = this.answer?.usage;
    if (this.started && usage) {
      const complete = outcome === 'completed';
      tokens = {
        promptTokens: usage.promptTokens,
        cachedTokens: usage.cachedTokens,
        cacheWriteTokens: usage.cacheWriteTokens,
        completionTokens: complete && this.answer?.body !== undefined ? usage.completionTokens : this.tokensSent,
        reasoningTokens: complete && this.answer?.body !== undefined ? usage.reasoningTokens : this.reasoningSent,
      };
      reported = complete ? this.answer?.body !== undefined || this.usageReported : this.usageReported;
    }
    this.host.ended(this, outcome, tokens, reported);
  }
}
