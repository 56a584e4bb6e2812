import type { ServerResponse } from 'node:http';

/**
 * Server-sent events on a raw Node response: headers go out lazily (so a request can still fail over, or fail
 * with a proper HTTP status, until the first byte is written). Writes after the client went away are dropped.
 */
export class SseWriter {
  private opened = false;
  private ended = false;

  constructor(
    private readonly response: ServerResponse,
    private readonly headers: Record<string, string>,
    private readonly onOpen: () => string = () => '',
  ) {}

  get isOpen(): boolean {
    return this.opened;
  }

  get isClosed(): boolean {
    return this.ended || this.response.destroyed || this.response.writableEnded;
  }

  /**
   * Sends the status and headers, with `text` (after the skin's opening) in the same socket write: headers flushed
   * on their own cost a write of their own and reach the client as a segment it wakes up for before the first
   * event follows (on the next tick). Without any text the headers are flushed alone.
   */
  open(text = ''): void {
    if (!this.writeHead()) return;
    const first = this.onOpen() + text;
    if (first) this.response.write(first);
    else this.response.flushHeaders();
  }

  /** Raw SSE text (one or more complete events). */
  write(text: string): void {
    if (!text) return;
    if (!this.opened) return this.open(text);
    if (!this.isClosed) this.response.write(text);
  }

  end(text = ''): void {
    if (this.ended) return;
    if (this.writeHead()) this.response.end(this.onOpen() + text);
    else if (!this.isClosed) this.response.end(text);
    this.ended = true;
  }

  /** Sets the status and headers (they go out with the first write); false when already done or the client is gone. */
  private writeHead(): boolean {
    if (this.opened || this.isClosed) return false;
    this.opened = true;
    this.response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      ...this.headers,
    });
    return true;
  }
}

export function sseData(json: string): string {
  return `data: ${json}\n\n`;
}

export function sseEvent(event: string, json: string): string {
  return `event: ${event}\ndata: ${json}\n\n`;
}
