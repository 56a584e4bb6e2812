import {
  attemptBillingSchema,
  attemptUsageOutcomeSchema,
  type AttemptRecord,
  type GenerationCompleted,
  type ParsedAttemptBilling,
} from '@switchyard/contracts';
import { usageSchema, type Usage } from '@switchyard/llm-spec';
import { chargeFor, formatMoney } from '@switchyard/money';
import { modelOfEndpoint, providerOfEndpoint } from '../generations/generation-view.js';
import type { GenerationRow } from '../generations/generation-row.js';
import { placeholderGeneration, type StoredAttemptUsage } from './attempt-usage-row.js';

/**
 * What the reconciler does with an orphan (attempt usage, no `generation-completed`):
 * - `charge`: publish this `generation-completed` (the ingress that served it died before publishing): billing debits
 *   it, metering records it, both idempotently by the generation id, so a late original changes nothing;
 * - `unbilled`: the generation's last attempt was never delivered (it failed, so the request failed over or failed
 *   for good, or its ingress died while failing over): nothing to record or charge;
 * - `placeholder`: attempts without charge inputs (older providers, other callers): record the tokens, unpriced.
 */
export type OrphanDecision =
  | { kind: 'charge'; generationId: string; event: GenerationCompleted }
  | { kind: 'unbilled'; generationId: string }
  | { kind: 'placeholder'; generationId: string; row: GenerationRow };

interface ChargedAttempt {
  stored: StoredAttemptUsage;
  outcome: ReturnType<typeof attemptUsageOutcomeSchema.parse>;
  billing: ParsedAttemptBilling;
}

function parsed(attempt: StoredAttemptUsage): ChargedAttempt | undefined {
  const outcome = attemptUsageOutcomeSchema.safeParse(attempt.outcome);
  const billing = attemptBillingSchema.safeParse(attempt.billing);
  return outcome.success && billing.success ? { stored: attempt, outcome: outcome.data, billing: billing.data } : undefined;
}

/** The provider-reported usage of a stored attempt, as the original event carried it. */
export function storedUsage(attempt: StoredAttemptUsage): Usage {
  return usageSchema.parse({
    promptTokens: attempt.prompt_tokens,
    completionTokens: attempt.completion_tokens,
    totalTokens: attempt.total_tokens,
    cachedTokens: attempt.cached_tokens,
    cacheWriteTokens: attempt.cache_write_tokens,
    reasoningTokens: attempt.reasoning_tokens,
    ...(attempt.prompt_images === null ? {} : { images: attempt.prompt_images }),
    ...(attempt.usage_estimated ? { estimated: true } : {}),
    ...(attempt.usage_raw === null || attempt.usage_raw === undefined ? {} : { raw: attempt.usage_raw }),
  });
}

/**
 * Decides an orphan from every attempt usage of its generation. Failover only happens before content reaches the
 * client, so only the generation's **last** attempt (by ingress's attempt number) can have been delivered; it is
 * charged when providers delivered it (it finished, or sent content before failing or being cancelled), exactly as
 * ingress charges: `chargeFor` with the price snapshot, prompt-logging and BYOK inputs ingress sent with it.
 */
export function decideOrphan(attempts: ReadonlyArray<StoredAttemptUsage>): OrphanDecision {
  if (attempts.length === 0) throw new RangeError('an orphan has at least one attempt');
  const generationId = attempts[0]!.generation_id;
  const charged = attempts.map(parsed);
  if (charged.some((attempt) => attempt === undefined)) return { kind: 'placeholder', generationId, row: placeholderGeneration(attempts) };
  const ordered = (charged as ChargedAttempt[]).sort(
    (left, right) =>
      left.billing.attemptNumber - right.billing.attemptNumber ||
      left.stored.attempted_at.getTime() - right.stored.attempted_at.getTime() ||
      (left.stored.attempt_id < right.stored.attempt_id ? -1 : 1),
  );
  const last = ordered[ordered.length - 1]!;
  if (!last.outcome.ok && !last.outcome.contentSent) return { kind: 'unbilled', generationId };
  return { kind: 'charge', generationId, event: reconciledEvent(last, ordered) };
}

function reconciledEvent(served: ChargedAttempt, ordered: ReadonlyArray<ChargedAttempt>): GenerationCompleted {
  const { stored, outcome, billing } = served;
  const usage = storedUsage(stored);
  // Exactly the pipeline's charge: the same inputs give the same cost to the last digit.
  const charge = chargeFor({
    usage: { promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, cachedTokens: usage.cachedTokens, cacheWriteTokens: usage.cacheWriteTokens, requests: billing.requests },
    pricing: billing.pricing,
    finishReason: outcome.finishReason,
    promptLogging: billing.promptLogging,
    isByok: billing.isByok,
    byokFeeWaived: billing.byokFeeWaived,
  });
  const firstAt = ordered[0]!.stored.attempted_at.getTime();
  const requestedAt = billing.requestedAt !== undefined && Number.isFinite(Date.parse(billing.requestedAt)) ? Date.parse(billing.requestedAt) : firstAt - (ordered[0]!.outcome.durationMs ?? 0);
  const attempts: AttemptRecord[] = ordered.map((attempt) => ({
    attemptId: attempt.stored.attempt_id,
    endpointId: attempt.stored.endpoint_id,
    providerSlug: providerOfEndpoint(attempt.stored.endpoint_id) ?? attempt.stored.endpoint_id,
    providerName: attempt.billing.providerName,
    modelId: modelOfEndpoint(attempt.stored.endpoint_id),
    ok: attempt.outcome.ok,
    status: attempt.outcome.status,
    errorType: attempt.outcome.errorType,
    message: null,
    latencyMs: attempt.outcome.durationMs,
    isByok: attempt.billing.isByok,
  }));
  return {
    id: stored.generation_id,
    requestId: stored.generation_id,
    accountId: stored.account_id,
    keyId: billing.keyId,
    keyHash: billing.keyHash,
    leaseId: billing.leaseId,
    apiType: billing.apiType,
    model: billing.model,
    requestedModel: billing.requestedModel,
    endpointId: stored.endpoint_id,
    providerSlug: providerOfEndpoint(stored.endpoint_id),
    providerName: billing.providerName,
    upstreamId: null,
    isByok: billing.isByok,
    streamed: billing.streamed,
    cancelled: outcome.cancelled,
    createdAt: new Date(requestedAt).toISOString(),
    latencyMs: Math.max(0, stored.attempted_at.getTime() - requestedAt),
    generationTimeMs: outcome.durationMs,
    overheadMs: 0,
    ttftMs: null,
    usage,
    pricing: billing.pricing,
    cost: formatMoney(charge.cost),
    upstreamCost: formatMoney(charge.listCost),
    cacheDiscount: formatMoney(charge.breakdown.cacheDiscount),
    finishReason: outcome.finishReason,
    nativeFinishReason: null,
    attempts,
    content: null,
    reconciled: true,
  };
}
