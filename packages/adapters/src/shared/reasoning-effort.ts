import type { CanonicalChatRequest, ReasoningEffort } from '@switchyard/llm-spec';

/** Share of max_tokens each effort spends on reasoning (reference §3.5). */
export const effortBudgetShare: Readonly<Record<ReasoningEffort, number>> = {
  max: 0.95,
  xhigh: 0.95,
  high: 0.8,
  medium: 0.5,
  low: 0.2,
  minimal: 0.1,
  none: 0,
};

/** Efforts from least to most, for clamping to what a provider takes. */
const effortOrder: readonly ReasoningEffort[] = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'];

/** What the request asks of reasoning, with OpenRouter's defaults applied; undefined when it says nothing. */
export type ReasoningIntent =
  | { kind: 'disabled' }
  | { kind: 'effort'; effort: Exclude<ReasoningEffort, 'none'>; exclude: boolean }
  | { kind: 'budget'; budgetTokens: number; exclude: boolean }
  /** Only `exclude: true`: reason as the model does by default, but do not return it. */
  | { kind: 'default'; exclude: boolean };

export function reasoningIntent(request: Pick<CanonicalChatRequest, 'reasoning'>): ReasoningIntent | undefined {
  const reasoning = request.reasoning;
  if (!reasoning) return undefined;
  const exclude = reasoning.exclude === true;
  if (reasoning.enabled === false || reasoning.effort === 'none') return { kind: 'disabled' };
  if (reasoning.effort) return { kind: 'effort', effort: reasoning.effort, exclude };
  if (reasoning.max_tokens !== undefined) return { kind: 'budget', budgetTokens: reasoning.max_tokens, exclude };
  if (reasoning.enabled === true) return { kind: 'effort', effort: 'medium', exclude };
  return { kind: 'default', exclude };
}

/** A thinking budget for an effort, as a share of the completion's max_tokens. */
export function budgetForEffort(effort: ReasoningEffort, maxTokens: number): number {
  return Math.floor(effortBudgetShare[effort] * maxTokens);
}

/**
 * The effort nearest a token budget, for providers that only take an effort. With max_tokens known the budget's
 * share of it decides (the §3.5 ratios in reverse); without it, absolute thresholds do.
 */
export function effortForBudget(budgetTokens: number, maxTokens?: number | null): Exclude<ReasoningEffort, 'none'> {
  if (maxTokens && maxTokens > 0) {
    const share = budgetTokens / maxTokens;
    let best: Exclude<ReasoningEffort, 'none'> = 'minimal';
    let bestDistance = Number.POSITIVE_INFINITY;
    for (const effort of ['minimal', 'low', 'medium', 'high', 'xhigh'] as const) {
      const distance = Math.abs(effortBudgetShare[effort] - share);
      if (distance < bestDistance) {
        best = effort;
        bestDistance = distance;
      }
    }
    return best;
  }
  if (budgetTokens <= 1024) return 'low';
  if (budgetTokens <= 8192) return 'medium';
  return 'high';
}

/**
 * The level a provider accepts nearest the one asked (ties go up): e.g. xAI takes only low/high, so medium → high
 * and minimal → low. Undefined when the provider takes no level at all.
 */
export function clampEffort<Level extends string>(effort: ReasoningEffort, supported: readonly Level[]): Level | undefined {
  if ((supported as readonly string[]).includes(effort)) return effort as unknown as Level;
  const wanted = effortOrder.indexOf(effort);
  let best: Level | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const level of supported) {
    const position = effortOrder.indexOf(level as unknown as ReasoningEffort);
    if (position === -1 || level === 'none') continue;
    const distance = Math.abs(position - wanted);
    if (distance < bestDistance || (distance === bestDistance && position > wanted)) {
      best = level;
      bestDistance = distance;
    }
  }
  return best;
}
