import type { AttemptEnd } from '@switchyard/contracts';
import type { StreamPart } from '@switchyard/llm-spec';

/** A heartbeat frame never changes: encoded once. */
export const HEARTBEAT_FRAME = '{"k":"heartbeat"}';

/** Room kept in every frame for the envelope and the `end` timings. */
const ENVELOPE_RESERVE_BYTES = 512;

/** UTF-8 size of a JSON string, computed only when the cheap upper bound (3 bytes per UTF-16 unit) does not fit. */
function fits(json: string, maxBytes: number): boolean {
  return json.length * 3 <= maxBytes || Buffer.byteLength(json, 'utf8') <= maxBytes;
}

function partsFrame(parts: StreamPart[], end: AttemptEnd | undefined): string {
  return JSON.stringify(end ? { k: 'parts', parts, end } : { k: 'parts', parts });
}

/**
 * Encodes a batch of canonical parts as `parts` frames for the caller's inbox: one frame in the common case (a
 * single `JSON.stringify`), several when the batch would exceed `maxBytes` (the NATS max payload, minus room). The
 * split keeps the stream grammar: parts stay in order, an oversized text, reasoning, refusal or tool-argument
 * delta becomes several consecutive deltas of the same kind, and `end` rides only on the last frame.
 */
export function encodePartsFrames(parts: StreamPart[], end: AttemptEnd | undefined, maxBytes: number): string[] {
  const whole = partsFrame(parts, end);
  if (fits(whole, maxBytes)) return [whole];
  const budget = Math.max(1_024, maxBytes - ENVELOPE_RESERVE_BYTES);
  const frames: string[] = [];
  let batch: StreamPart[] = [];
  let batchBytes = 0;
  const flush = () => {
    if (batch.length > 0) frames.push(partsFrame(batch, undefined));
    batch = [];
    batchBytes = 0;
  };
  for (const part of parts) {
    const size = Buffer.byteLength(JSON.stringify(part), 'utf8') + 1;
    if (size > budget) {
      flush();
      for (const piece of splitPart(part, budget)) frames.push(partsFrame([piece], undefined));
      continue;
    }
    if (batchBytes + size > budget) flush();
    batch.push(part);
    batchBytes += size;
  }
  if (batch.length > 0) {
    frames.push(partsFrame(batch, end));
  } else if (end) {
    frames.push(partsFrame([], end));
  }
  return frames;
}

/** Splits one oversized delta into consecutive deltas that fit; other part kinds cannot be split and go alone. */
export function splitPart(part: StreamPart, budgetBytes: number): StreamPart[] {
  // JSON escaping can make one UTF-16 unit up to 6 bytes ("\u0001"); leave room for the part's own fields.
  const maxChars = Math.max(64, Math.floor((budgetBytes - 256) / 6));
  switch (part.type) {
    case 'text-delta':
    case 'refusal-delta':
      return chunkText(part.text, maxChars).map((text) => ({ ...part, text }));
    case 'reasoning-delta': {
      const { details, ...rest } = part;
      const pieces = chunkText(part.text, maxChars).map((text): StreamPart => ({ ...rest, text }));
      // Reasoning details (signatures) belong to the whole block: they ride on the last piece, unsplit.
      if (details !== undefined && pieces.length > 0) pieces[pieces.length - 1] = { ...rest, text: (pieces[pieces.length - 1] as { text: string }).text, details };
      return pieces;
    }
    case 'tool-call-delta':
      return chunkText(part.argumentsDelta, maxChars).map((argumentsDelta) => ({ ...part, argumentsDelta }));
    default:
      return [part];
  }
}

/** Cuts text into pieces of at most `maxChars` UTF-16 units without splitting a surrogate pair. */
export function chunkText(text: string, maxChars: number): string[] {
  if (text.length <= maxChars) return [text];
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + maxChars);
    if (end < text.length) {
      const code = text.charCodeAt(end - 1);
      if (code >= 0xd800 && code <= 0xdbff) end -= 1;
    }
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}
