import { AvailabilityError } from '@switchyard/contracts';
import type { AccountPolicy, PlanResult } from '@switchyard/routing-policy';
import type { Caller } from '../auth/authenticator.service.js';

/** What the planner needs to know of the caller's account: its privacy policy and provider lists. */
export function accountPolicyOf(caller: Caller): AccountPolicy {
  return {
    allowTraining: caller.account.privacy.allowTraining,
    allowRetention: caller.account.privacy.allowRetention,
    requireZdr: caller.account.privacy.requireZdr,
    allowedProviders: caller.account.allowedProviders ?? undefined,
    ignoredProviders: caller.account.ignoredProviders,
    byokProviders: caller.account.byokProviders,
  };
}

/** The planner found no endpoint: its status, code and reasons in OpenRouter's error (every API the same). */
export function planFailure(result: Extract<PlanResult, { ok: false }>): AvailabilityError {
  const error = result.error;
  return new AvailabilityError(error.status, error.code, error.message, {
    requested_models: error.requestedModels,
    excluded_by: error.excludedBy,
    ...(error.constraint ? { constraint: error.constraint } : {}),
  });
}
