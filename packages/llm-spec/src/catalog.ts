import { z } from 'zod';
import { quantizationSchema } from './chat-request.js';

/** Decimal string, USD per token (or per request / per image): "0.0000025". */
export const decimalStringSchema = z.string().regex(/^\d+(\.\d+)?$/, 'a plain decimal string such as "0.0000025"');

export const wireFormatSchema = z.enum(['openai', 'anthropic', 'gemini', 'azure']);
export type WireFormat = z.infer<typeof wireFormatSchema>;

export const dataPolicySchema = z.object({
  /** The provider may train on prompts. Unknown is treated as true. */
  training: z.boolean(),
  /** The provider keeps prompts (for abuse monitoring or otherwise). Unknown is treated as true. */
  retainsPrompts: z.boolean(),
  retentionDays: z.number().int().nonnegative().nullable().default(null),
  /** Zero data retention offered for this provider's endpoints. */
  zdr: z.boolean(),
  /** The provider moderates inputs (OpenRouter's `is_moderated`). */
  moderated: z.boolean().default(false),
});
export type DataPolicy = z.infer<typeof dataPolicySchema>;

export const catalogProviderSchema = z.object({
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  name: z.string(),
  wireFormat: wireFormatSchema,
  /** Which OpenAI-compatible preset of the adapters describes this provider ("openai", "groq", ...). */
  adapter: z.string().optional(),
  baseUrl: z.url(),
  /**
   * The API version this provider's account is on: Azure's `api-version` query parameter, Anthropic's
   * `anthropic-version` header. Absent: the adapter's default.
   */
  apiVersion: z.string().min(1).max(64).optional(),
  dataPolicy: dataPolicySchema,
  statusPageUrl: z.string().nullable().default(null),
  privacyPolicyUrl: z.string().nullable().default(null),
  termsOfServiceUrl: z.string().nullable().default(null),
  headquarters: z.string().nullable().default(null),
  datacenters: z.array(z.string()).default([]),
  status: z.enum(['active', 'disabled']).default('active'),
});
export type CatalogProvider = z.infer<typeof catalogProviderSchema>;

export const reasoningCapabilitiesSchema = z.object({
  supportedEfforts: z.array(z.string()).nullable().default(null),
  defaultEffort: z.string().nullable().default(null),
  defaultEnabled: z.boolean().default(false),
  supportsMaxTokens: z.boolean().default(false),
  mandatory: z.boolean().default(false),
});
export type ReasoningCapabilities = z.infer<typeof reasoningCapabilitiesSchema>;

export const catalogModelSchema = z.object({
  /** author/slug, e.g. "openai/gpt-4o-mini". Variants (":free") are endpoints' tags, not separate models. */
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*\/[a-zA-Z0-9][a-zA-Z0-9._:-]*$/),
  canonicalSlug: z.string(),
  huggingFaceId: z.string().nullable().default(null),
  name: z.string(),
  description: z.string().default(''),
  /** Unix seconds. */
  created: z.number().int(),
  contextLength: z.number().int().positive(),
  inputModalities: z.array(z.string()).default(['text']),
  outputModalities: z.array(z.string()).default(['text']),
  tokenizer: z.string().default('Other'),
  instructType: z.string().nullable().default(null),
  reasoning: reasoningCapabilitiesSchema.nullable().default(null),
  knowledgeCutoff: z.string().nullable().default(null),
  expirationDate: z.string().nullable().default(null),
  defaultParameters: z.record(z.string(), z.number().nullable()).nullable().default(null),
  status: z.enum(['active', 'disabled']).default('active'),
});
export type CatalogModel = z.infer<typeof catalogModelSchema>;

/** An embedding model outputs embeddings (OpenRouter's `architecture.output_modalities` contains "embeddings"). */
export function isEmbeddingModel(model: Pick<CatalogModel, 'outputModalities'>): boolean {
  return model.outputModalities.includes('embeddings');
}

/** A model served by `POST /rerank` (output modality `rerank`: relevance scores of documents for a query). */
export function isRerankModel(model: Pick<CatalogModel, 'outputModalities'>): boolean {
  return model.outputModalities.includes('rerank');
}

export const endpointPricingSchema = z.object({
  prompt: decimalStringSchema,
  completion: decimalStringSchema,
  request: decimalStringSchema.optional(),
  image: decimalStringSchema.optional(),
  input_cache_read: decimalStringSchema.optional(),
  input_cache_write: decimalStringSchema.optional(),
  internal_reasoning: decimalStringSchema.optional(),
  discount: z.number().min(0).max(1).optional(),
});
export type EndpointPricing = z.infer<typeof endpointPricingSchema>;

export const endpointVariantSchema = z.enum(['standard', 'free', 'extended', 'thinking']);
export type EndpointVariant = z.infer<typeof endpointVariantSchema>;

export const catalogEndpointSchema = z.object({
  /** Stable id: "<model id>@<tag>", e.g. "openai/gpt-4o-mini@openai" or "meta-llama/llama-3.3-70b-instruct:free@deepinfra". */
  id: z.string(),
  modelId: z.string(),
  providerSlug: z.string(),
  /** Provider slug with its variant ("deepinfra/turbo"); what `order`/`only`/`ignore` match. */
  tag: z.string(),
  variant: endpointVariantSchema.default('standard'),
  /** The model id the upstream expects ("gpt-4o-mini", "claude-sonnet-4-5-20250929"). */
  upstreamModelId: z.string(),
  pricing: endpointPricingSchema,
  contextLength: z.number().int().positive(),
  maxCompletionTokens: z.number().int().positive().nullable().default(null),
  maxPromptTokens: z.number().int().positive().nullable().default(null),
  quantization: quantizationSchema.nullable().default(null),
  supportedParameters: z.array(z.string()).default([]),
  supportsImplicitCaching: z.boolean().default(false),
  serviceTier: z.enum(['default', 'flex', 'priority']).default('default'),
  status: z.enum(['active', 'disabled']).default('active'),
});
export type CatalogEndpoint = z.infer<typeof catalogEndpointSchema>;

/** Everything ingress and routing need to plan a request, versioned: a full copy in memory, refreshed by events. */
export const catalogSnapshotSchema = z.object({
  version: z.number().int().nonnegative(),
  generatedAt: z.string(),
  providers: z.array(catalogProviderSchema),
  models: z.array(catalogModelSchema),
  endpoints: z.array(catalogEndpointSchema),
  /** "~anthropic/claude-opus-latest" → "anthropic/claude-opus-4.5". */
  aliases: z.record(z.string(), z.string()).default({}),
});
export type CatalogSnapshot = z.infer<typeof catalogSnapshotSchema>;
/** The arrays a catalog snapshot is split across when it travels in pages (larger than one NATS message). */
export const catalogSnapshotPagedArrays = ['providers', 'models', 'endpoints'] as const;
export type CatalogSnapshotInput = z.input<typeof catalogSnapshotSchema>;
