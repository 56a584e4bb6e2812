import { type CatalogSnapshot, catalogSnapshotSchema } from '@switchyard/llm-spec';
import type { CatalogContents } from './catalog-records.js';

/**
 * The `CatalogSnapshot` served to ingress and routing: only active providers, active models, active endpoints
 * whose model and provider are both active, and aliases whose target is an active model. Validated against the
 * llm-spec schema, so a bad row fails here (the previous snapshot keeps serving) and never in a consumer.
 */
export function buildSnapshot(contents: CatalogContents, generatedAt: Date = new Date()): CatalogSnapshot {
  const providers = contents.providers.filter((provider) => provider.status === 'active');
  const models = contents.models.filter((model) => model.status === 'active');
  const activeProviders = new Set(providers.map((provider) => provider.slug));
  const activeModels = new Set(models.map((model) => model.id));
  const endpoints = contents.endpoints.filter(
    (endpoint) => endpoint.status === 'active' && activeModels.has(endpoint.modelId) && activeProviders.has(endpoint.providerSlug),
  );
  const aliases: Record<string, string> = {};
  for (const entry of contents.aliases) if (activeModels.has(entry.target)) aliases[entry.alias] = entry.target;
  return catalogSnapshotSchema.parse({ version: contents.version, generatedAt: generatedAt.toISOString(), providers, models, endpoints, aliases });
}
