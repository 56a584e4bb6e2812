import { GatewayError } from '@switchyard/contracts';
import { emptyRoutingTable } from '@switchyard/llm-spec';
import { defaultAccountPolicy } from '@switchyard/routing-policy';
import { countModels, listModels, listUserModels, renderModelDetail, renderModelEndpoints, renderProviders, renderZdrEndpoints } from './model-listing.js';
import { FIXTURE_NOW, fixtureIndex, fixtureRoutingTable } from './models.fixture.js';
import { openRouterModelSchema, openRouterPublicEndpointSchema } from './openrouter-model.schema.js';

const index = fixtureIndex();
const ids = (query: Record<string, string> = {}) => listModels(index, query, { now: FIXTURE_NOW }).data.map((model) => model.id);

function rejected(run: () => unknown, parameter: string): GatewayError {
  try {
    run();
  } catch (error) {
    expect(GatewayError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ status: 400, metadata: { param: parameter } });
    expect((error as Error).message).toContain(parameter);
    return error as GatewayError;
  }
  throw new Error(`expected a 400 for ${parameter}`);
}

describe('listModels', () => {
  it('lists text models newest first, variants as separate ids, aliases, nothing disabled', () => {
    expect(ids()).toEqual([
      'anthropic/claude-sonnet-4.5',
      'anthropic/claude-sonnet-4.5:extended',
      'openrouter/auto',
      'openai/gpt-5',
      '~openai/gpt-latest',
      'sketchy/only-model',
      'mistralai/discounted',
      'anthropic/claude-3.7-sonnet',
      'anthropic/claude-3.7-sonnet:thinking',
      'meta-llama/llama-3.3-70b-instruct',
      'meta-llama/llama-3.3-70b-instruct:free',
      'openrouter/free',
      'openai/gpt-4o-mini',
    ]);
    const response = listModels(index);
    expect(response.total_count).toBe(13);
    expect(response.links).toEqual({ next: null });
    for (const model of response.data) expect(openRouterModelSchema.safeParse(model).success).toBe(true);
  });

  it('filters output modalities: text by default, any of a list, or all', () => {
    expect(ids({ output_modalities: 'image' })).toEqual(['google/imagen-lite']);
    expect(ids({ output_modalities: 'image,text' })).toHaveLength(14);
    expect(ids({ output_modalities: 'all' })).toHaveLength(14);
    expect(countModels(index, { output_modalities: 'all' })).toEqual({ data: { count: 14 } });
    expect(countModels(index)).toEqual({ data: { count: 13 } });
    expect(countModels(index, { output_modalities: 'image', limit: '1' })).toEqual({ data: { count: 1 } });
  });

  it('requires every listed supported parameter and input modality', () => {
    // The auto router takes and supports what any model it picks among does.
    expect(ids({ supported_parameters: 'tools,response_format' })).toEqual(['openrouter/auto', 'openai/gpt-4o-mini']);
    expect(ids({ supported_parameters: 'reasoning' })).toEqual(['anthropic/claude-sonnet-4.5', 'openrouter/auto', 'openai/gpt-5', '~openai/gpt-latest', 'anthropic/claude-3.7-sonnet:thinking']);
    expect(ids({ input_modalities: 'image' })).toEqual(['anthropic/claude-sonnet-4.5', 'anthropic/claude-sonnet-4.5:extended', 'openrouter/auto', 'openai/gpt-4o-mini']);
    expect(ids({ input_modalities: 'image,file' })).toEqual(['openrouter/auto', 'openai/gpt-4o-mini']);
  });

  it('searches id, name and description case-insensitively, every word', () => {
    expect(ids({ q: 'LLAMA' })).toEqual(['meta-llama/llama-3.3-70b-instruct', 'meta-llama/llama-3.3-70b-instruct:free']);
    expect(ids({ q: 'low-cost multimodal' })).toEqual(['openai/gpt-4o-mini']);
    expect(ids({ q: 'sonnet thinking' })).toEqual(['anthropic/claude-3.7-sonnet:thinking']);
    expect(ids({ q: 'no such model' })).toEqual([]);
  });

  it('filters by minimum context, authors, providers, tokenizer, ZDR and region', () => {
    expect(ids({ context: '400000' })).toEqual(['anthropic/claude-sonnet-4.5:extended', 'openrouter/auto', 'openai/gpt-5', '~openai/gpt-latest']);
    expect(ids({ model_authors: 'anthropic,META-LLAMA' })).toEqual([
      'anthropic/claude-sonnet-4.5',
      'anthropic/claude-sonnet-4.5:extended',
      'anthropic/claude-3.7-sonnet',
      'anthropic/claude-3.7-sonnet:thinking',
      'meta-llama/llama-3.3-70b-instruct',
      'meta-llama/llama-3.3-70b-instruct:free',
    ]);
    expect(ids({ providers: 'groq' })).toEqual(['openrouter/auto', 'meta-llama/llama-3.3-70b-instruct', 'meta-llama/llama-3.3-70b-instruct:free', 'openrouter/free']);
    expect(ids({ providers: 'Azure' })).toEqual(['openrouter/auto', 'openai/gpt-4o-mini']);
    expect(ids({ arch: 'claude' })).toHaveLength(4);
    expect(ids({ zdr: 'true' })).toEqual(['openrouter/auto', 'mistralai/discounted', 'meta-llama/llama-3.3-70b-instruct']);
    expect(ids({ zdr: 'false' })).toHaveLength(13);
    expect(ids({ region: 'eu' })).toEqual(['openrouter/auto', 'sketchy/only-model', 'meta-llama/llama-3.3-70b-instruct', 'openai/gpt-4o-mini']);
    // A router is as old as the newest model it picks among.
    expect(ids({ max_age_days: '150' })).toEqual(['anthropic/claude-sonnet-4.5', 'anthropic/claude-sonnet-4.5:extended', 'openrouter/auto', 'openai/gpt-5', '~openai/gpt-latest']);
    expect(ids({ max_age_days: '120' })).toEqual(['anthropic/claude-sonnet-4.5', 'anthropic/claude-sonnet-4.5:extended', 'openrouter/auto']);
    expect(ids({ min_age_days: '365' })).toEqual(['meta-llama/llama-3.3-70b-instruct', 'meta-llama/llama-3.3-70b-instruct:free', 'openrouter/free', 'openai/gpt-4o-mini']);
  });

  it('compares prices in USD per million tokens exactly, inclusive bounds, after discount (the auto router, priced as its pick, matches no bound)', () => {
    // gpt-4o-mini lists 0.00000015 per token = 0.15 per million: a float would make 0.15 / 1e6 inexact
    expect(ids({ max_price: '0.15' })).toEqual(['meta-llama/llama-3.3-70b-instruct', 'meta-llama/llama-3.3-70b-instruct:free', 'openrouter/free', 'openai/gpt-4o-mini']);
    expect(ids({ max_price: '0.1499999' })).toEqual(['meta-llama/llama-3.3-70b-instruct', 'meta-llama/llama-3.3-70b-instruct:free', 'openrouter/free']);
    expect(ids({ min_price: '0.15', max_price: '0.2' })).toEqual(['sketchy/only-model', 'openai/gpt-4o-mini']);
    // mistralai/discounted lists $2/M with a 50 % discount: $1/M paid
    expect(ids({ min_price: '1', max_price: '1' })).toEqual(['mistralai/discounted']);
    expect(ids({ min_output_price: '15', max_output_price: '22.5' })).toEqual(['anthropic/claude-sonnet-4.5', 'anthropic/claude-sonnet-4.5:extended', 'anthropic/claude-3.7-sonnet', 'anthropic/claude-3.7-sonnet:thinking']);
  });

  it('sorts by price, context, newest, and by throughput or latency from the routing table', () => {
    expect(ids({ sort: 'pricing-low-to-high' }).slice(0, 4)).toEqual(['meta-llama/llama-3.3-70b-instruct:free', 'openrouter/free', 'meta-llama/llama-3.3-70b-instruct', 'openai/gpt-4o-mini']);
    expect(ids({ sort: 'pricing-high-to-low' })[0]).toBe('anthropic/claude-sonnet-4.5:extended');
    // The auto router's price is its pick's: after every priced entry either way.
    expect(ids({ sort: 'pricing-low-to-high' }).at(-1)).toBe('openrouter/auto');
    expect(ids({ sort: 'pricing-high-to-low' }).at(-1)).toBe('openrouter/auto');
    expect(ids({ sort: 'context-high-to-low' }).slice(0, 3)).toEqual(['anthropic/claude-sonnet-4.5:extended', 'openai/gpt-5', 'openrouter/auto']);
    expect(ids({ sort: 'newest' })).toEqual(ids());
    expect(ids({ sort: 'most-popular' })).toEqual(ids());
    const table = fixtureRoutingTable();
    const byThroughput = listModels(index, { sort: 'throughput-high-to-low' }, { routingTable: table }).data.map((model) => model.id);
    // A router ranks by the best endpoint it can pick.
    expect(byThroughput.slice(0, 3)).toEqual(['openrouter/auto', 'meta-llama/llama-3.3-70b-instruct', 'openai/gpt-4o-mini']);
    const byLatency = listModels(index, { sort: 'latency-low-to-high' }, { routingTable: table }).data.map((model) => model.id);
    expect(byLatency.slice(0, 3)).toEqual(['openrouter/auto', 'meta-llama/llama-3.3-70b-instruct', 'openai/gpt-4o-mini']);
  });

  it('paginates with offset and limit, linking the next page with the same filters', () => {
    const first = listModels(index, { limit: '4', q: 'a' });
    expect(first.data).toHaveLength(4);
    expect(first.total_count).toBe(ids({ q: 'a' }).length);
    expect(first.links.next).toBe('/api/v1/models?q=a&offset=4&limit=4');
    const second = listModels(index, { limit: '4', offset: '4', q: 'a' });
    expect(second.data.map((model) => model.id)).toEqual(ids({ q: 'a' }).slice(4, 8));
    const last = listModels(index, { limit: '4', offset: '12' });
    expect(last.data.map((model) => model.id)).toEqual(ids().slice(12));
    expect(last.links.next).toBeNull();
    expect(listModels(index, { offset: '10' }).data).toHaveLength(3);
    expect(listModels(index, { limit: '1000' }).data).toHaveLength(13);
  });

  it('rejects invalid query values with a 400 naming the parameter', () => {
    rejected(() => listModels(index, { limit: '1001' }), 'limit');
    rejected(() => listModels(index, { limit: '0' }), 'limit');
    rejected(() => listModels(index, { offset: '-1' }), 'offset');
    rejected(() => listModels(index, { context: 'big' }), 'context');
    rejected(() => listModels(index, { max_price: '1e-6' }), 'max_price');
    rejected(() => listModels(index, { min_output_price: '-2' }), 'min_output_price');
    rejected(() => listModels(index, { min_price: '5', max_price: '1' }), 'min_price');
    rejected(() => listModels(index, { sort: 'cheapest' }), 'sort');
    rejected(() => listModels(index, { zdr: 'maybe' }), 'zdr');
    rejected(() => listModels(index, { region: 'asia' }), 'region');
    rejected(() => listModels(index, { category: 'cooking' }), 'category');
    rejected(() => countModels(index, { min_intelligence_index: 'high' }), 'min_intelligence_index');
    expect(listModels(index, { category: 'programming', distillable: 'true', unknown_param: 'x' }).total_count).toBe(13);
  });

  it('accepts repeated query keys as a list', () => {
    expect(listModels(index, { supported_parameters: ['tools', 'response_format'] }).data.map((model) => model.id)).toEqual(['openrouter/auto', 'openai/gpt-4o-mini']);
  });
});

