import type { CatalogEndpoint, CatalogModel, CatalogProvider, EndpointPricing } from '@switchyard/llm-spec';
import { canonicalPrice } from './catalog-records.js';
import type { EndpointEntity } from './endpoint.entity.js';
import type { ModelEntity } from './model.entity.js';
import type { ProviderEntity } from './provider.entity.js';

type Writable<T> = Omit<T, 'createdAt' | 'updatedAt'>;

export function providerFromEntity(row: ProviderEntity): CatalogProvider {
  const provider: CatalogProvider = {
    slug: row.slug,
    name: row.name,
    wireFormat: row.wireFormat as CatalogProvider['wireFormat'],
    baseUrl: row.baseUrl,
    dataPolicy: { training: row.trainsOnData, retainsPrompts: row.retainsPrompts, retentionDays: row.retentionDays, zdr: row.zdr, moderated: row.moderated },
    statusPageUrl: row.statusPageUrl,
    privacyPolicyUrl: row.privacyPolicyUrl,
    termsOfServiceUrl: row.termsOfServiceUrl,
    headquarters: row.headquarters,
    datacenters: row.datacenters ?? [],
    status: row.status as CatalogProvider['status'],
  };
  if (row.adapter !== null) provider.adapter = row.adapter;
  if (row.apiVersion !== null) provider.apiVersion = row.apiVersion;
  return provider;
}

export function providerToEntity(provider: CatalogProvider): Writable<ProviderEntity> {
  return {
    slug: provider.slug,
    name: provider.name,
    wireFormat: provider.wireFormat,
    adapter: provider.adapter ?? null,
    baseUrl: provider.baseUrl,
    apiVersion: provider.apiVersion ?? null,
    trainsOnData: provider.dataPolicy.training,
    retainsPrompts: provider.dataPolicy.retainsPrompts,
    retentionDays: provider.dataPolicy.retentionDays ?? null,
    zdr: provider.dataPolicy.zdr,
    moderated: provider.dataPolicy.moderated ?? false,
    statusPageUrl: provider.statusPageUrl ?? null,
    privacyPolicyUrl: provider.privacyPolicyUrl ?? null,
    termsOfServiceUrl: provider.termsOfServiceUrl ?? null,
    headquarters: provider.headquarters ?? null,
    datacenters: provider.datacenters ?? [],
    status: provider.status,
  };
}

export function modelFromEntity(row: ModelEntity): CatalogModel {
  return {
    id: row.id,
    canonicalSlug: row.canonicalSlug,
    huggingFaceId: row.huggingFaceId,
    name: row.name,
    description: row.description,
    created: row.created,
    contextLength: row.contextLength,
    inputModalities: row.inputModalities ?? [],
    outputModalities: row.outputModalities ?? [],
    tokenizer: row.tokenizer,
    instructType: row.instructType,
    reasoning: row.reasoning ?? null,
    knowledgeCutoff: row.knowledgeCutoff,
    expirationDate: row.expirationDate,
    defaultParameters: row.defaultParameters ?? null,
    status: row.status as CatalogModel['status'],
  };
}

export function modelToEntity(model: CatalogModel): Writable<ModelEntity> {
  return {
    id: model.id,
    canonicalSlug: model.canonicalSlug,
    huggingFaceId: model.huggingFaceId ?? null,
    name: model.name,
    description: model.description ?? '',
    created: model.created,
    contextLength: model.contextLength,
    inputModalities: model.inputModalities,
    outputModalities: model.outputModalities,
    tokenizer: model.tokenizer,
    instructType: model.instructType ?? null,
    reasoning: model.reasoning ?? null,
    knowledgeCutoff: model.knowledgeCutoff ?? null,
    expirationDate: model.expirationDate ?? null,
    defaultParameters: model.defaultParameters ?? null,
    status: model.status,
  };
}

function optionalPrice(value: string | null): string | undefined {
  return value === null ? undefined : canonicalPrice(value);
}

export function endpointFromEntity(row: EndpointEntity): CatalogEndpoint {
  const pricing: EndpointPricing = { prompt: canonicalPrice(row.pricePrompt), completion: canonicalPrice(row.priceCompletion) };
  const extras: Array<[keyof EndpointPricing, string | null]> = [
    ['request', row.priceRequest],
    ['image', row.priceImage],
    ['input_cache_read', row.priceInputCacheRead],
    ['input_cache_write', row.priceInputCacheWrite],
    ['internal_reasoning', row.priceInternalReasoning],
  ];
  for (const [key, value] of extras) {
    const price = optionalPrice(value);
    if (price !== undefined) (pricing as Record<string, unknown>)[key] = price;
  }
  if (row.discount !== null && Number(row.discount) !== 0) pricing.discount = Number(row.discount);
  return {
    id: row.id,
    modelId: row.modelId,
    providerSlug: row.providerSlug,
    tag: row.tag,
    variant: row.variant as CatalogEndpoint['variant'],
    upstreamModelId: row.upstreamModelId,
    pricing,
    contextLength: row.contextLength,
    maxCompletionTokens: row.maxCompletionTokens,
    maxPromptTokens: row.maxPromptTokens,
    quantization: row.quantization as CatalogEndpoint['quantization'],
    supportedParameters: row.supportedParameters ?? [],
    supportsImplicitCaching: row.supportsImplicitCaching,
    serviceTier: row.serviceTier as CatalogEndpoint['serviceTier'],
    status: row.status as CatalogEndpoint['status'],
  };
}

export function endpointToEntity(endpoint: CatalogEndpoint): Writable<EndpointEntity> {
  const pricing = endpoint.pricing;
  const price = (value: string | undefined | null): string | null => (value === undefined || value === null ? null : canonicalPrice(value));
  return {
    id: endpoint.id,
    modelId: endpoint.modelId,
    providerSlug: endpoint.providerSlug,
    tag: endpoint.tag,
    variant: endpoint.variant,
    upstreamModelId: endpoint.upstreamModelId,
    pricePrompt: canonicalPrice(pricing.prompt),
    priceCompletion: canonicalPrice(pricing.completion),
    priceRequest: price(pricing.request),
    priceImage: price(pricing.image),
    priceInputCacheRead: price(pricing.input_cache_read),
    priceInputCacheWrite: price(pricing.input_cache_write),
    priceInternalReasoning: price(pricing.internal_reasoning),
    // a discount is a fraction (0.2 = 20 % off) that llm-spec types as a number; String() is its shortest exact spelling
    discount: pricing.discount === undefined || pricing.discount === 0 ? null : String(pricing.discount),
    contextLength: endpoint.contextLength,
    maxCompletionTokens: endpoint.maxCompletionTokens ?? null,
    maxPromptTokens: endpoint.maxPromptTokens ?? null,
    quantization: endpoint.quantization ?? null,
    supportedParameters: endpoint.supportedParameters,
    supportsImplicitCaching: endpoint.supportsImplicitCaching,
    serviceTier: endpoint.serviceTier,
    status: endpoint.status,
  };
}
