import { AvailabilityError } from '@switchyard/contracts';
import { MIDDLE_OUT_DEFAULT_CONTEXT, messageLimitOf, middleOut, middleOutRequested, type CanonicalChatRequest } from '@switchyard/llm-spec';
import type { AccountPolicy, PlanError, PlanResult } from '@switchyard/routing-policy';
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

/**
 * Middle-out context compression (reference §11.8) for a request the planner refused as too long: when the request
 * asks for it (`transforms: ["middle-out"]`, the `context-compression` plugin), or says nothing and the largest
 * context left is at most 8k tokens (OpenRouter's default), turns are dropped from the middle of the conversation
 * until the prompt and `max_tokens` fit that context. Null when compression is off, the failure was not the
 * context length, or dropping turns cannot make it fit.
 */
/**
 * Middle-out's message-count rule (reference §11.8): when the request asked for compression and the model planned
 * first takes fewer messages than it carries (Claude: 1,000), turns go from the middle until it fits. Null when
 * nothing needs dropping (or compression was not asked for).
 */
export function trimmedToMessageLimit(request: CanonicalChatRequest, modelId: string): CanonicalChatRequest | null {
  const limit = messageLimitOf(modelId);
  if (limit === undefined || request.messages.length <= limit || middleOutRequested(request) !== true) return null;
  const trimmed = middleOut(request, Number.POSITIVE_INFINITY, limit);
  return trimmed && trimmed.dropped > 0 ? trimmed.request : null;
}

export function compressedToFit(request: CanonicalChatRequest, failure: PlanError): CanonicalChatRequest | null {
  const limit = failure.constraint?.field === 'context_length' ? failure.constraint.limit : undefined;
  if (limit === undefined) return null;
  const asked = middleOutRequested(request);
  if (asked === false || (asked === undefined && limit > MIDDLE_OUT_DEFAULT_CONTEXT)) return null;
  return middleOut(request, limit - (request.max_tokens ?? 0))?.request ?? null;
}
