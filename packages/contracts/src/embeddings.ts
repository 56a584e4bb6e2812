import { upstreamErrorSchema, usageSchema } from '@switchyard/llm-spec';
import { z } from 'zod';
import { attemptBillingSchema } from './providers.js';

/** Token ids are non-negative integers. */
const tokenIdSchema = z.number().int().nonnegative();

/**
 * The canonical embeddings request (`@switchyard/adapters`' `CanonicalEmbeddingsRequest`): the inputs as a list of
 * strings or of token-id arrays (never mixed), the output size, the encoding the client wants back, and the
 * retrieval role of the inputs. The model is the endpoint's; `user` is never forwarded.
 */
export const canonicalEmbeddingsRequestSchema = z.object({
  /** Absent in calls from before rerank shared the subject. */
  operation: z.literal('embeddings').optional(),
  input: z.union([z.array(z.string()).min(1), z.array(z.array(tokenIdSchema).min(1)).min(1)]),
  dimensions: z.number().int().positive().optional(),
  encodingFormat: z.enum(['float', 'base64']).default('float'),
  inputType: z.string().min(1).optional(),
});
export type CanonicalEmbeddingsRequestInput = z.input<typeof canonicalEmbeddingsRequestSchema>;

/** Most documents one rerank call takes (Cohere's and Together's limit). */
export const MAX_RERANK_DOCUMENTS = 1000;

/**
 * The canonical rerank request (`@switchyard/adapters`' `CanonicalRerankRequest`), marked `operation: "rerank"`:
 * the query, the documents as text, and how many of the best to return. The model is the endpoint's.
 */
export const canonicalRerankRequestSchema = z.object({
  operation: z.literal('rerank'),
  query: z.string().min(1),
  documents: z.array(z.string()).min(1).max(MAX_RERANK_DOCUMENTS),
  topN: z.number().int().positive().optional(),
});
export type CanonicalRerankRequestInput = z.input<typeof canonicalRerankRequestSchema>;

/** One document's score as an upstream ranked it. */
export const rerankScoreSchema = z.object({ index: z.number().int().nonnegative(), relevanceScore: z.number() });
export type RerankScoreFrame = z.infer<typeof rerankScoreSchema>;

export const embedTimeoutsSchema = z.object({
  /** Connecting to the upstream and receiving its response headers, ms. */
  connectMs: z.number().int().positive(),
  /** The whole upstream call, request sent to last byte, ms. */
  totalMs: z.number().int().positive(),
});
export type EmbedTimeouts = z.infer<typeof embedTimeoutsSchema>;

/**
 * `sy.providers.embed.v1` (raw NATS, queue group `providers`): one unary call against one upstream endpoint — an
 * embeddings call, or a rerank call (`request.operation: "rerank"`) — published by ingress with its own inbox as the
 * reply subject; providers answers with `providerEmbedFrameSchema` frames on it. Same endpoint, BYOK, timeout and
 * billing fields as a chat attempt.
 */
export const providerEmbedRequestSchema = z.object({
  attemptId: z.string().min(1),
  generationId: z.string().min(1),
  accountId: z.string().min(1),
  endpoint: z.object({
    id: z.string(),
    modelId: z.string(),
    providerSlug: z.string(),
    upstreamModelId: z.string(),
  }),
  /** Use the account's own key for this provider (BYOK) instead of the platform key. */
  byok: z.boolean().default(false),
  request: z.discriminatedUnion('operation', [canonicalEmbeddingsRequestSchema, canonicalRerankRequestSchema]),
  timeouts: embedTimeoutsSchema,
  /** Heartbeat interval while the upstream is working, ms (the caller's liveness check relies on it). */
  heartbeatMs: z.number().int().positive().default(1000),
  /** An active health probe (counts for the circuit breaker, never billed). */
  probe: z.boolean().default(false),
  /** Charge inputs of the generation (`apiType` "embeddings" or "rerank"), copied into `attempt-usage` for reconciliation. */
  billing: attemptBillingSchema.optional(),
});
export type ProviderEmbedRequest = z.input<typeof providerEmbedRequestSchema>;
export type ParsedProviderEmbedRequest = z.infer<typeof providerEmbedRequestSchema>;

/** One embedding as the client asked for it: numbers, or base64 of little-endian float32 (OpenAI's `base64`). */
export const embeddingVectorSchema = z.union([z.array(z.number()), z.string()]);

/**
 * Embeddings are large (thousands of numbers per input, up to 2048 inputs), so they travel in frames under the NATS
 * payload limit. An item with `more: true` continues in the next item of the same `index` (arrays and strings are
 * concatenated): one embedding can span frames.
 */
export const embedItemSchema = z.object({
  index: z.number().int().nonnegative(),
  embedding: embeddingVectorSchema,
  more: z.literal(true).optional(),
});
export type EmbedItem = z.infer<typeof embedItemSchema>;

/**
 * Frames providers publishes to the caller's inbox, in order: `items` (parts of the embeddings, input order; none
 * for a rerank call, whose scores ride on `done`),
 * `heartbeat` while the upstream works, then exactly one `done` (count, usage, timings) or `failed` (the attempt
 * failed before any item was sent; failover is always possible, as nothing reached the client).
 */
export const providerEmbedFrameSchema = z.discriminatedUnion('k', [
  z.object({ k: z.literal('items'), items: z.array(embedItemSchema) }),
  z.object({ k: z.literal('heartbeat') }),
  z.object({
    k: z.literal('done'),
    /** Embeddings sent (= inputs); 0 for a rerank call. */
    count: z.number().int().nonnegative(),
    /** A rerank call's scores, best first (at most `topN`). */
    results: z.array(rerankScoreSchema).optional(),
    usage: usageSchema,
    upstreamId: z.string().nullable().default(null),
    upstreamModel: z.string().nullable().default(null),
    /** Request sent to last byte, ms. */
    upstreamMs: z.number().nonnegative(),
    upstreamStatus: z.number().int(),
  }),
  z.object({ k: z.literal('failed'), error: upstreamErrorSchema, upstreamMs: z.number().nonnegative() }),
]);
export type ProviderEmbedFrame = z.infer<typeof providerEmbedFrameSchema>;
