import { z } from 'zod';

/**
 * OpenRouter's model object (reference §6.1) as clients validate it (e.g. `@openrouter/sdk`): every field the
 * OpenAPI spec marks required, with its type. Specs check every rendered model against it; e2e tests can too.
 */
/** A plain decimal string, USD per token; "-1" where the price is the picked model's (openrouter/auto). */
const priceString = z.string().regex(/^(-1|\d+(\.\d+)?)$/, 'a plain decimal string, USD per token (or -1: varies)');

export const openRouterPricingSchema = z
  .object({
    prompt: priceString,
    completion: priceString,
    request: priceString.optional(),
    image: priceString.optional(),
    input_cache_read: priceString.optional(),
    input_cache_write: priceString.optional(),
    internal_reasoning: priceString.optional(),
    discount: z.number().min(0).max(1).optional(),
  })
  .strict();

export const openRouterModelSchema = z
  .object({
    id: z.string().regex(/^~?[a-z0-9][a-z0-9._-]*\/[a-zA-Z0-9][a-zA-Z0-9._:-]*$/),
    canonical_slug: z.string().min(1),
    hugging_face_id: z.string().nullable(),
    name: z.string().min(1),
    created: z.number().int().nonnegative(),
    description: z.string(),
    context_length: z.number().int().positive().nullable(),
    architecture: z
      .object({
        modality: z.string().regex(/^[a-z]+(\+[a-z]+)*->[a-z]+(\+[a-z]+)*$/),
        input_modalities: z.array(z.string()).min(1),
        output_modalities: z.array(z.string()).min(1),
        tokenizer: z.string().min(1),
        instruct_type: z.string().nullable(),
      })
      .strict(),
    pricing: openRouterPricingSchema,
    top_provider: z
      .object({
        context_length: z.number().int().positive().nullable(),
        max_completion_tokens: z.number().int().positive().nullable(),
        is_moderated: z.boolean(),
      })
      .strict(),
    per_request_limits: z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }).nullable(),
    supported_parameters: z.array(z.string()),
    default_parameters: z.record(z.string(), z.number().nullable()).nullable(),
    reasoning: z
      .object({
        supported_efforts: z.array(z.string()).nullable(),
        default_effort: z.string().nullable(),
        default_enabled: z.boolean(),
        supports_max_tokens: z.boolean(),
        mandatory: z.boolean(),
      })
      .strict()
      .optional(),
    knowledge_cutoff: z.string().regex(/^\d{4}-\d{2}-\d{2}/).nullable(),
    expiration_date: z.string().nullable(),
    links: z.object({ details: z.string().regex(/^\/api\/v1\/models\/.+\/endpoints$/) }).strict(),
    supported_voices: z.array(z.string()).nullable(),
    alias_target: z.object({ slug: z.string(), name: z.string() }).strict().optional(),
  })
  .strict();
export type OpenRouterModelShape = z.infer<typeof openRouterModelSchema>;

const percentiles = z.object({ p50: z.number(), p75: z.number(), p90: z.number(), p99: z.number() }).strict().nullable();

/** One entry of `/models/{author}/{slug}/endpoints` (reference §6.2). */
export const openRouterPublicEndpointSchema = z
  .object({
    name: z.string(),
    model_id: z.string(),
    model_name: z.string(),
    provider_name: z.string(),
    tag: z.string(),
    context_length: z.number().int().positive(),
    max_completion_tokens: z.number().int().positive().nullable(),
    max_prompt_tokens: z.number().int().positive().nullable(),
    pricing: openRouterPricingSchema,
    quantization: z.string().nullable(),
    supported_parameters: z.array(z.string()),
    supports_implicit_caching: z.boolean(),
    status: z.union([z.literal(0), z.literal(-1), z.literal(-2), z.literal(-3), z.literal(-5), z.literal(-10)]),
    uptime_last_5m: z.number().min(0).max(100).nullable(),
    uptime_last_30m: z.number().min(0).max(100).nullable(),
    uptime_last_1d: z.number().min(0).max(100).nullable(),
    latency_last_30m: percentiles,
    throughput_last_30m: percentiles,
    supports_voice_cloning: z.boolean(),
  })
  .strict();
