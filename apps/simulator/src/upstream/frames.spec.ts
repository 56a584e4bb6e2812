import fc from 'fast-check';
import { textTokens } from '../tokens.js';
import { jsonPieces, wordPieces } from './frames.js';

describe('stream pieces', () => {
  it('one word a piece by default; chunkCount pieces otherwise; text and tokens preserved', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('oak', 'river', 'mist'), { maxLength: 60 }), fc.integer({ min: 0, max: 80 }), (words, chunkCount) => {
        const pieces = wordPieces(words, chunkCount);
        expect(pieces.map((piece) => piece.text).join('')).toBe(words.join(' '));
        expect(pieces.reduce((sum, piece) => sum + piece.tokens, 0)).toBe(words.length);
        expect(pieces).toHaveLength(chunkCount === 0 ? words.length : Math.min(chunkCount, words.length));
        for (const piece of pieces) expect(piece.tokens).toBeGreaterThan(0);
      }),
    );
  });

  it('cuts JSON into pieces whose tokens add up to the whole', () => {
    fc.assert(
      fc.property(fc.json(), fc.integer({ min: 0, max: 10 }), (json, chunkCount) => {
        const pieces = jsonPieces(json, chunkCount);
        expect(pieces.map((piece) => piece.text).join('')).toBe(json);
        expect(pieces.reduce((sum, piece) => sum + piece.tokens, 0)).toBe(textTokens(json));
        if (chunkCount > 0) expect(pieces.length).toBeLessThanOrEqual(chunkCount);
      }),
    );
  });
});
