import { endpointPricingSchema, streamPartSchema, upstreamErrorSchema, usageSchema, type CanonicalChatRequest } from '@switchyard/llm-spec';
import { z } from 'zod';

export const attemptTimeoutsSchema = z.object({
  /** Connecting to the upstream and receiving its response headers. */
  connectMs: z.number().int().positive(),
  /** From the request to the first content part. */
  firstTokenMs: z.number().int().positive(),
  /** Longest silence between two parts once the stream started. */
  idleMs: z.number().int().positive(),
});
export type AttemptTimeouts = z.infer<typeof attemptTimeoutsSchema>;

/** The public API a generation came through (OpenRouter's `api_type`). */
export const apiTypeSchema = z.enum(['completions', 'embeddings', 'messages', 'responses', 'rerank']);

/**
 * What is needed to charge an attempt exactly without the ingress that sent it: ingress passes it with every
 * attempt, providers copies it into `attempt-usage`, and metering's reconciler charges a generation whose ingress
 * died before publishing `generation-completed` with `chargeFor` from these inputs (the same ones ingress uses).
 */
export const attemptBillingSchema = z.object({
  keyId: z.string(),
  keyHash: z.string(),
  /** The credit lease the request was admitted under (billing credits the debit to it). */
  leaseId: z.string().nullable().default(null),
  /** 1 for the first attempt of the generation, then 2, 3…: only the last attempt can have been delivered. */
  attemptNumber: z.number().int().positive(),
  /** The model as the client asked for it, and as the generation is recorded (`model:variant` for variants). */
  requestedModel: z.string(),
  model: z.string(),
  providerName: z.string(),
  apiType: apiTypeSchema.default('completions'),
  streamed: z.boolean().default(false),
  /** The endpoint's prices at admission (USD per token). */
  pricing: endpointPricingSchema,
  /** Requests billed at `pricing.request`: 1, or a rerank's searches (one per 100 documents, as Cohere counts). */
  requests: z.number().int().positive().default(1),
  /** chargeFor's inputs: the account opted in to prompt logging (1 % off), BYOK, BYOK fee waived (allowance). */
  promptLogging: z.boolean().default(false),
  isByok: z.boolean().default(false),
  byokFeeWaived: z.boolean().default(false),
  /** When ingress received the request (ISO 8601): the generation's `createdAt`. */
  requestedAt: z.string().optional(),
});
export type AttemptBilling = z.input<typeof attemptBillingSchema>;
export type ParsedAttemptBilling = z.infer<typeof attemptBillingSchema>;

/** `sy.providers.chat.v1`: one attempt against one upstream endpoint. Sent by ingress with a reply inbox. */
export const providerChatRequestSchema = z.object({
  attemptId: z.string(),
  generationId: z.string(),
  accountId: z.string(),
  endpoint: z.object({
    id: z.string(),
    modelId: z.string(),
    providerSlug: z.string(),
    upstreamModelId: z.string(),
  }),
  /** Use the account's own key for this provider (BYOK) instead of the platform key. */
  byok: z.boolean().default(false),
  /** The canonical request, already validated by ingress. */
  request: z.custom<CanonicalChatRequest>((value) => typeof value === 'object' && value !== null && Array.isArray((value as { messages?: unknown }).messages)),
  timeouts: attemptTimeoutsSchema,
  /** Heartbeat interval while the upstream is quiet, ms. */
  heartbeatMs: z.number().int().positive().default(1000),
  /** An active health probe from the routing service (counts for the circuit breaker, never billed). */
  probe: z.boolean().default(false),
  /**
   * Charge inputs of the generation, copied into `attempt-usage` for reconciliation (absent on probes). Providers
   * only forwards them: metering validates them where they are used (`attemptUsageSchema`), so the hot path checks
   * no more than that they are an object.
   */
  billing: z.custom<AttemptBilling>((value) => typeof value === 'object' && value !== null && !Array.isArray(value)).optional(),
});
export type ProviderChatRequest = z.input<typeof providerChatRequestSchema>;
export type ParsedProviderChatRequest = z.infer<typeof providerChatRequestSchema>;

export const attemptEndSchema = z.object({
  /** Time spent on the upstream call: request sent to last byte, ms. */
  upstreamMs: z.number().nonnegative(),
  /** Request sent to first content byte, ms (null when nothing came). */
  ttftMs: z.number().nonnegative().nullable(),
  upstreamStatus: z.number().int(),
});
export type AttemptEnd = z.infer<typeof attemptEndSchema>;

/**
 * Frames providers publishes to the caller's inbox, in order: `parts` (a batch of canonical stream parts, the last
 * one carrying `end`), `heartbeat` while the upstream is quiet, or `failed` when the attempt failed (with
 * `contentSent` telling whether content parts went out before the failure, i.e. whether failover is still possible).
 */
