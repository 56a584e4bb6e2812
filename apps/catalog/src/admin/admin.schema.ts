import { BadRequestError } from '@switchyard/contracts';
import {
  catalogModelSchema,
  catalogProviderSchema,
  dataPolicySchema,
  decimalStringSchema,
  endpointPricingSchema,
  endpointVariantSchema,
  quantizationSchema,
  reasoningCapabilitiesSchema,
  wireFormatSchema,
} from '@switchyard/llm-spec';
import { z } from 'zod';
import { hasVariantSuffix } from '../store/catalog-records.js';

/**
 * Admin request bodies. Strict: an unknown or misspelt key is a 400 naming it, not a silently ignored field.
 * Field names and units are those of the llm-spec catalog types (prices: decimal strings, USD per token).
 */

const modelIdSchema = catalogModelSchema.shape.id.refine((id) => !hasVariantSuffix(id), {
  message: 'a model id carries no variant suffix (":free", ":thinking", ...); variants are endpoint tags',
});

export const providerCreateSchema = catalogProviderSchema.strict();
export type ProviderCreate = z.infer<typeof providerCreateSchema>;

export const providerPatchSchema = z
  .object({
    name: z.string().min(1),
    wireFormat: wireFormatSchema,
    adapter: z.string().min(1).nullable(),
    baseUrl: z.url(),
    /** null: back to the adapter's default. */
    apiVersion: z.string().min(1).max(64).nullable(),
    dataPolicy: dataPolicySchema.partial().strict(),
    statusPageUrl: z.string().nullable(),
    privacyPolicyUrl: z.string().nullable(),
    termsOfServiceUrl: z.string().nullable(),
    headquarters: z.string().nullable(),
    datacenters: z.array(z.string()),
    status: z.enum(['active', 'disabled']),
  })
  .partial()
  .strict();
export type ProviderPatch = z.infer<typeof providerPatchSchema>;

export const modelCreateSchema = catalogModelSchema.extend({ id: modelIdSchema }).strict();
export type ModelCreate = z.infer<typeof modelCreateSchema>;

export const modelPatchSchema = z
  .object({
    canonicalSlug: z.string().min(1),
    huggingFaceId: z.string().nullable(),
    name: z.string().min(1),
    description: z.string(),
    created: z.number().int(),
    contextLength: z.number().int().positive(),
    inputModalities: z.array(z.string()).min(1),
    outputModalities: z.array(z.string()).min(1),
    tokenizer: z.string(),
    instructType: z.string().nullable(),
    reasoning: reasoningCapabilitiesSchema.nullable(),
    knowledgeCutoff: z.string().nullable(),
    expirationDate: z.string().nullable(),
    defaultParameters: z.record(z.string(), z.number().nullable()).nullable(),
    status: z.enum(['active', 'disabled']),
  })
  .partial()
  .strict();
export type ModelPatch = z.infer<typeof modelPatchSchema>;

const tagSchema = z.string().regex(/^[a-z0-9][a-z0-9-]*(\/[a-z0-9][a-z0-9._-]*)?$/, 'a provider slug, optionally with a suffix: "deepinfra" or "deepinfra/turbo"');

export const endpointCreateSchema = z
  .object({
    /** Optional: derived as "<modelId>@<tag>"; when given it must equal that. */
    id: z.string().optional(),
    modelId: z.string().min(1),
    providerSlug: z.string().min(1),
    /** Default: the provider slug. */
    tag: tagSchema.optional(),
    /** Default: implied by the tag suffix (free, extended, thinking), else standard. */
    variant: endpointVariantSchema.optional(),
    upstreamModelId: z.string().min(1),
    pricing: endpointPricingSchema.strict(),
    /** Default: the model's context length. */
    contextLength: z.number().int().positive().optional(),
    maxCompletionTokens: z.number().int().positive().nullable().optional(),
    maxPromptTokens: z.number().int().positive().nullable().optional(),
    quantization: quantizationSchema.nullable().optional(),
    supportedParameters: z.array(z.string()).optional(),
    supportsImplicitCaching: z.boolean().optional(),
    /** Default: implied by the tag suffix (flex, priority), else default. */
    serviceTier: z.enum(['default', 'flex', 'priority']).optional(),
    status: z.enum(['active', 'disabled']).optional(),
  })
  .strict();
export type EndpointCreate = z.infer<typeof endpointCreateSchema>;

/** Price changes: given keys replace the stored ones; `null` removes an optional price. */
export const pricingPatchSchema = z
  .object({
    prompt: decimalStringSchema,
    completion: decimalStringSchema,
    request: decimalStringSchema.nullable(),
    image: decimalStringSchema.nullable(),
    input_cache_read: decimalStringSchema.nullable(),
    input_cache_write: decimalStringSchema.nullable(),
    internal_reasoning: decimalStringSchema.nullable(),
    discount: z.number().min(0).max(1).nullable(),
  })
  .partial()
  .strict();
export type PricingPatch = z.infer<typeof pricingPatchSchema>;

export const endpointPatchSchema = z
  .object({
    variant: endpointVariantSchema,
    upstreamModelId: z.string().min(1),
    pricing: pricingPatchSchema,
    contextLength: z.number().int().positive(),
    maxCompletionTokens: z.number().int().positive().nullable(),
    maxPromptTokens: z.number().int().positive().nullable(),
    quantization: quantizationSchema.nullable(),
    supportedParameters: z.array(z.string()),
    supportsImplicitCaching: z.boolean(),
    serviceTier: z.enum(['default', 'flex', 'priority']),
    status: z.enum(['active', 'disabled']),
  })
  .partial()
  .strict();
export type EndpointPatch = z.infer<typeof endpointPatchSchema>;

export const aliasNameSchema = z.string().regex(/^~[a-z0-9][a-z0-9._-]*\/[a-zA-Z0-9][a-zA-Z0-9._-]*$/, 'an alias such as "~anthropic/claude-opus-latest"');

export const aliasPutSchema = z.object({ target: z.string().min(1) }).strict();

export const endpointListQuerySchema = z
  .object({
    model: z.string().optional(),
    provider: z.string().optional(),
    status: z.enum(['active', 'disabled']).optional(),
  })
  .strict();

export const changesQuerySchema = z
  .object({
    since: z.coerce.number().int().min(0).default(0),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

/**
 * Parses a body or query with a zod schema; failures become a 400 in OpenRouter's envelope that names every bad
 * field ("pricing.prompt: a plain decimal string ...").
 */
export function parseInput<Schema extends z.ZodType>(schema: Schema, value: unknown, what = 'request body'): z.infer<Schema> {
  const result = schema.safeParse(value ?? (what === 'request body' ? undefined : {}));
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? (issue as { keys?: string[] }).keys : undefined;
    const path = issue.path.map(String).join('.');
    return { path: path || (keys ? keys.join(', ') : '(root)'), message: issue.message };
  });
  throw new BadRequestError(`Invalid ${what}: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`, { issues });
}
