import type { ServerResponse } from 'node:http';

/**
 * Server-sent events on a raw Node response: headers go out lazily (so a request can still fail over, or fail
 * with a proper HTTP status, until the first byte is written), `: comment` keep-alives, `data:` events and the
 * `[DONE]` terminator. Writes after the client went away are dropped.
 */
export class SseWriter {
  private opened = false;
  private ended = false;

  constructor(
    private readonly response: ServerResponse,
    private readonly headers: Record<string, string>,
  ) {}

  get isOpen(): boolean {
    return this.opened;
  }

  get isClosed(): boolean {
    return this.ended || this.response.destroyed || this.response.writableEnded;
  }

  open(): void {
    if (this.opened || this.isClosed) return;
    this.opened = true;
    this.response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      ...this.headers,
    });
    this.response.flushHeaders();
  }

  setHeader(name: string, value: string): void {
    if (!this.opened) this.headers[name] = value;
  }

  /** A comment line; clients must ignore lines starting with ":". */
  comment(text: string): void {
    this.open();
    if (!this.isClosed) this.response.write(`: ${text}\n\n`);
  }

  /** One `data:` event with an already-serialised JSON payload. */
  data(json: string): void {
    this.open();
    if (!this.isClosed) this.response.write(`data: ${json}\n\n`);
  }

  end(): void {
    if (this.ended) return;
    this.open();
    if (!this.isClosed) this.response.end('data: [DONE]\n\n');
    this.ended = true;
  }
}
