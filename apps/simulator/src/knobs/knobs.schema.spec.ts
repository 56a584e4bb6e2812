import { baseKnobs, parseKnobsJson, resolveKnobs } from './knobs.schema.js';

describe('knobs', () => {
  it('parses SIMULATOR_KNOBS per model, empty when unset', () => {
    expect(parseKnobsJson(undefined)).toEqual({});
    expect(parseKnobsJson('  ')).toEqual({});
    expect(parseKnobsJson('{"*":{"ttftMs":0},"openai/gpt-4o-mini":{"failureRate":0.5,"failureStatus":429}}')).toEqual({
      '*': { ttftMs: 0 },
      'openai/gpt-4o-mini': { failureRate: 0.5, failureStatus: 429 },
    });
  });

  it('rejects malformed JSON, unknown knobs and out-of-range values with the path', () => {
    expect(() => parseKnobsJson('{')).toThrow(/not valid JSON/);
    expect(() => parseKnobsJson('{"m":{"latency":5}}')).toThrow(/m/);
    expect(() => parseKnobsJson('{"m":{"failureRate":2}}')).toThrow(/m\.failureRate/);
    expect(() => parseKnobsJson('{"m":{"failureMode":"explode"}}')).toThrow(/m\.failureMode/);
    expect(() => parseKnobsJson('[1]')).toThrow();
  });

  it('overlays defaults, then *, then the model, field by field', () => {
    const base = baseKnobs({ completionTokens: 24, reasoningTokens: 16 });
    const effective = resolveKnobs(base, { ttftMs: 50, chunkCount: 3 }, { ttftMs: 10, failureRate: 0.5 });
    expect(effective).toMatchObject({ ttftMs: 10, chunkCount: 3, failureRate: 0.5, completionTokens: 24, failureStatus: 500, failureMode: 'status' });
    expect(resolveKnobs(base, undefined, undefined)).toEqual(base);
  });
});
