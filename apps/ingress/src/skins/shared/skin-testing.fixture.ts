import { assembleResult, makeUsage, type ChatResult, type StreamPart, type UsageInput } from '@switchyard/llm-spec';
import { chargeFor } from '@switchyard/money';
import type { RouterMetadata } from '../../chat/router-metadata.js';
import type { BilledUsage, ResponseIdentity, Skin } from '../../chat/skin.js';

/** Test helpers for skin specs (excluded from the build). */

export const identity: ResponseIdentity = { id: 'gen-1700000000-abcdefghijABCDEFGHIJ', provider: 'Anthropic', model: 'anthropic/claude-sonnet-4.5', created: 1700000000, systemFingerprint: null };

export function billedUsage(input: Omit<UsageInput, 'totalTokens'> & { totalTokens?: number }, pricing = { prompt: '0.000003', completion: '0.000015' }): BilledUsage {
  const usage = makeUsage(input);
  const charge = chargeFor({ usage: { ...usage, requests: 1 }, pricing, finishReason: 'stop' });
  return { usage, charge, isByok: false };
}

/** The whole SSE text a skin writes for a successful stream of these parts, as the pipeline drives it. */
export function streamText(skin: Skin, parts: StreamPart[], billed: BilledUsage, options: { includeReasoning?: boolean; keepAliveFirst?: boolean; id?: ResponseIdentity; metadata?: RouterMetadata } = {}): { text: string; result: ChatResult } {
  const stream = skin.stream(options.id ?? identity, options.includeReasoning ?? true);
  let text = stream.open();
  if (options.keepAliveFirst) text += stream.keepAlive();
  for (const part of parts) text += stream.part(part);
  const result = assembleResult(parts);
  text += stream.complete(result, billed, options.metadata);
  return { text, result };
}

/** SSE text → its events ({event, data}), the way an SSE parser sees them (comments dropped). */
export function parseSse(text: string): Array<{ event: string | null; data: string }> {
  const events: Array<{ event: string | null; data: string }> = [];
  for (const block of text.split('\n\n')) {
    if (block.trim() === '') continue;
    let event: string | null = null;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (event === null && data.length === 0) continue;
    events.push({ event, data: data.join('\n') });
  }
  return events;
}

/** A fetch that answers every call with this body, for driving the official SDKs' own parsers offline. */
export function fetchReturning(body: string, init: { status?: number; contentType?: string; headers?: Record<string, string> } = {}): typeof fetch {
  return (async () =>
    new Response(body, {
      status: init.status ?? 200,
      headers: { 'content-type': init.contentType ?? 'text/event-stream', ...init.headers },
    })) as typeof fetch;
}
