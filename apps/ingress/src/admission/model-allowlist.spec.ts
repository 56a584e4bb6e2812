import type { PlannedAttempt } from '@switchyard/routing-policy';
import { attemptsAllowedForKey, modelAllowed } from './model-allowlist.js';

const attempt = (modelId: string) => ({ model: { id: modelId }, endpoint: { id: `${modelId}@p` } }) as unknown as PlannedAttempt;

describe('a key’s model allowlist', () => {
  it('matches ids exactly or by * wildcards, case-insensitively; null allows every model', () => {
    const patterns = ['openai/*', 'Anthropic/claude-haiku-4.5', 'meta-llama/llama-3.*-instruct'];
    expect(modelAllowed(patterns, 'openai/gpt-4o-mini')).toBe(true);
    expect(modelAllowed(patterns, 'anthropic/claude-haiku-4.5')).toBe(true);
    expect(modelAllowed(patterns, 'meta-llama/llama-3.3-70b-instruct')).toBe(true);
    expect(modelAllowed(patterns, 'anthropic/claude-sonnet-4.5')).toBe(false);
    expect(modelAllowed(patterns, 'openai-compatible/x')).toBe(false);
    // A dot is a dot, not any character.
    expect(modelAllowed(['anthropic/claude-haiku-4.5'], 'anthropic/claude-haiku-425')).toBe(false);
    expect(modelAllowed(['*'], 'any/model')).toBe(true);
    expect(modelAllowed(null, 'any/model')).toBe(true);
  });

  it('keeps the planned attempts on allowed models in order, and refuses with a 403 naming the allowlist when none is left', () => {
    const plan = [attempt('anthropic/claude-sonnet-4.5'), attempt('openai/gpt-4o-mini'), attempt('openai/gpt-4.1-nano')];
    expect(attemptsAllowedForKey(['openai/*'], 'anthropic/claude-sonnet-4.5', plan).map((entry) => entry.model.id)).toEqual(['openai/gpt-4o-mini', 'openai/gpt-4.1-nano']);
    expect(attemptsAllowedForKey(null, 'x', plan)).toBe(plan);
    expect(() => attemptsAllowedForKey(['google/*'], 'anthropic/claude-sonnet-4.5', plan)).toThrow(
      expect.objectContaining({ status: 403, message: 'Request blocked: this key may only use google/*; anthropic/claude-sonnet-4.5 is not among them', metadata: expect.objectContaining({ allowed_models: ['google/*'] }) }),
    );
  });
});
