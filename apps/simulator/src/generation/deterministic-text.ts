/**
 * Deterministic text: the same request always gets the same answer. A 32-bit FNV-1a hash of the model and the
 * last user (or tool) message seeds a small PRNG (mulberry32) that picks words from a fixed vocabulary.
 */

/** 64 plain words, so every generated word is one token in the simulator's counting (README "Token counting"). */
export const VOCABULARY: readonly string[] = Object.freeze([
  'alpha', 'amber', 'anchor', 'arrow', 'atlas', 'autumn', 'beacon', 'birch',
  'bright', 'canyon', 'cedar', 'cinder', 'cobalt', 'comet', 'coral', 'crystal',
  'delta', 'drift', 'ember', 'falcon', 'fern', 'field', 'fjord', 'forest',
  'galaxy', 'garden', 'glacier', 'granite', 'harbor', 'hazel', 'horizon', 'island',
  'jasper', 'lagoon', 'lantern', 'linen', 'maple', 'meadow', 'meteor', 'mist',
  'nebula', 'north', 'oak', 'ocean', 'orbit', 'pebble', 'pine', 'prairie',
  'quartz', 'rain', 'river', 'saffron', 'signal', 'silver', 'summit', 'tide',
  'timber', 'valley', 'velvet', 'willow', 'winter', 'yonder', 'zenith', 'zephyr',
]);

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** 32-bit FNV-1a over UTF-16 code units, continuing from `seed` (so several pieces can be hashed in a row). */
export function fnv1a(text: string, seed: number = FNV_OFFSET): number {
  let hash = seed >>> 0;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

export const HASH_START = FNV_OFFSET;

/** The seed of a request's answer: its model and the text of its last user or tool message. */
export function requestSeed(model: string, lastUserText: string): number {
  return fnv1a(lastUserText, fnv1a('\u0000', fnv1a(model)));
}

/** mulberry32: a tiny, fast, well-distributed 32-bit PRNG. Returns floats in [0, 1). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` words from the vocabulary, derived from `seed`. */
export function wordsFor(seed: number, count: number): string[] {
  const random = createRandom(seed);
  const words = new Array<string>(count);
  for (let index = 0; index < count; index++) words[index] = VOCABULARY[(random() * VOCABULARY.length) | 0];
  return words;
}

/** Derives an independent seed for another stream of the same request (reasoning, tool arguments, ids). */
export function deriveSeed(seed: number, salt: string): number {
  return fnv1a(salt, seed ^ 0x9e3779b9);
}

/** A deterministic hexadecimal id of `length` characters. */
export function hexId(seed: number, length = 24): string {
  const random = createRandom(seed);
  let id = '';
  while (id.length < length) id += ((random() * 4294967296) >>> 0).toString(16).padStart(8, '0');
  return id.slice(0, length);
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A deterministic base62 id (Anthropic-style `toolu_…`/`msg_…` suffixes). */
export function base62Id(seed: number, length = 24): string {
  const random = createRandom(seed);
  let id = '';
  for (let index = 0; index < length; index++) id += BASE62[(random() * 62) | 0];
  return id;
}

/**
 * A reasoning signature: base64 of a deterministic 48-byte digest of the reasoning text, as opaque as the real
 * ones (Anthropic `signature`, Gemini `thoughtSignature`).
 */
export function signatureFor(reasoningText: string): string {
  const random = createRandom(fnv1a(reasoningText));
  const bytes = Buffer.allocUnsafe(48);
  for (let index = 0; index < bytes.length; index++) bytes[index] = (random() * 256) | 0;
  return bytes.toString('base64');
}
