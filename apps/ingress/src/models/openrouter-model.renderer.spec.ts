import { endpointHealthSchema } from '@switchyard/llm-spec';
import { listModels } from './model-listing.js';
import { fixtureIndex } from './models.fixture.js';
import { endpointStatus, pricingEndpoint, renderModel, unionParameters } from './openrouter-model.renderer.js';
import { openRouterModelSchema } from './openrouter-model.schema.js';

const index = fixtureIndex();

describe('renderModel', () => {
  it('renders every listed model (all modalities, variants, aliases) in the exact OpenRouter shape', () => {
    const { data } = listModels(index, { output_modalities: 'all' });
    expect(data.length).toBeGreaterThan(10);
    for (const model of data) {
      const result = openRouterModelSchema.safeParse(model);
      if (!result.success) throw new Error(`${model.id}: ${result.error.message}`);
    }
  });

  it('renders a model object field by field', () => {
    const model = index.model('openai/gpt-4o-mini')!;
    const rendered = renderModel(model, index.endpointsOf(model.id), index);
    expect(rendered).toEqual({
      id: 'openai/gpt-4o-mini',
      canonical_slug: 'openai/gpt-4o-mini-20240718',
      hugging_face_id: null,
      name: 'OpenAI: GPT-4o-mini',
      created: 1721260800,
      description: 'GPT-4o mini is OpenAI’s small, low-cost multimodal model.',
      context_length: 128000,
      architecture: { modality: 'text+image+file->text', input_modalities: ['text', 'image', 'file'], output_modalities: ['text'], tokenizer: 'GPT', instruct_type: null },
      pricing: { prompt: '0.00000015', completion: '0.0000006', input_cache_read: '0.000000075' },
      top_provider: { context_length: 128000, max_completion_tokens: 16384, is_moderated: false },
      per_request_limits: null,
      supported_parameters: ['temperature', 'max_tokens', 'logit_bias', 'seed', 'response_format', 'structured_outputs', 'tools'],
      default_parameters: null,
      knowledge_cutoff: '2023-10-01',
      expiration_date: null,
      links: { details: '/api/v1/models/openai/gpt-4o-mini/endpoints' },
      supported_voices: null,
    });
    expect(rendered).not.toHaveProperty('reasoning');
    expect(rendered).not.toHaveProperty('alias_target');
  });

  it('adds reasoning only for reasoning models; a :thinking entry has it on by default', () => {
    const sonnet = index.model('anthropic/claude-3.7-sonnet')!;
    const standard = renderModel(sonnet, index.endpointsOf(sonnet.id).filter((endpoint) => endpoint.variant === 'standard'), index);
    expect(standard.reasoning).toEqual({ supported_efforts: ['low', 'medium', 'high'], default_effort: 'medium', default_enabled: false, supports_max_tokens: true, mandatory: false });
    const thinking = renderModel(sonnet, index.endpointsOf(sonnet.id).filter((endpoint) => endpoint.variant === 'thinking'), index, { variant: 'thinking' });
    expect(thinking).toMatchObject({ id: 'anthropic/claude-3.7-sonnet:thinking', name: 'Anthropic: Claude 3.7 Sonnet (thinking)', reasoning: { default_enabled: true } });
    expect(thinking.links.details).toBe('/api/v1/models/anthropic/claude-3.7-sonnet:thinking/endpoints');
  });

  it('lists a :free variant as its own id with its own "0" pricing and context', () => {
    const llama = index.model('meta-llama/llama-3.3-70b-instruct')!;
    const free = renderModel(llama, index.endpointsOf(llama.id).filter((endpoint) => endpoint.variant === 'free'), index, { variant: 'free' });
    expect(free).toMatchObject({
      id: 'meta-llama/llama-3.3-70b-instruct:free',
      name: 'Meta: Llama 3.3 70B Instruct (free)',
      canonical_slug: llama.canonicalSlug,
      context_length: 65536,
      pricing: { prompt: '0', completion: '0' },
      top_provider: { context_length: 65536, max_completion_tokens: 8192, is_moderated: false },
      default_parameters: { temperature: 0.7, top_p: null },
      hugging_face_id: 'meta-llama/Llama-3.3-70B-Instruct',
    });
  });

  it('renders an alias entry with alias_target and a readable name', () => {
    const gpt5 = index.model('openai/gpt-5')!;
    const alias = renderModel(gpt5, index.endpointsOf(gpt5.id).filter((endpoint) => endpoint.variant === 'standard'), index, { alias: '~openai/gpt-latest' });
    expect(alias).toMatchObject({
      id: '~openai/gpt-latest',
      canonical_slug: '~openai/gpt-latest',
      name: 'OpenAI: GPT Latest',
      alias_target: { slug: 'openai/gpt-5', name: 'OpenAI: GPT-5' },
      links: { details: '/api/v1/models/~openai/gpt-latest/endpoints' },
      pricing: { prompt: '0.00000125', completion: '0.00001' },
    });
    expect(alias.description).toContain('openai/gpt-5');
  });
});

