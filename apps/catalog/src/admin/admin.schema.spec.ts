import { BadRequestError, GatewayError } from '@switchyard/contracts';
import { endpointCreateSchema, endpointPatchSchema, modelCreateSchema, parseInput, providerCreateSchema, providerPatchSchema } from './admin.schema.js';
import { mergePricing } from './catalog-admin.service.js';

function badRequest(run: () => unknown): BadRequestError {
  try {
    run();
  } catch (error) {
    expect(GatewayError.isInstance(error)).toBe(true);
    expect((error as GatewayError).status).toBe(400);
    return error as BadRequestError;
  }
  throw new Error('expected a 400');
}

describe('admin bodies', () => {
  const provider = { slug: 'acme', name: 'Acme', wireFormat: 'openai', baseUrl: 'https://api.acme.example/v1', dataPolicy: { training: false, retainsPrompts: true, zdr: false } };

  it('accepts a provider with defaults filled in', () => {
    expect(parseInput(providerCreateSchema, provider)).toMatchObject({ status: 'active', datacenters: [], dataPolicy: { retentionDays: null, moderated: false } });
  });

  it('names every bad field of a provider in the 400', () => {
    const error = badRequest(() => parseInput(providerCreateSchema, { ...provider, slug: 'Not A Slug', baseUrl: 'nope', extra: true }));
    const paths = (error.metadata.issues as Array<{ path: string }>).map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(['slug', 'baseUrl', 'extra']));
    expect(error.message).toContain('slug');
  });

  it('rejects a missing body and a body that is not an object', () => {
    badRequest(() => parseInput(providerPatchSchema, undefined));
    badRequest(() => parseInput(providerPatchSchema, 'name=x'));
    expect(parseInput(providerPatchSchema, {})).toEqual({});
  });

  it('rejects a model id carrying a variant suffix', () => {
    const error = badRequest(() => parseInput(modelCreateSchema, { id: 'acme/widget:free', canonicalSlug: 'acme/widget', name: 'W', created: 1, contextLength: 10 }));
    expect(error.message).toContain('variant');
    expect(parseInput(modelCreateSchema, { id: 'acme/widget', canonicalSlug: 'acme/widget', name: 'W', created: 1, contextLength: 10 })).toMatchObject({ inputModalities: ['text'] });
  });

  it('rejects prices that are not plain non-negative decimal strings', () => {
    const base = { modelId: 'a/b', providerSlug: 'acme', upstreamModelId: 'b' };
    badRequest(() => parseInput(endpointCreateSchema, { ...base, pricing: { prompt: 0.000001, completion: '0' } }));
    badRequest(() => parseInput(endpointCreateSchema, { ...base, pricing: { prompt: '-0.1', completion: '0' } }));
    badRequest(() => parseInput(endpointCreateSchema, { ...base, pricing: { prompt: '1e-6', completion: '0' } }));
    badRequest(() => parseInput(endpointPatchSchema, { pricing: { discount: 1.5 } }));
    badRequest(() => parseInput(endpointPatchSchema, { modelId: 'other/model' }));
    expect(parseInput(endpointPatchSchema, { pricing: { request: null } })).toEqual({ pricing: { request: null } });
  });

  it('merges a price patch: given prices replace, null removes, the rest stays', () => {
    const current = { prompt: '0.000003', completion: '0.000015', input_cache_read: '0.0000003', input_cache_write: '0.00000375' };
    expect(mergePricing(current, { prompt: '0.0000025000', input_cache_write: null, discount: 0.1 })).toEqual({
      prompt: '0.0000025',
      completion: '0.000015',
      input_cache_read: '0.0000003',
      discount: 0.1,
    });
    expect(mergePricing({ ...current, discount: 0.2 }, { discount: null })).not.toHaveProperty('discount');
  });
});
