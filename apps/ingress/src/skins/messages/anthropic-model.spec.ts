import { openRouterIdForAnthropicName } from './anthropic-model.js';

describe('openRouterIdForAnthropicName', () => {
  it.each([
    ['claude-sonnet-4-5-20250929', 'anthropic/claude-sonnet-4.5'],
    ['claude-sonnet-4-5', 'anthropic/claude-sonnet-4.5'],
    ['claude-3-5-haiku-latest', 'anthropic/claude-3.5-haiku'],
    ['claude-3-7-sonnet-20250219', 'anthropic/claude-3.7-sonnet'],
    ['claude-opus-4-20250514', 'anthropic/claude-opus-4'],
    ['claude-opus-4-1', 'anthropic/claude-opus-4.1'],
    ['claude-haiku-4-5:thinking', 'anthropic/claude-haiku-4.5:thinking'],
  ])('maps %s to %s', (name, id) => {
    expect(openRouterIdForAnthropicName(name)).toBe(id);
  });

  it('leaves ids with an author and non-Claude names alone', () => {
    expect(openRouterIdForAnthropicName('anthropic/claude-sonnet-4.5')).toBeUndefined();
    expect(openRouterIdForAnthropicName('gpt-4o')).toBeUndefined();
  });
});