export const providerFrameSchema = z.discriminatedUnion('k', [
  z.object({ k: z.literal('parts'), parts: z.array(streamPartSchema), end: attemptEndSchema.optional() }),
  z.object({ k: z.literal('heartbeat') }),
  z.object({
    k: z.literal('failed'),
    error: upstreamErrorSchema,
    contentSent: z.boolean(),
    upstreamMs: z.number().nonnegative(),
    ttftMs: z.number().nonnegative().nullable().default(null),
  }),
]);
export type ProviderFrame = z.infer<typeof providerFrameSchema>;

export const providerCancelSchema = z.object({ attemptId: z.string(), reason: z.string().optional() });
export type ProviderCancel = z.infer<typeof providerCancelSchema>;

/** `sy.providers.attempt-completed.v1` (core NATS): every attempt's outcome, for the routing health monitor. */
export const attemptCompletedSchema = z.object({
  attemptId: z.string(),
  generationId: z.string(),
  endpointId: z.string(),
  providerSlug: z.string(),
  modelId: z.string(),
  ok: z.boolean(),
  status: z.number().int(),
  errorType: z.string().nullable().default(null),
  retryable: z.boolean().default(false),
  ttftMs: z.number().nonnegative().nullable().default(null),
  durationMs: z.number().nonnegative(),
  completionTokens: z.number().int().nonnegative().default(0),
  tokensPerSecond: z.number().nonnegative().nullable().default(null),
  retryAfterMs: z.number().nonnegative().nullable().default(null),
  /** The request offered tools; `ok` then also says whether the tool call round went well (for :exacto). */
  usedTools: z.boolean().default(false),
  /** True for the routing service's own probes. */
  probe: z.boolean().default(false),
  at: z.number(),
});
export type AttemptCompleted = z.input<typeof attemptCompletedSchema>;

/** How an attempt ended as providers saw it (whether its content went to the caller decides whether it can be billed). */
export const attemptUsageOutcomeSchema = z.object({
  /** The upstream answered in full (a finish part was sent). */
  ok: z.boolean(),
  /** Content parts were sent to the caller (no failover was possible after that). */
  contentSent: z.boolean(),
  /** The finish reason sent (null when none: failed or cancelled). */
  finishReason: z.string().nullable().default(null),
  /** The caller cancelled the attempt. */
  cancelled: z.boolean().default(false),
  status: z.number().int(),
  errorType: z.string().nullable().default(null),
  durationMs: z.number().nonnegative().default(0),
});
export type AttemptUsageOutcome = z.input<typeof attemptUsageOutcomeSchema>;

/**
 * `sy.providers.attempt-usage.v1` (JetStream, message id = attempt id): usage of an attempt as providers saw it, for
 * reconciliation. Attempts that carry `billing` are published whatever their outcome (usage zero when none was
 * reported), so the reconciler sees every attempt of a generation in order and bills only a delivered last one.
 */
export const attemptUsageSchema = z.object({
  attemptId: z.string(),
  generationId: z.string(),
  accountId: z.string(),
  endpointId: z.string(),
  usage: usageSchema,
  at: z.number(),
  outcome: attemptUsageOutcomeSchema.optional(),
  billing: attemptBillingSchema.optional(),
});
export type AttemptUsage = z.input<typeof attemptUsageSchema>;

/** `sy.providers.credentials-changed.v1`: the providers for which an account now has its own key. */
export const credentialsChangedSchema = z.object({
  accountId: z.string(),
  providerSlugs: z.array(z.string()),
  at: z.number(),
});
export type CredentialsChanged = z.input<typeof credentialsChangedSchema>;

/**
 * `sy.providers.byok.v1`: the account holder's own provider keys (`GET|POST /api/v1/byok`, `DELETE
 * /api/v1/byok/{provider}`). `list` → `{data: ByokKey[]}`; `put` (`{provider, api_key}`) → `{data: ByokKey}`;
 * `delete` → `{deleted: true}`. A key never comes back, only its last four characters.
 */
export const byokRequestSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('list'), accountId: z.string() }),
  z.object({ op: z.literal('put'), accountId: z.string(), body: z.record(z.string(), z.unknown()) }),
  z.object({ op: z.literal('delete'), accountId: z.string(), provider: z.string() }),
]);
export type ByokRequest = z.input<typeof byokRequestSchema>;

/** One of an account's own provider keys, as the public API shows it. */
export interface ByokKey {
  provider: string;
  last4: string;
  usable: boolean;
  problem: string | null;
  created_at: string | null;
  updated_at: string | null;
}

/**
 * What ingress reads of `sy.providers.status.v1`'s reply: the active providers no request can call without its own
 * key (no usable platform key, not a simulator). Ingress plans their endpoints last. `null` while the answering replica
 * has no catalog yet (it cannot tell then): ingress asks again soon rather than take it for "none". Slugs are read
 * lower-cased (the planner matches them so).
 */
export const providersStatusSchema = z.object({ uncredentialed: z.array(z.string().transform((slug) => slug.toLowerCase())).nullable().default([]) });
