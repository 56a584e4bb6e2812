import fc from 'fast-check';
import { storableJson, storableJsonValue, storableText } from './postgres-text.js';

describe('postgres text', () => {
  it('replaces NUL and lone surrogates, keeps valid surrogate pairs', () => {
    expect(storableText('a\u0000b \uD800 c \uDC00 🚀')).toBe('a\uFFFDb \uFFFD c \uFFFD 🚀');
    expect(storableText('plain')).toBe('plain');
  });

  it('cleans JSON for jsonb in values and keys, at any depth', () => {
    const text = storableJson({ 'k\u0000': ['x\uD800', { deep: 'y\u0000' }], ok: '🚀' });
    expect(JSON.parse(text!)).toEqual({ 'k\uFFFD': ['x\uFFFD', { deep: 'y\uFFFD' }], ok: '🚀' });
    expect(text).not.toMatch(/\\u0000|\\ud[89a-f]/i);
  });

  it('keeps a literal backslash-u text as it is', () => {
    expect(JSON.parse(storableJson({ note: 'escape \\u0000 and \\ud800 as text' })!)).toEqual({ note: 'escape \\u0000 and \\ud800 as text' });
  });

  it('gives the same JSON as cleaning every string first, for any value', () => {
    const unicode = fc.string({ unit: fc.oneof(fc.constantFrom('\u0000', '\uD800', '\uDC00', '\\', 'u', 'd', '🚀'), fc.string({ minLength: 1, maxLength: 1 })) });
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, unicode, fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(unicode, tie('value'), { maxKeys: 4 })),
    })).value;
    fc.assert(
      fc.property(json, (value) => {
        if (value === null) return;
        expect(storableJson(value)).toBe(JSON.stringify(storableJsonValue(value)));
      }),
    );
  });

  it('is null for null and undefined', () => {
    expect(storableJson(null)).toBeNull();
    expect(storableJson(undefined)).toBeNull();
  });
});
