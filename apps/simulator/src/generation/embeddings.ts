import { createRandom, fnv1a } from './deterministic-text.js';

/**
 * A deterministic unit vector for (model, input): components drawn from a PRNG seeded by the hash of both, rounded
 * to float32 (so the float and base64 encodings carry the same numbers), then scaled to length 1.
 */
export function embeddingVector(model: string, input: string, dimensions: number): number[] {
  const random = createRandom(fnv1a(input, fnv1a('\u0000embedding\u0000', fnv1a(model))));
  const values = new Array<number>(dimensions);
  let norm = 0;
  for (let index = 0; index < dimensions; index++) {
    const value = random() * 2 - 1;
    values[index] = value;
    norm += value * value;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let index = 0; index < dimensions; index++) values[index] = Math.fround(values[index] * scale);
  if (norm === 0) values[0] = 1;
  return values;
}

/** OpenAI's `encoding_format: "base64"`: the float32 little-endian bytes, base64-encoded. */
export function embeddingBase64(values: readonly number[]): string {
  const buffer = Buffer.allocUnsafe(values.length * 4);
  for (let index = 0; index < values.length; index++) buffer.writeFloatLE(values[index], index * 4);
  return buffer.toString('base64');
}
