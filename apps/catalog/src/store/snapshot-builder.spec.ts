import { catalogSnapshotSchema } from '@switchyard/llm-spec';
import { readFileSync } from 'node:fs';
import type { CatalogContents } from './catalog-records.js';
import { parseSeed, readSeed } from './seed-file.js';
import { buildSnapshot } from './snapshot-builder.js';

const seedDocument = JSON.parse(readFileSync(new URL('../../seed/market.json', import.meta.url), 'utf8'));

describe('the bundled seed', () => {
  it('is valid, consistent and complete (77 models incl. 4 embedding models and 1 rerank model, 21 providers + the simulator in four wire formats)', async () => {
    const seed = await readSeed();
    expect(seed.providers).toHaveLength(25);
    expect(seed.providers.filter((provider) => !provider.slug.startsWith('simulator'))).toHaveLength(21);
    expect(seed.providers.filter((provider) => provider.slug.startsWith('simulator')).map((provider) => provider.wireFormat).sort()).toEqual(['anthropic', 'azure', 'gemini', 'openai']);
    expect(seed.models).toHaveLength(77);
    expect(seed.models.filter((model) => model.outputModalities.includes('embeddings')).map((model) => model.id).sort()).toEqual(['google/gemini-embedding-001', 'mistralai/mistral-embed-2312', 'openai/text-embedding-3-large', 'openai/text-embedding-3-small']);
    expect(seed.models.filter((model) => model.outputModalities.includes('rerank')).map((model) => model.id)).toEqual(['cohere/rerank-v3.5']);
    expect(seed.endpoints).toHaveLength(seedDocument.endpoints.length);
    expect(seed.aliases.length).toBe(Object.keys(seedDocument.aliases).length);
    for (const endpoint of seed.endpoints) expect(endpoint.id).toBe(`${endpoint.modelId}@${endpoint.tag}`);
  });

  it('rejects dangling references and duplicates with every problem listed', () => {
    const broken = structuredClone(seedDocument);
    broken.endpoints.push({ ...broken.endpoints[0], id: 'nobody/none@openai', modelId: 'nobody/none' });
    broken.models.push(broken.models[0]);
    broken.aliases['~x/y-latest'] = 'x/missing';
    expect(() => parseSeed(broken)).toThrow(/unknown model nobody\/none[\s\S]*duplicate model|duplicate model[\s\S]*unknown model nobody\/none/);
    expect(() => parseSeed(broken)).toThrow(/alias ~x\/y-latest: unknown model x\/missing/);
    expect(() => parseSeed({ ...seedDocument, providers: [{ slug: 'Bad Slug' }] })).toThrow();
  });
});

describe('buildSnapshot', () => {
  const seed = parseSeed(seedDocument);
  const contents = (): CatalogContents => ({ version: 7, ...structuredClone(seed) });

  it('serves every active record as a schema-valid CatalogSnapshot at the stored version', () => {
    const snapshot = buildSnapshot(contents(), new Date('2026-01-01T00:00:00Z'));
    expect(catalogSnapshotSchema.safeParse(snapshot).success).toBe(true);
    expect(snapshot).toMatchObject({ version: 7, generatedAt: '2026-01-01T00:00:00.000Z' });
    expect(snapshot.endpoints).toHaveLength(seed.endpoints.length);
    expect(snapshot.aliases['~openai/gpt-latest']).toBe('openai/gpt-5.1');
  });

  it('leaves out disabled providers, models and endpoints, and whatever hangs off them', () => {
    const data = contents();
    data.providers.find((provider) => provider.slug === 'groq')!.status = 'disabled';
    data.models.find((model) => model.id === 'anthropic/claude-opus-4.5')!.status = 'disabled';
    data.endpoints.find((endpoint) => endpoint.id === 'openai/gpt-4o-mini@openai')!.status = 'disabled';
    const snapshot = buildSnapshot(data);
    expect(snapshot.providers.some((provider) => provider.slug === 'groq')).toBe(false);
    expect(snapshot.endpoints.some((endpoint) => endpoint.providerSlug === 'groq')).toBe(false);
    expect(snapshot.models.some((model) => model.id === 'anthropic/claude-opus-4.5')).toBe(false);
    expect(snapshot.endpoints.some((endpoint) => endpoint.modelId === 'anthropic/claude-opus-4.5')).toBe(false);
    expect(snapshot.aliases['~anthropic/claude-opus-latest']).toBeUndefined();
    expect(snapshot.endpoints.some((endpoint) => endpoint.id === 'openai/gpt-4o-mini@openai')).toBe(false);
    expect(snapshot.endpoints.some((endpoint) => endpoint.id === 'openai/gpt-4o-mini@simulator')).toBe(true);
  });
});
