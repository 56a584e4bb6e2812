import { z } from 'zod';

/**
 * One entry of OpenRouter's `GET /api/v1/models` (reference §6.1), read leniently: unknown fields are ignored,
 * missing optional ones default. Prices arrive as strings (USD per token) and occasionally as numbers.
 */
const priceSchema = z.union([z.string(), z.number()]).nullish();

export const openRouterModelSchema = z.object({
  id: z.string().min(1),
  canonical_slug: z.string().nullish(),
  hugging_face_id: z.string().nullish(),
  name: z.string().nullish(),
  description: z.string().nullish(),
  created: z.number().nullish(),
  context_length: z.number().nullish(),
  architecture: z
    .object({
      modality: z.string().nullish(),
      input_modalities: z.array(z.string()).nullish(),
      output_modalities: z.array(z.string()).nullish(),
      tokenizer: z.string().nullish(),
      instruct_type: z.string().nullish(),
    })
    .nullish(),
  pricing: z.object({
    prompt: priceSchema,
    completion: priceSchema,
    request: priceSchema,
    image: priceSchema,
    input_cache_read: priceSchema,
    input_cache_write: priceSchema,
    internal_reasoning: priceSchema,
    discount: z.union([z.number(), z.string()]).nullish(),
  }),
  top_provider: z
    .object({
      context_length: z.number().nullish(),
      max_completion_tokens: z.number().nullish(),
      is_moderated: z.boolean().nullish(),
    })
    .nullish(),
  supported_parameters: z.array(z.string()).nullish(),
  default_parameters: z.record(z.string(), z.unknown()).nullish(),
  reasoning: z
    .object({
      supported_efforts: z.array(z.string()).nullish(),
      default_effort: z.string().nullish(),
      default_enabled: z.boolean().nullish(),
      supports_max_tokens: z.boolean().nullish(),
      mandatory: z.boolean().nullish(),
    })
    .nullish(),
  knowledge_cutoff: z.string().nullish(),
  expiration_date: z.string().nullish(),
});
export type OpenRouterModel = z.infer<typeof openRouterModelSchema>;

/** The `models` of an import: the whole `/models` response (`{data:[...]}`) or its `data` array. */
export const openRouterModelListSchema = z.union([z.array(z.unknown()), z.object({ data: z.array(z.unknown()) }).transform((response) => response.data)]);
