import { decimalStringSchema, endpointPricingSchema, usageSchema } from '@switchyard/llm-spec';
import { z } from 'zod';
import { signedDecimalSchema } from './billing.js';
import { apiTypeSchema } from './providers.js';

/** One attempt of a generation, including failed ones that were retried elsewhere (never billed). */
export const attemptRecordSchema = z.object({
  attemptId: z.string(),
  endpointId: z.string(),
  providerSlug: z.string(),
  providerName: z.string(),
  modelId: z.string(),
  ok: z.boolean(),
  status: z.number().int(),
  errorType: z.string().nullable().default(null),
  message: z.string().nullable().default(null),
  latencyMs: z.number().nonnegative(),
  isByok: z.boolean().default(false),
});
export type AttemptRecord = z.infer<typeof attemptRecordSchema>;

/**
 * `sy.metering.generation-completed.v1` (JetStream, message id = generation id): everything `GET /generation`
 * shows and billing debits. Published by ingress once per request, after the response, retried until acked.
 * Prompts and completions are never in it unless the account opted in to logging (`content`).
 */
export const generationCompletedSchema = z.object({
  id: z.string().regex(/^gen-/),
  requestId: z.string(),
  accountId: z.string(),
  keyId: z.string(),
  keyHash: z.string(),
  /** The credit lease this spend came out of (issue: admission), when the replica used one. */
  leaseId: z.string().nullable().default(null),
  apiType: apiTypeSchema.default('completions'),
  /** The model that served (after fallbacks and alias resolution). */
  model: z.string(),
  requestedModel: z.string(),
  endpointId: z.string().nullable(),
  providerSlug: z.string().nullable(),
  providerName: z.string().nullable(),
  upstreamId: z.string().nullable().default(null),
  isByok: z.boolean().default(false),
  streamed: z.boolean(),
  cancelled: z.boolean().default(false),
  createdAt: z.string(),
  /** Request received to last byte sent, ms. */
  latencyMs: z.number().nonnegative(),
  /** Upstream time of the serving attempt, ms. */
  generationTimeMs: z.number().nonnegative(),
  /** The gateway's own time: latency minus the upstream time of every attempt, ms. */
  overheadMs: z.number().nonnegative(),
  ttftMs: z.number().nonnegative().nullable().default(null),
  usage: usageSchema,
  /** Prices applied (USD per token), copied from the catalog at admission: a later price change never applies. */
  pricing: endpointPricingSchema.nullable(),
  /** What the account is charged, USD, exact decimal (0 for insured empty/error responses). */
  cost: decimalStringSchema,
  /** List-price cost before BYOK / discounts, USD. */
  upstreamCost: decimalStringSchema,
  cacheDiscount: signedDecimalSchema.default('0'),
  finishReason: z.string().nullable(),
  nativeFinishReason: z.string().nullable().default(null),
  attempts: z.array(attemptRecordSchema),
  sessionId: z.string().nullable().default(null),
  externalUser: z.string().nullable().default(null),
  appTitle: z.string().nullable().default(null),
  httpReferer: z.string().nullable().default(null),
  userAgent: z.string().nullable().default(null),
  /** Only when the account opted in to prompt logging. */
  content: z.object({ input: z.unknown(), output: z.unknown() }).nullable().default(null),
  /**
   * Published by metering's reconciler from providers' attempt usage (the ingress that served it died before
   * publishing): same id, same `chargeFor` inputs, so the cost is the one ingress would have published.
   */
  reconciled: z.boolean().default(false),
  /**
   * A response-cache hit (`X-OpenRouter-Cache`): the generation whose stored response was replayed. No provider was
   * called and nothing is charged (cost 0, usage 0); null for every generation a provider served.
   */
  responseCacheSourceId: z.string().regex(/^gen-/).nullable().default(null),
  /** The preset the request named (its slug; OpenRouter's `preset_id`); null without one. */
  preset: z.string().nullable().default(null),
});
export type GenerationCompleted = z.input<typeof generationCompletedSchema>;
export type ParsedGenerationCompleted = z.infer<typeof generationCompletedSchema>;

/** `sy.metering.generation.v1`: look up one generation of an account. Reply: the record; NotFoundError otherwise. */
/**
 * `sy.metering.activity.v1`: an account's activity grouped by UTC day and endpoint (`GET /api/v1/activity`), over
 * the last 30 completed UTC days, or one of them (`date`). Answers `{data: ActivityItem[]}`, newest day first.
 */
export const accountActivityRequestSchema = z.object({ accountId: z.string(), date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'date must be YYYY-MM-DD').optional() });
export type AccountActivityRequest = z.infer<typeof accountActivityRequestSchema>;

/** One row of `GET /api/v1/activity`, OpenRouter's shape: money in USD as numbers, as the rest of the public API. */
export interface ActivityItem {
  date: string;
  model: string;
  model_permaslug: string;
  endpoint_id: string | null;
  provider_name: string | null;
  /** What the account was charged (credits). */
  usage: number;
  /** What BYOK requests cost at the provider's list price (paid with the account's own key). */
  byok_usage_inference: number;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  reasoning_tokens: number;
}

export const generationLookupSchema = z.object({ id: z.string(), accountId: z.string() });
export type GenerationLookup = z.infer<typeof generationLookupSchema>;

/**
 * `sy.metering.generation-content.v1` (request: `generationLookupSchema`): what was stored of one generation's
 * prompt and output, only for an account that had opted in to prompt logging when it ran. Reply: this;
 * NotFoundError when the generation is not the account's or nothing was stored.
 */
export const generationContentSchema = z.object({ id: z.string(), input: z.unknown(), output: z.unknown() });
export type GenerationContent = z.infer<typeof generationContentSchema>;

/** OpenRouter's feedback categories (`POST /api/v1/generation/feedback`). */
export const feedbackCategorySchema = z.enum(['latency', 'incoherence', 'incorrect_response', 'formatting', 'billing', 'api_error', 'other']);

/**
 * `sy.metering.generation-feedback.v1`: feedback on one of the account's generations. Reply `{data: {success: true}}`;
 * NotFoundError when the generation is not the account's (or not recorded yet).
 */
export const generationFeedbackSchema = z.object({
  accountId: z.string(),
  generationId: z.string().min(1).max(200),
  category: feedbackCategorySchema,
  comment: z.string().max(4_000).optional(),
});
export type GenerationFeedback = z.infer<typeof generationFeedbackSchema>;

export const moneyString = decimalStringSchema;
