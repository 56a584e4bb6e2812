import type { CatalogEndpoint, CatalogModel } from '@switchyard/llm-spec';
import { planImport } from './import-diff.js';
import { mapOpenRouterModels } from './openrouter-import.mapper.js';

const entry = (id: string, prompt = '0.000001') => ({
  id,
  canonical_slug: id,
  name: id.toUpperCase(),
  created: 1700000000,
  context_length: 8192,
  architecture: { input_modalities: ['text'], output_modalities: ['text'], tokenizer: 'Other' },
  pricing: { prompt, completion: '0.000002' },
  top_provider: { context_length: 8192, max_completion_tokens: 1024 },
  supported_parameters: ['temperature'],
});

function stored(models: CatalogModel[], endpoints: CatalogEndpoint[]) {
  return { models: new Map(models.map((model) => [model.id, model])), endpoints: new Map(endpoints.map((endpoint) => [endpoint.id, endpoint])) };
}

describe('planImport', () => {
  const first = mapOpenRouterModels([entry('acme/a'), entry('acme/b')], { provider: 'acme' });

  it('creates everything on an empty catalog, with defaults for the fields an import does not carry', () => {
    const plan = planImport(stored([], []), first, { provider: 'acme' });
    expect(plan.diff).toEqual({
      created: [
        { kind: 'model', id: 'acme/a' },
        { kind: 'model', id: 'acme/b' },
        { kind: 'endpoint', id: 'acme/a@acme' },
        { kind: 'endpoint', id: 'acme/b@acme' },
      ],
      updated: [],
      unchanged: 0,
      skipped: [],
    });
    expect(plan.insertEndpoints[0]).toMatchObject({ quantization: null, supportsImplicitCaching: false, serviceTier: 'default', status: 'active', maxPromptTokens: null });
    expect(plan.changes).toHaveLength(4);
  });

  it('is idempotent: importing what is stored reports everything unchanged and plans no write', () => {
    const applied = planImport(stored([], []), first, { provider: 'acme' });
    const again = planImport(stored(applied.insertModels, applied.insertEndpoints), first, { provider: 'acme' });
    expect(again.diff).toEqual({ created: [], updated: [], unchanged: 4, skipped: [] });
    expect(again.changes).toEqual([]);
  });

  it('reports changed fields with old and new values and keeps operator-owned fields', () => {
    const applied = planImport(stored([], []), first, { provider: 'acme' });
    const endpoints = applied.insertEndpoints.map((endpoint) => ({ ...endpoint, quantization: 'fp8' as const, supportsImplicitCaching: true, pricing: { ...endpoint.pricing, prompt: '0.0000010' } }));
    const models = applied.insertModels.map((model) => ({ ...model, status: 'disabled' as const }));
    const next = mapOpenRouterModels([entry('acme/a', '0.0000005'), entry('acme/b')], { provider: 'acme' });
    const plan = planImport(stored(models, endpoints), next, { provider: 'acme' });
    expect(plan.diff.updated).toEqual([{ kind: 'endpoint', id: 'acme/a@acme', fields: { pricing: { from: { prompt: '0.000001', completion: '0.000002' }, to: { prompt: '0.0000005', completion: '0.000002' } } } }]);
    expect(plan.diff.unchanged).toBe(3);
    expect(plan.updateEndpoints[0]).toMatchObject({ quantization: 'fp8', supportsImplicitCaching: true, pricing: { prompt: '0.0000005' } });
    expect(plan.updateModels).toEqual([]);
  });

  it('disables the provider’s endpoints the list no longer has, only when asked', () => {
    const applied = planImport(stored([], []), first, { provider: 'acme' });
    const other: CatalogEndpoint = { ...applied.insertEndpoints[0]!, id: 'acme/a@elsewhere', providerSlug: 'elsewhere', tag: 'elsewhere' };
    const shorter = mapOpenRouterModels([entry('acme/a')], { provider: 'acme' });
    const current = stored(applied.insertModels, [...applied.insertEndpoints, other]);
    expect(planImport(current, shorter, { provider: 'acme' }).diff.disabled).toBeUndefined();
    const plan = planImport(current, shorter, { provider: 'acme', disableMissing: true });
    expect(plan.diff.disabled).toEqual([{ kind: 'endpoint', id: 'acme/b@acme' }]);
    expect(plan.updateEndpoints).toEqual([expect.objectContaining({ id: 'acme/b@acme', status: 'disabled' })]);
    expect(plan.changes).toEqual([{ kind: 'endpoint', id: 'acme/b@acme', action: 'disabled', fields: { status: { from: 'active', to: 'disabled' } } }]);
  });

  it('updates a model’s descriptive fields from the import', () => {
    const applied = planImport(stored([], []), first, { provider: 'acme' });
    const renamed = mapOpenRouterModels([{ ...entry('acme/a'), name: 'Acme A v2', context_length: 16384 }, entry('acme/b')], { provider: 'acme' });
    const plan = planImport(stored(applied.insertModels, applied.insertEndpoints), renamed, { provider: 'acme' });
    expect(plan.diff.updated).toEqual([{ kind: 'model', id: 'acme/a', fields: { name: { from: 'ACME/A', to: 'Acme A v2' }, contextLength: { from: 8192, to: 16384 } } }]);
  });
});
