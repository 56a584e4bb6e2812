import { ForbiddenError } from '@switchyard/contracts';
import type { PlannedAttempt } from '@switchyard/routing-policy';

const compiled = new WeakMap<readonly string[], RegExp>();

/** One expression for a key's patterns ("anthropic/*", "openai/gpt-4o*"): `*` is any run of characters, case-insensitive. */
function matcherOf(patterns: readonly string[]): RegExp {
  let matcher = compiled.get(patterns);
  if (!matcher) {
    const alternatives = patterns.map((pattern) => pattern.trim().split('*').map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*'));
    matcher = new RegExp(`^(?:${alternatives.join('|')})$`, 'i');
    compiled.set(patterns, matcher);
  }
  return matcher;
}

/** Whether a key whose allowlist is `patterns` (null: every model) may use `modelId` (without its variant). */
export function modelAllowed(patterns: readonly string[] | null | undefined, modelId: string): boolean {
  return !patterns || matcherOf(patterns).test(modelId);
}

/**
 * A key's model allowlist applied to a plan: the attempts on models the key may use, in their order (a fallback
 * model the key may use serves when the first one is not allowed). None left: a 403 naming what the key allows.
 */
export function attemptsAllowedForKey(patterns: readonly string[] | null | undefined, requested: string, attempts: PlannedAttempt[]): PlannedAttempt[] {
  if (!patterns) return attempts;
  const allowed = attempts.filter((attempt) => modelAllowed(patterns, attempt.model.id));
  if (allowed.length > 0) return allowed;
  throw new ForbiddenError(`Request blocked: this key may only use ${patterns.join(', ')}; ${requested} is not among them`, { allowed_models: [...patterns], reason: 'key_allowed_models' });
}