describe('listUserModels', () => {
  it('drops endpoints of training providers by default and re-prices from what is left', () => {
    const listed = listUserModels(index, {}, defaultAccountPolicy);
    const llama = listed.data.find((model) => model.id === 'meta-llama/llama-3.3-70b-instruct')!;
    expect(llama.pricing).toEqual({ prompt: '0.00000023', completion: '0.0000004' });
    expect(listed.data.some((model) => model.id === 'sketchy/only-model')).toBe(false);
    expect(listModels(index).data.find((model) => model.id === 'meta-llama/llama-3.3-70b-instruct')!.pricing.prompt).toBe('0.0000001');
    expect(listUserModels(index, {}, { ...defaultAccountPolicy, allowTraining: true }).data.some((model) => model.id === 'sketchy/only-model')).toBe(true);
  });

  it('keeps only zero-retention providers when ZDR is required, and non-retaining ones when retention is off', () => {
    const zdr = listUserModels(index, {}, { ...defaultAccountPolicy, requireZdr: true }).data.map((model) => model.id);
    expect(zdr).toEqual(['openrouter/auto', 'mistralai/discounted', 'meta-llama/llama-3.3-70b-instruct']);
    const noRetention = listUserModels(index, {}, { ...defaultAccountPolicy, allowRetention: false }).data.map((model) => model.id);
    expect(noRetention).toEqual(['openrouter/auto', 'mistralai/discounted', 'meta-llama/llama-3.3-70b-instruct', 'meta-llama/llama-3.3-70b-instruct:free', 'openrouter/free']);
  });

  it('honours the account’s allowed and ignored providers', () => {
    const onlyAnthropic = listUserModels(index, {}, { ...defaultAccountPolicy, allowedProviders: ['Anthropic'] }).data.map((model) => model.id);
    expect(onlyAnthropic).toEqual(['anthropic/claude-sonnet-4.5', 'anthropic/claude-sonnet-4.5:extended', 'openrouter/auto', 'anthropic/claude-3.7-sonnet', 'anthropic/claude-3.7-sonnet:thinking']);
    const withoutOpenAi = listUserModels(index, {}, { ...defaultAccountPolicy, ignoredProviders: ['openai'] });
    expect(withoutOpenAi.data.some((model) => model.id === 'openai/gpt-5')).toBe(false);
    expect(withoutOpenAi.data.find((model) => model.id === 'openai/gpt-4o-mini')!.pricing.prompt).toBe('0.000000165');
  });

  it('renders each account policy once per catalog version', () => {
    const policy = { ...defaultAccountPolicy, ignoredProviders: ['Groq'] };
    const first = listUserModels(index, {}, policy).data;
    const again = listUserModels(index, {}, { ...defaultAccountPolicy, ignoredProviders: ['groq'] }).data;
    expect(again).toHaveLength(first.length);
    first.forEach((model, position) => expect(again[position]).toBe(model));
    expect(listUserModels(index, {}, defaultAccountPolicy).data.some((model) => model.id === 'meta-llama/llama-3.3-70b-instruct:free')).toBe(true);
    expect(first.some((model) => model.id === 'meta-llama/llama-3.3-70b-instruct:free')).toBe(false);
    const nextVersion = fixtureIndex();
    expect(listUserModels(nextVersion, {}, policy).data[0]).not.toBe(first[0]);
  });

  it("narrows the list to the calling key's model allowlist, keeping a router that can pick an allowed model", () => {
    const listed = listUserModels(index, {}, defaultAccountPolicy, { allowedModels: ['meta-llama/*', 'openai/gpt-4o-mini'] }).data.map((model) => model.id);
    // The routers stay: each picks among models the key may use (the free llama; llama and gpt-4o-mini).
    expect(listed).toEqual(['openrouter/auto', 'meta-llama/llama-3.3-70b-instruct', 'meta-llama/llama-3.3-70b-instruct:free', 'openrouter/free', 'openai/gpt-4o-mini']);
    expect(listUserModels(index, {}, defaultAccountPolicy, { allowedModels: ['anthropic/*'] }).data.map((model) => model.id)).not.toContain('openrouter/free');
    expect(listUserModels(index, {}, defaultAccountPolicy, { allowedModels: null }).data.length).toBe(listUserModels(index, {}, defaultAccountPolicy).data.length);
  });

  it('applies the listing filters and links pages under /models/user', () => {
    const page = listUserModels(index, { limit: '1', providers: 'groq' }, defaultAccountPolicy);
    expect(page.total_count).toBe(4);
    expect(page.links.next).toBe('/api/v1/models/user?providers=groq&offset=1&limit=1');
  });
});

