import type { StreamPart } from '@switchyard/llm-spec';
import { parseSseText } from '../shared/sse-parser.js';
import type { ProviderAdapter, SseEvent } from '../types.js';

/** Feeds framed events through a fresh decoder of the adapter, then ends it: the whole canonical stream. */
export function replayEvents(adapter: ProviderAdapter, events: ReadonlyArray<SseEvent>): StreamPart[] {
  const decoder = adapter.createStreamDecoder();
  const parts: StreamPart[] = [];
  for (const event of events) parts.push(...decoder.push(event));
  parts.push(...decoder.end());
  return parts;
}

/** Replays a recorded SSE body (as the upstream sent it) through the adapter. */
export function replaySse(adapter: ProviderAdapter, body: string): StreamPart[] {
  return replayEvents(adapter, parseSseText(body));
}
