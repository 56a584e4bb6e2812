import { ForbiddenError } from '@switchyard/contracts';
import { matchesModelPattern, type PlannedAttempt } from '@switchyard/routing-policy';

/** Whether a key whose allowlist is `patterns` (null: every model) may use `modelId` (without its variant). */
export function modelAllowed(patterns: readonly string[] | null | undefined, modelId: string): boolean {
  return !patterns || matchesModelPattern(patterns, modelId);
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
