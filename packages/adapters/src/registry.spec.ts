import { getAdapter } from './registry.js';

describe('getAdapter', () => {
  it.each([
    ['openai', 'groq', 'openai-compatible:groq', 'openai'],
    ['openai', undefined, 'openai-compatible:openai', 'openai'],
    ['anthropic', undefined, 'anthropic', 'anthropic'],
    ['gemini', undefined, 'gemini', 'gemini'],
    ['azure', undefined, 'azure', 'azure'],
  ])('%s / %s → %s', (wireFormat, preset, id, format) => {
    const adapter = getAdapter(wireFormat, preset);
    expect(adapter.id).toBe(id);
    expect(adapter.wireFormat).toBe(format);
    expect(adapter.supportedParameters.length).toBeGreaterThan(0);
  });

  it('shares one stateless adapter per wire format and preset', () => {
    expect(getAdapter('openai', 'groq')).toBe(getAdapter('openai', 'groq'));
    expect(getAdapter('openai', 'groq')).not.toBe(getAdapter('openai', 'together'));
  });

  it('throws for an unknown wire format or preset, including inherited property names', () => {
    expect(() => getAdapter('bedrock')).toThrow(/unknown wire format "bedrock"/);
    expect(() => getAdapter('openai', 'nope')).toThrow(/unknown OpenAI-compatible preset "nope"/);
    expect(() => getAdapter('openai', 'constructor')).toThrow(/unknown OpenAI-compatible preset/);
  });
});
