import { catalogEndpointSchema, catalogModelSchema, catalogProviderSchema } from '@switchyard/llm-spec';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { type CatalogAlias, canonicalPricing } from './catalog-records.js';
import type { CatalogEndpoint, CatalogModel, CatalogProvider } from '@switchyard/llm-spec';

/** The bundled seed, resolved relative to this file, so it works from `src/` (tests) and `dist/` alike. */
export const BUNDLED_SEED_URL = new URL('../../seed/market.json', import.meta.url);

const seedFileSchema = z.object({
  pricesTakenOn: z.string().optional(),
  note: z.string().optional(),
  providers: z.array(catalogProviderSchema),
  models: z.array(catalogModelSchema),
  endpoints: z.array(catalogEndpointSchema),
  aliases: z.record(z.string(), z.string()).default({}),
});

export interface CatalogSeed {
  providers: CatalogProvider[];
  models: CatalogModel[];
  endpoints: CatalogEndpoint[];
  aliases: CatalogAlias[];
}

/** Validates a seed document: the llm-spec schemas plus referential integrity (every reference resolves, ids are unique). */
export function parseSeed(document: unknown): CatalogSeed {
  const seed = seedFileSchema.parse(document);
  const problems: string[] = [];
  const unique = (kind: string, ids: string[]) => {
    const seen = new Set<string>();
    for (const id of ids) {
      if (seen.has(id)) problems.push(`duplicate ${kind} ${id}`);
      seen.add(id);
    }
    return seen;
  };
  const providers = unique('provider', seed.providers.map((provider) => provider.slug));
  const models = unique('model', seed.models.map((model) => model.id));
  unique('endpoint', seed.endpoints.map((endpoint) => endpoint.id));
  for (const endpoint of seed.endpoints) {
    if (!models.has(endpoint.modelId)) problems.push(`endpoint ${endpoint.id}: unknown model ${endpoint.modelId}`);
    if (!providers.has(endpoint.providerSlug)) problems.push(`endpoint ${endpoint.id}: unknown provider ${endpoint.providerSlug}`);
    if (endpoint.id !== `${endpoint.modelId}@${endpoint.tag}`) problems.push(`endpoint ${endpoint.id}: id is not <model>@<tag>`);
  }
  for (const [alias, target] of Object.entries(seed.aliases)) {
    if (!alias.startsWith('~')) problems.push(`alias ${alias} does not start with ~`);
    if (!models.has(target)) problems.push(`alias ${alias}: unknown model ${target}`);
  }
  if (problems.length > 0) throw new Error(`invalid catalog seed:\n  ${problems.join('\n  ')}`);
  return {
    providers: seed.providers,
    models: seed.models,
    endpoints: seed.endpoints.map((endpoint) => ({ ...endpoint, pricing: canonicalPricing(endpoint.pricing) })),
    aliases: Object.entries(seed.aliases).map(([alias, target]) => ({ alias, target })),
  };
}

export async function readSeed(location: URL | string = BUNDLED_SEED_URL): Promise<CatalogSeed> {
  const text = await readFile(location, 'utf8');
  return parseSeed(JSON.parse(text));
}
