import fc from 'fast-check';
import { budgetForEffort, clampEffort, effortForBudget, reasoningIntent } from './reasoning-effort.js';

describe('reasoning effort ↔ budget (reference §3.5)', () => {
  it.each([
    ['max', 9500],
    ['xhigh', 9500],
    ['high', 8000],
    ['medium', 5000],
    ['low', 2000],
    ['minimal', 1000],
    ['none', 0],
  ] as const)('%s spends %d of 10000 max_tokens', (effort, budget) => {
    expect(budgetForEffort(effort, 10_000)).toBe(budget);
  });

  it('maps a budget made from an effort back to that effort', () => {
    fc.assert(
      fc.property(fc.constantFrom('minimal', 'low', 'medium', 'high', 'xhigh' as const), fc.integer({ min: 1000, max: 200_000 }), (effort, maxTokens) => {
        expect(effortForBudget(budgetForEffort(effort, maxTokens), maxTokens)).toBe(effort);
      }),
    );
  });

  it('clamps to the nearest level a provider takes, ties going up', () => {
    expect(clampEffort('medium', ['low', 'high'])).toBe('high');
    expect(clampEffort('minimal', ['low', 'high'])).toBe('low');
    expect(clampEffort('max', ['low', 'medium', 'high'])).toBe('high');
    expect(clampEffort('high', ['low', 'medium', 'high'])).toBe('high');
    expect(clampEffort('high', [])).toBeUndefined();
  });

  it.each([
    [undefined, undefined],
    [{ enabled: false }, { kind: 'disabled' }],
    [{ effort: 'none' }, { kind: 'disabled' }],
    [{ enabled: true }, { kind: 'effort', effort: 'medium', exclude: false }],
    [{ effort: 'low', exclude: true }, { kind: 'effort', effort: 'low', exclude: true }],
    [{ max_tokens: 300 }, { kind: 'budget', budgetTokens: 300, exclude: false }],
    [{ exclude: true }, { kind: 'default', exclude: true }],
  ] as const)('reads %j as %j', (reasoning, intent) => {
    expect(reasoningIntent({ reasoning: reasoning as never })).toEqual(intent);
  });
});
