import { chatPromptTokens, inputTokens, messageTokens, sliceTokens, textTokens } from './tokens.js';
import fc from 'fast-check';

describe('token counting (the documented rule tests elsewhere predict usage with)', () => {
  it('counts text as ceil(length / 4)', () => {
    expect(textTokens('')).toBe(0);
    expect(textTokens('abc')).toBe(1);
    expect(textTokens('abcd')).toBe(1);
    expect(textTokens('abcde')).toBe(2);
  });

  it('counts a chat prompt as 3 + Σ(4 + ceil(chars/4) + 85 per media part) + ceil(tools JSON / 4)', () => {
    expect(chatPromptTokens([{ characters: 11, mediaParts: 0 }])).toBe(3 + 4 + 3);
    expect(chatPromptTokens([{ characters: 8, mediaParts: 0 }, { characters: 0, mediaParts: 1 }])).toBe(3 + (4 + 2) + (4 + 0 + 85));
    expect(chatPromptTokens([], 10)).toBe(3 + 3);
    expect(messageTokens({ characters: 0, mediaParts: 0 })).toBe(4);
  });

  it('counts raw inputs without overhead and token-id inputs one per id', () => {
    expect(inputTokens(['hello', 'abcd'])).toBe(2 + 1);
    expect(inputTokens([[1, 2, 3]])).toBe(3);
  });

  it('splits a text on 4-character boundaries into slices whose tokens add up to the whole', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.integer({ min: 1, max: 20 }), (text, pieceTokens) => {
        const size = pieceTokens * 4;
        let total = 0;
        for (let start = 0; start < text.length; start += size) total += sliceTokens(start, Math.min(text.length, start + size));
        expect(total).toBe(textTokens(text));
      }),
    );
  });
});