describe('renderModelEndpoints', () => {
  const table = fixtureRoutingTable();

  it('lists every endpoint of a model with health figures, healthy first, then by price', () => {
    const { data } = renderModelEndpoints(index, 'meta-llama/llama-3.3-70b-instruct', table, { now: FIXTURE_NOW });
    expect(data).toMatchObject({ id: 'meta-llama/llama-3.3-70b-instruct', name: 'Meta: Llama 3.3 70B Instruct', created: 1733443200, architecture: { modality: 'text->text', tokenizer: 'Llama3' } });
    expect(data.endpoints.map((endpoint) => [endpoint.tag, endpoint.status])).toEqual([
      ['sketchy', 0],
      ['deepinfra', 0],
      ['groq', -2],
    ]);
    expect(data.endpoints[1]).toEqual({
      name: 'DeepInfra | meta-llama/llama-3.3-70b-instruct-20241206',
      model_id: 'meta-llama/llama-3.3-70b-instruct-20241206',
      model_name: 'Meta: Llama 3.3 70B Instruct',
      provider_name: 'DeepInfra',
      tag: 'deepinfra',
      context_length: 131072,
      max_completion_tokens: null,
      max_prompt_tokens: null,
      pricing: { prompt: '0.00000023', completion: '0.0000004' },
      quantization: 'fp8',
      supported_parameters: ['temperature', 'max_tokens', 'tools'],
      supports_implicit_caching: false,
      status: 0,
      uptime_last_5m: 100,
      uptime_last_30m: 99.5,
      uptime_last_1d: 98.25,
      latency_last_30m: { p50: 420, p75: 510, p90: 700, p99: 1500 },
      throughput_last_30m: { p50: 45, p75: 52, p90: 60, p99: 70 },
      supports_voice_cloning: false,
    });
    expect(data.endpoints[0]!.uptime_last_5m).toBeNull();
    expect(data.endpoints[0]!.latency_last_30m).toBeNull();
    for (const endpoint of data.endpoints) expect(openRouterPublicEndpointSchema.safeParse(endpoint).success).toBe(true);
  });

  it('follows variants, aliases and service tiers', () => {
    const free = renderModelEndpoints(index, 'meta-llama/llama-3.3-70b-instruct:free', emptyRoutingTable());
    expect(free.data.id).toBe('meta-llama/llama-3.3-70b-instruct:free');
    expect(free.data.endpoints.map((endpoint) => endpoint.name)).toEqual(['Groq (free) | meta-llama/llama-3.3-70b-instruct-20241206']);
    const alias = renderModelEndpoints(index, '~openai/gpt-latest', emptyRoutingTable());
    expect(alias.data.id).toBe('openai/gpt-5');
    expect(alias.data.endpoints.map((endpoint) => endpoint.tag)).toEqual(['openai/flex', 'openai', 'openai/priority']);
    const thinking = renderModelEndpoints(index, 'ANTHROPIC/Claude-3.7-Sonnet:thinking', emptyRoutingTable());
    expect(thinking.data.endpoints.map((endpoint) => endpoint.tag)).toEqual(['anthropic/thinking']);
  });

  it('answers 404 for unknown and disabled models', () => {
    for (const id of ['nobody/nothing', 'old/retired', 'openai/gpt-4o-mini:free', '~old/retired-latest']) {
      expect(() => renderModelEndpoints(index, id, emptyRoutingTable())).toThrow(expect.objectContaining({ status: 404 }));
    }
  });
});

