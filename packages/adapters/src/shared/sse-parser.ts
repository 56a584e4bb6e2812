import { createParser, type EventSourceParser } from 'eventsource-parser';
import type { SseEvent } from '../types.js';

/**
 * Incremental Server-Sent Events framing (WHATWG HTML §9.2.6, by `eventsource-parser`): feed text chunks as they
 * arrive, split anywhere (even inside a CRLF), and get complete events back. Comment lines (": OPENROUTER
 * PROCESSING") and `id:`/`retry:` fields are ignored; multi-line `data:` fields are joined with "\n"; an event is
 * dispatched on a blank line, or by `end()` for a final event the upstream did not terminate.
 */
export class SseParser {
  private events: SseEvent[] = [];
  private started = false;
  private readonly parser: EventSourceParser = createParser({
    onEvent: (message) => {
      this.events.push(message.event ? { event: message.event, data: message.data } : { data: message.data });
    },
  });

  push(chunk: string): SseEvent[] {
    if (!this.started && chunk.length > 0) {
      this.started = true;
      // A byte order mark decoded as text (the parser itself only drops one still in UTF-8 bytes).
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    this.parser.feed(chunk);
    return this.take();
  }

  /** Flushes a last line and event that were not terminated by a blank line. */
  end(): SseEvent[] {
    // Ends the last line (a lone CR left pending joins this LF as one CRLF) and dispatches what it completed.
    this.parser.feed('\n\n');
    return this.take();
  }

  private take(): SseEvent[] {
    const events = this.events;
    this.events = [];
    return events;
  }
}

/** Frames a whole SSE body (a recording) into events. */
export function parseSseText(text: string): SseEvent[] {
  const parser = new SseParser();
  return [...parser.push(text), ...parser.end()];
}
