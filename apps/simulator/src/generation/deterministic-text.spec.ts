import { base62Id, fnv1a, requestSeed, signatureFor, VOCABULARY, wordsFor } from './deterministic-text.js';

describe('deterministic text', () => {
  it('hashes with 32-bit FNV-1a (reference vectors)', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });

  it('gives the same words for the same model and message, and different words otherwise', () => {
    const seed = requestSeed('openai/gpt-4o-mini', 'hello');
    expect(wordsFor(seed, 24)).toEqual(wordsFor(requestSeed('openai/gpt-4o-mini', 'hello'), 24));
    expect(wordsFor(seed, 24)).not.toEqual(wordsFor(requestSeed('openai/gpt-4o-mini', 'hello!'), 24));
    expect(wordsFor(seed, 24)).not.toEqual(wordsFor(requestSeed('anthropic/claude-haiku-4.5', 'hello'), 24));
  });

  it('draws every word from the vocabulary, one token each', () => {
    const words = wordsFor(requestSeed('m', 'x'), 500);
    expect(words).toHaveLength(500);
    for (const word of words) {
      expect(VOCABULARY).toContain(word);
      expect(word.length).toBeLessThanOrEqual(8);
    }
    // A longer answer starts with the shorter one: max_tokens cuts, it does not reshuffle.
    expect(wordsFor(requestSeed('m', 'x'), 10)).toEqual(words.slice(0, 10));
  });

  it('derives stable ids and base64 signatures', () => {
    expect(base62Id(42, 24)).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(base62Id(42, 24)).toBe(base62Id(42, 24));
    const signature = signatureFor('some reasoning');
    expect(Buffer.from(signature, 'base64')).toHaveLength(48);
    expect(signatureFor('some reasoning')).toBe(signature);
    expect(signatureFor('other reasoning')).not.toBe(signature);
  });
});