describe('pricing rule', () => {
  it('prices a model from its cheapest default-tier endpoint after discount, never a flex or priority tier', () => {
    const gpt5 = index.endpointsOf('openai/gpt-5');
    expect(pricingEndpoint(gpt5).tag).toBe('openai');
    expect(pricingEndpoint(gpt5.filter((endpoint) => endpoint.serviceTier !== 'default')).tag).toBe('openai/flex');
    const llama = index.endpointsOf('meta-llama/llama-3.3-70b-instruct').filter((endpoint) => endpoint.variant === 'standard');
    expect(pricingEndpoint(llama).tag).toBe('sketchy');
    const discounted = index.endpointsOf('mistralai/discounted');
    expect(renderModel(index.model('mistralai/discounted')!, discounted, index).pricing).toEqual({ prompt: '0.000002', completion: '0.000006', discount: 0.5 });
  });

  it('breaks price ties by the longer context, then by tag', () => {
    const base = index.endpointsOf('openai/gpt-4o-mini')[0]!;
    const a = { ...base, id: 'x@a', tag: 'b-provider', contextLength: 1000 };
    const b = { ...base, id: 'x@b', tag: 'a-provider', contextLength: 1000 };
    const c = { ...base, id: 'x@c', tag: 'c-provider', contextLength: 2000 };
    expect(pricingEndpoint([a, b]).tag).toBe('a-provider');
    expect(pricingEndpoint([a, b, c]).tag).toBe('c-provider');
    expect(() => pricingEndpoint([])).toThrow();
  });

  it('orders the union of supported parameters as OpenRouter does', () => {
    expect(unionParameters(index.endpointsOf('openai/gpt-5'))).toEqual(['temperature', 'top_p', 'max_tokens', 'stop', 'tools', 'include_reasoning', 'reasoning']);
  });
});

describe('endpointStatus', () => {
  const now = 1_000_000;
  const health = (overrides: object) => endpointHealthSchema.parse(overrides);
  it('maps health to the public status codes', () => {
    expect(endpointStatus(undefined, now)).toBe(0);
    expect(endpointStatus(health({}), now)).toBe(0);
    expect(endpointStatus(health({ state: 'half-open' }), now)).toBe(-1);
    expect(endpointStatus(health({ lastFailureAt: now - 5_000 }), now)).toBe(-1);
    expect(endpointStatus(health({ lastFailureAt: now - 60_000 }), now)).toBe(0);
    expect(endpointStatus(health({ state: 'open' }), now)).toBe(-2);
    expect(endpointStatus(health({ retryAfterUntil: now + 1_000 }), now)).toBe(-3);
    expect(endpointStatus(health({ retryAfterUntil: now - 1 }), now)).toBe(0);
    expect(endpointStatus(health({ state: 'drained' }), now)).toBe(-5);
  });
});
