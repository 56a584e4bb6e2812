import type { SseEvent } from '../types.js';

/**
 * Incremental Server-Sent Events framing (WHATWG HTML §9.2.6): feed text chunks as they arrive, split anywhere (even
 * inside a CRLF), and get complete events back. Comment lines (": OPENROUTER PROCESSING") and `id:`/`retry:` fields
 * are ignored; multi-line `data:` fields are joined with "\n"; an event is dispatched on a blank line, or by `end()`
 * for a final event the upstream did not terminate.
 */
export class SseParser {
  private buffer = '';
  private eventName: string | undefined;
  private dataLines: string[] = [];
  private pendingCarriageReturn = false;
  private started = false;

  push(chunk: string): SseEvent[] {
    const events: SseEvent[] = [];
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.startsWith('\uFEFF')) text = text.slice(1);
    }
    if (this.pendingCarriageReturn) {
      this.pendingCarriageReturn = false;
      if (text.startsWith('\n')) text = text.slice(1);
    }
    this.buffer += text;
    let start = 0;
    for (let index = 0; index < this.buffer.length; index++) {
      const character = this.buffer[index];
      if (character !== '\n' && character !== '\r') continue;
      this.processLine(this.buffer.slice(start, index), events);
      if (character === '\r') {
        if (index + 1 < this.buffer.length) {
          if (this.buffer[index + 1] === '\n') index++;
        } else {
          this.pendingCarriageReturn = true;
        }
      }
      start = index + 1;
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /** Flushes a last line and event that were not terminated by a blank line. */
  end(): SseEvent[] {
    const events: SseEvent[] = [];
    if (this.buffer.length > 0) this.processLine(this.buffer, events);
    this.buffer = '';
    this.dispatch(events);
    return events;
  }

  private processLine(line: string, events: SseEvent[]): void {
    if (line === '') {
      this.dispatch(events);
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.dataLines.push(value);
    else if (field === 'event') this.eventName = value;
  }

  private dispatch(events: SseEvent[]): void {
    if (this.dataLines.length > 0) {
      const event: SseEvent = { data: this.dataLines.join('\n') };
      if (this.eventName !== undefined && this.eventName !== '') event.event = this.eventName;
      events.push(event);
    }
    this.dataLines = [];
    this.eventName = undefined;
  }
}

/** Frames a whole SSE body (a recording) into events. */
export function parseSseText(text: string): SseEvent[] {
  const parser = new SseParser();
  return [...parser.push(text), ...parser.end()];
}
