import { attemptUsageSchema } from '@switchyard/contracts';
import { storableJson, storableText } from '../common/postgres-text.js';
import { describeIssues, type GenerationRow, MAX_TOKEN_COUNT, type MappingResult } from '../generations/generation-row.js';
import { modelOfEndpoint, providerOfEndpoint } from '../generations/generation-view.js';

/** One row of `attempt_usage`, ready for the multi-row insert. */
export interface AttemptUsageRow {
  attemptId: string;
  generationId: string;
  accountId: string;
  endpointId: string;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  reasoningTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
  promptImages: number | null;
  usageEstimated: boolean;
  usageRaw: string | null;
  /** ISO 8601, UTC: when providers saw the usage. */
  attemptedAt: string;
  /** JSON text of how the attempt ended (`attemptUsageOutcomeSchema`); null from older providers. */
  outcome: string | null;
  /** JSON text of ingress's charge inputs (`attemptBillingSchema`); null from older providers and other callers. */
  billing: string | null;
}

/** An `attempt_usage` row as Postgres returns it. */
export interface StoredAttemptUsage {
  attempt_id: string;
  generation_id: string;
  account_id: string;
  endpoint_id: string;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  reasoning_tokens: number;
  cached_tokens: number;
  cache_write_tokens: number;
  prompt_images: number | null;
  usage_estimated: boolean;
  usage_raw: unknown;
  attempted_at: Date;
  outcome: unknown;
  billing: unknown;
}

/** Validates an `attempt-usage` payload and maps it to a row; a reason when the event is unusable (poison). */
export function mapAttemptUsageEvent(payload: unknown): MappingResult<AttemptUsageRow> {
  const parsed = attemptUsageSchema.safeParse(payload);
  if (!parsed.success) return { ok: false, reason: `invalid attempt-usage event: ${describeIssues(parsed.error.issues)}` };
  const event = parsed.data;
  const at = new Date(event.at);
  if (!Number.isFinite(event.at) || Number.isNaN(at.getTime()) || at.getUTCFullYear() < 1970 || at.getUTCFullYear() > 9999) {
    return { ok: false, reason: `at is not a usable epoch-milliseconds timestamp: ${event.at}` };
  }
  const usage = event.usage;
  for (const [name, value] of Object.entries({
    promptTokens: usage.promptTokens,
    completionTokens: usage.completionTokens,
    totalTokens: usage.totalTokens,
    reasoningTokens: usage.reasoningTokens,
    cachedTokens: usage.cachedTokens,
    cacheWriteTokens: usage.cacheWriteTokens,
    images: usage.images ?? 0,
  })) {
    if (value > MAX_TOKEN_COUNT) return { ok: false, reason: `usage.${name} ${value} exceeds ${MAX_TOKEN_COUNT}` };
  }
  return {
    ok: true,
    value: {
      attemptId: storableText(event.attemptId),
      generationId: storableText(event.generationId),
      accountId: storableText(event.accountId),
      endpointId: storableText(event.endpointId),
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      totalTokens: usage.totalTokens,
      reasoningTokens: usage.reasoningTokens,
      cachedTokens: usage.cachedTokens,
      cacheWriteTokens: usage.cacheWriteTokens,
      promptImages: usage.images ?? null,
      usageEstimated: usage.estimated === true,
      usageRaw: storableJson(usage.raw),
      attemptedAt: at.toISOString(),
      outcome: storableJson(event.outcome),
      billing: storableJson(event.billing),
    },
  };
}

/**
 * The placeholder generation of an orphan: attempts reported usage but no `generation-completed` ever arrived
 * (its ingress died between the last byte and the publish). The serving attempt is taken to be the last one that
 * reported usage (failover only happens before content, so an earlier attempt's usage was never delivered). The
 * attempt-usage event carries no prices and no key, so the record has tokens but no cost (`needsPricing`), no key,
 * and it is marked `reconciled`; a `generation-completed` arriving later replaces it.
 */
export function placeholderGeneration(attempts: ReadonlyArray<StoredAttemptUsage>): GenerationRow {
  if (attempts.length === 0) throw new RangeError('a placeholder needs at least one attempt');
  const ordered = [...attempts].sort((left, right) => left.attempted_at.getTime() - right.attempted_at.getTime() || (left.attempt_id < right.attempt_id ? -1 : 1));
  const serving = ordered[ordered.length - 1]!;
  const providerSlug = providerOfEndpoint(serving.endpoint_id);
  return {
    id: serving.generation_id,
    requestId: null,
    accountId: serving.account_id,
    keyId: null,
    keyHash: null,
    leaseId: null,
    apiType: 'completions',
    model: modelOfEndpoint(serving.endpoint_id),
    requestedModel: null,
    endpointId: serving.endpoint_id,
    providerSlug,
    providerName: providerSlug,
    upstreamId: null,
    isByok: false,
    streamed: false,
    cancelled: false,
    createdAt: ordered[0]!.attempted_at.toISOString(),
    latencyMs: null,
    generationTimeMs: null,
    overheadMs: null,
    ttftMs: null,
    promptTokens: serving.prompt_tokens,
    completionTokens: serving.completion_tokens,
    totalTokens: serving.total_tokens,
    reasoningTokens: serving.reasoning_tokens,
    cachedTokens: serving.cached_tokens,
    cacheWriteTokens: serving.cache_write_tokens,
    promptImages: serving.prompt_images,
    usageEstimated: serving.usage_estimated,
    usageRaw: storableJson(serving.usage_raw),
    cost: null,
    upstreamCost: null,
    cacheDiscount: null,
    pricing: null,
    finishReason: null,
    nativeFinishReason: null,
    attempts:
      storableJson(
        ordered.map((attempt) => ({
          attemptId: attempt.attempt_id,
          endpointId: attempt.endpoint_id,
          providerSlug: providerOfEndpoint(attempt.endpoint_id),
          modelId: modelOfEndpoint(attempt.endpoint_id),
          at: attempt.attempted_at.toISOString(),
          usage: {
            promptTokens: attempt.prompt_tokens,
            completionTokens: attempt.completion_tokens,
            totalTokens: attempt.total_tokens,
            reasoningTokens: attempt.reasoning_tokens,
            cachedTokens: attempt.cached_tokens,
            cacheWriteTokens: attempt.cache_write_tokens,
          },
          reconciled: true,
        })),
      ) ?? '[]',
    sessionId: null,
    externalUser: null,
    appTitle: null,
    httpReferer: null,
    userAgent: null,
    reconciled: true,
    needsPricing: true,
    responseCacheSourceId: null,
    preset: null,
    content: null,
  };
}