describe('renderZdrEndpoints', () => {
  it('lists every active endpoint of a zero-retention provider, by model, as public endpoint objects with health figures', () => {
    const { data } = renderZdrEndpoints(index, fixtureRoutingTable(), { now: FIXTURE_NOW });
    // DeepInfra is the fixture's only ZDR provider; retaining (OpenAI, Anthropic, Azure), training (Sketchy) and
    // plain non-ZDR (Groq) providers are left out, and so is the disabled provider's endpoint.
    expect(data.map((endpoint) => [endpoint.model_id, endpoint.tag])).toEqual([
      ['google/imagen-lite-20251001', 'deepinfra'],
      ['meta-llama/llama-3.3-70b-instruct-20241206', 'deepinfra'],
      ['mistralai/discounted-20250301', 'deepinfra'],
    ]);
    expect(data[1]).toMatchObject({ provider_name: 'DeepInfra', uptime_last_30m: 99.5, quantization: 'fp8' });
    for (const endpoint of data) expect(openRouterPublicEndpointSchema.safeParse(endpoint).success).toBe(true);
  });
});

describe('renderModelDetail', () => {
  it('renders one model by id, variant or alias, as listed', () => {
    expect(renderModelDetail(index, 'openai/gpt-4o-mini').data).toEqual(listModels(index).data.find((model) => model.id === 'openai/gpt-4o-mini'));
    expect(renderModelDetail(index, 'meta-llama/llama-3.3-70b-instruct:free').data).toMatchObject({ id: 'meta-llama/llama-3.3-70b-instruct:free', pricing: { prompt: '0' } });
    expect(renderModelDetail(index, '~openai/gpt-latest').data).toMatchObject({ id: '~openai/gpt-latest', alias_target: { slug: 'openai/gpt-5' } });
    expect(renderModelDetail(index, 'openai/gpt-5:nitro').data.id).toBe('openai/gpt-5');
    expect(renderModelDetail(index, 'OpenAI/GPT-5').data.id).toBe('openai/gpt-5');
    expect(openRouterModelSchema.safeParse(renderModelDetail(index, 'anthropic/claude-sonnet-4.5:extended').data).success).toBe(true);
  });

  it('answers 404 for unknown models and variants without endpoints', () => {
    for (const id of ['nobody/nothing', 'openai/gpt-5:free', 'old/retired', 'openai/gpt-5:bogus']) {
      expect(() => renderModelDetail(index, id)).toThrow(expect.objectContaining({ status: 404 }));
    }
  });
});

