import type { EmbeddingVector } from '@switchyard/adapters';

const FRAME_HEAD = '{"k":"items","items":[';
const FRAME_TAIL = ']}';
const MORE_TAIL = ',"more":true}';
/** Smallest room an item's payload may be given (the frame limit is at least 4 KB, so this always holds). */
const MIN_PAYLOAD = 64;

/**
 * Embeddings → `items` frames (`providerEmbedFrameSchema`) of at most `maxFrameBytes` each, in input order. Items
 * are packed greedily; an embedding too large for one frame is cut into consecutive items of the same index, all
 * but the last marked `more: true` (arrays cut between numbers, base64 strings anywhere: the caller concatenates).
 * The JSON is written by hand: numbers as `String(n)` (what JSON.stringify writes for finite numbers) and base64
 * needing no escapes, so sizes are exact and nothing is serialised twice. Everything is ASCII: characters = bytes.
 */
export function encodeEmbedItems(embeddings: readonly EmbeddingVector[], maxFrameBytes: number): string[] {
  const frames: string[] = [];
  const itemBudget = maxFrameBytes - FRAME_HEAD.length - FRAME_TAIL.length;
  let items: string[] = [];
  let size = 0;
  const flush = () => {
    if (items.length === 0) return;
    frames.push(FRAME_HEAD + items.join(',') + FRAME_TAIL);
    items = [];
    size = 0;
  };
  const add = (item: string) => {
    const extra = item.length + (items.length > 0 ? 1 : 0);
    if (items.length > 0 && size + extra > itemBudget) flush();
    size += item.length + (items.length > 0 ? 1 : 0);
    items.push(item);
  };
  for (let index = 0; index < embeddings.length; index++) {
    for (const item of itemPieces(index, embeddings[index]!, itemBudget)) add(item);
  }
  flush();
  return frames;
}

/** One embedding as item JSON strings of at most `budget` characters each. */
function itemPieces(index: number, embedding: EmbeddingVector, budget: number): string[] {
  const head = `{"index":${index},"embedding":`;
  const payloadBudget = Math.max(MIN_PAYLOAD, budget - head.length - MORE_TAIL.length);
  const payloads = typeof embedding === 'string' ? stringPayloads(embedding, payloadBudget) : arrayPayloads(embedding, payloadBudget);
  return payloads.map((payload, position) => head + payload + (position < payloads.length - 1 ? MORE_TAIL : '}'));
}

function stringPayloads(text: string, budget: number): string[] {
  const room = budget - 2;
  if (text.length <= room) return [`"${text}"`];
  const payloads: string[] = [];
  for (let offset = 0; offset < text.length; offset += room) payloads.push(`"${text.slice(offset, offset + room)}"`);
  return payloads;
}

function arrayPayloads(values: readonly number[], budget: number): string[] {
  const payloads: string[] = [];
  let current: string[] = [];
  let size = 2;
  for (const value of values) {
    const text = String(value);
    const extra = text.length + (current.length > 0 ? 1 : 0);
    if (current.length > 0 && size + extra > budget) {
      payloads.push(`[${current.join(',')}]`);
      current = [];
      size = 2;
    }
    size += text.length + (current.length > 0 ? 1 : 0);
    current.push(text);
  }
  payloads.push(`[${current.join(',')}]`);
  return payloads;
}
