import { encodeFloat32Base64 } from '@switchyard/adapters';
import { providerEmbedFrameSchema } from '@switchyard/contracts';
import fc from 'fast-check';
import { encodeEmbedItems } from './embed-frame-encoder.js';

/** What a caller does with the frames: items by index, continued pieces concatenated (only after `more`). */
function reassemble(frames: string[]): Array<number[] | string> {
  const out: Array<number[] | string> = [];
  let open: number | undefined;
  for (const text of frames) {
    const frame = providerEmbedFrameSchema.parse(JSON.parse(text));
    if (frame.k !== 'items') throw new Error(`unexpected frame ${frame.k}`);
    for (const item of frame.items) {
      const existing = out[item.index];
      if (open === item.index && existing !== undefined) {
        out[item.index] = typeof existing === 'string' ? existing + (item.embedding as string) : [...existing, ...(item.embedding as number[])];
      } else {
        expect(existing).toBeUndefined();
        expect(item.index).toBe(out.length);
        out[item.index] = item.embedding;
      }
      open = item.more ? item.index : undefined;
    }
  }
  expect(open).toBeUndefined();
  return out;
}

const float32 = fc.float({ noNaN: true, noDefaultInfinity: true }).map((value) => (Object.is(value, -0) ? 0 : value));
const floatVector = fc.array(float32, { minLength: 1, maxLength: 300 });
const embeddingsArbitrary = fc.oneof(
  fc.array(floatVector, { minLength: 1, maxLength: 12 }),
  fc.array(floatVector.map((vector) => encodeFloat32Base64(vector)), { minLength: 1, maxLength: 12 }),
);

describe('encodeEmbedItems', () => {
  it('keeps every frame under the limit and reassembles to exactly the embeddings, in order', () => {
    fc.assert(
      fc.property(embeddingsArbitrary, fc.integer({ min: 256, max: 8_192 }), (embeddings, limit) => {
        const frames = encodeEmbedItems(embeddings, limit);
        for (const frame of frames) expect(frame.length).toBeLessThanOrEqual(limit);
        expect(reassemble(frames)).toEqual(embeddings);
      }),
      { numRuns: 200 },
    );
  });

  it('packs small embeddings into one frame and writes the same JSON as JSON.stringify', () => {
    const frames = encodeEmbedItems([[0.5, -1e-7, 3], 'AAAAAA=='], 64 * 1024);
    expect(frames).toEqual([JSON.stringify({ k: 'items', items: [{ index: 0, embedding: [0.5, -1e-7, 3] }, { index: 1, embedding: 'AAAAAA==' }] })]);
    expect(encodeEmbedItems([], 4_096)).toEqual([]);
  });
});