describe('the free router as a model', () => {
  it("lists openrouter/free at $0 with the free endpoints it picks among, and answers its detail and endpoints", () => {
    const listed = listModels(index).data.find((model) => model.id === 'openrouter/free')!;
    expect(openRouterModelSchema.safeParse(listed).success).toBe(true);
    expect(listed).toMatchObject({ name: 'Free Models Router', pricing: { prompt: '0', completion: '0' }, architecture: { tokenizer: 'Router' } });
    expect(renderModelDetail(index, 'openrouter/free').data).toEqual(listed);
    const { data } = renderModelEndpoints(index, 'openrouter/free', fixtureRoutingTable(), { now: FIXTURE_NOW });
    expect(data.endpoints.map((endpoint) => endpoint.tag)).toEqual(['groq/free']);
    expect(data.endpoints.every((endpoint) => endpoint.pricing.prompt === '0')).toBe(true);
  });
});

describe('the auto router as a model', () => {
  it('lists openrouter/auto priced -1 (the pick\'s price) with the paid standard endpoints of every chat model it picks among', () => {
    const listed = listModels(index).data.find((model) => model.id === 'openrouter/auto')!;
    expect(openRouterModelSchema.safeParse(listed).success).toBe(true);
    expect(listed).toMatchObject({ name: 'Auto Router', pricing: { prompt: '-1', completion: '-1' }, architecture: { tokenizer: 'Router', output_modalities: ['text'] } });
    expect(renderModelDetail(index, 'OpenRouter/Auto').data).toEqual(listed);
    const { data } = renderModelEndpoints(index, 'openrouter/auto', fixtureRoutingTable(), { now: FIXTURE_NOW });
    const picked = index.autoRouterCandidates.flatMap((candidate) => index.endpointsOf(candidate.modelId).filter((endpoint) => endpoint.variant === 'standard' && endpoint.serviceTier === 'default'));
    expect(data.endpoints).toHaveLength(picked.length);
    expect(index.autoRouterCandidates.length).toBeGreaterThan(3);
    // Never the image model, a free endpoint or a service tier.
    expect(data.endpoints.some((endpoint) => endpoint.tag.endsWith('/free') || endpoint.pricing.prompt === '0')).toBe(false);
    expect(index.autoRouterCandidates.map((candidate) => candidate.modelId)).not.toContain('google/imagen-lite');
  });
});

describe('renderProviders', () => {
  it('lists active providers by name in OpenRouter’s shape', () => {
    const { data } = renderProviders(index);
    expect(data.map((provider) => provider.slug)).toEqual(['anthropic', 'azure', 'deepinfra', 'groq', 'openai', 'sketchy']);
    expect(data[1]).toEqual({
      name: 'Azure',
      slug: 'azure',
      privacy_policy_url: 'https://azure.example/privacy',
      terms_of_service_url: 'https://azure.example/terms',
      status_page_url: 'https://status.azure.example',
      headquarters: 'US',
      datacenters: ['US', 'NL', 'SE'],
    });
  });
});
