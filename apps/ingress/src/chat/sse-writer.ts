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
    const first = this.onOpen();
    if (first) this.response.write(first);
    else this.response.flushHeaders();
  }

  /** Raw SSE text (one or more complete events). */
  write(text: string): void {
    if (!text) return;
    this.open();
    if (!this.isClosed) this.response.write(text);
  }

  end(text = ''): void {
    if (this.ended) return;
    this.open();
    if (!this.isClosed) this.response.end(text);
    this.ended = true;
  }
}

export function sseData(json: string): string {
  return `data: ${json}\n\n`;
}

export function sseEvent(event: string, json: string): string {
  return `event: ${event}\ndata: ${json}\n\n`;
}
