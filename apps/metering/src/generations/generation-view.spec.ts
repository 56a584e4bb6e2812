import { moneyToNumber } from '@switchyard/money';
import { canonicalDecimal, modelOfEndpoint, originOf, providerOfEndpoint, type StoredGeneration, toAdminGeneration, toOpenRouterGeneration } from './generation-view.js';

/** The field names of OpenRouter's `GET /api/v1/generation` data (reference §7), plus Switchyard's overhead. */
const OPENROUTER_FIELDS = [
  'id', 'request_id', 'upstream_id', 'session_id', 'preset_id', 'app_id', 'workspace_id', 'external_user',
  'model', 'provider_name', 'router', 'provider_responses', 'service_tier', 'data_region', 'is_byok', 'api_type',
  'created_at', 'latency', 'generation_time', 'moderation_latency', 'streamed', 'cancelled',
  'tokens_prompt', 'tokens_completion', 'native_tokens_prompt', 'native_tokens_completion', 'native_tokens_reasoning',
  'native_tokens_cached', 'native_tokens_completion_images', 'num_media_prompt', 'num_media_completion',
  'num_input_audio_prompt', 'num_search_results', 'num_fetches', 'web_search_engine',
  'total_cost', 'usage', 'upstream_inference_cost', 'cache_discount',
  'finish_reason', 'native_finish_reason', 'response_cache_source_id',
  'origin', 'http_referer', 'user_agent',
  'gateway_overhead_ms',
];

function stored(overrides: Partial<StoredGeneration> = {}): StoredGeneration {
  return {
    id: 'gen-1',
    request_id: 'req-1',
    account_id: 'acct-1',
    key_id: 'key-1',
    key_hash: 'hash',
    lease_id: null,
    api_type: 'completions',
    model: 'anthropic/claude-sonnet-4.5',
    requested_model: 'anthropic/claude-sonnet-4.5',
    endpoint_id: 'anthropic/claude-sonnet-4.5@anthropic',
    provider_slug: 'anthropic',
    provider_name: 'Anthropic',
    upstream_id: 'msg_01',
    is_byok: false,
    streamed: true,
    cancelled: false,
    created_at: new Date('2025-03-01T10:00:00.123Z'),
    recorded_at: new Date('2025-03-01T10:00:01Z'),
    latency_ms: 1234.6,
    generation_time_ms: 1200.2,
    overhead_ms: 3.14159,
    ttft_ms: 200,
    prompt_tokens: 1000,
    completion_tokens: 200,
    total_tokens: 1200,
    reasoning_tokens: 50,
    cached_tokens: 400,
    cache_write_tokens: 0,
    prompt_images: null,
    usage_estimated: false,
    usage_raw: null,
    cost: '0.004380000000',
    upstream_cost: '0.0045',
    cache_discount: '-0.00108',
    pricing: { prompt: '0.000003', completion: '0.000015' },
    finish_reason: 'stop',
    native_finish_reason: 'end_turn',
    attempts: [
      { attemptId: 'att-1', endpointId: 'anthropic/claude-sonnet-4.5@google-vertex', providerSlug: 'google-vertex', providerName: 'Google Vertex', modelId: 'anthropic/claude-sonnet-4.5', ok: false, status: 429, latencyMs: 80.4, isByok: false },
      { attemptId: 'att-2', endpointId: 'anthropic/claude-sonnet-4.5@anthropic', providerSlug: 'anthropic', providerName: 'Anthropic', modelId: 'anthropic/claude-sonnet-4.5', ok: true, status: 200, latencyMs: 1200.2, isByok: false },
    ],
    session_id: 'session-9',
    external_user: 'user-42',
    app_title: 'My App',
    http_referer: 'https://example.com/chat?x=1',
    user_agent: 'openai-node/6',
    reconciled: false,
    needs_pricing: false,
    has_content: false,
    response_cache_source_id: null,
    preset: null,
    ...overrides,
  };
}

describe('toOpenRouterGeneration', () => {
  it('has exactly the field names of GET /api/v1/generation (§7) plus gateway_overhead_ms', () => {
    expect(Object.keys(toOpenRouterGeneration(stored())).sort()).toEqual([...OPENROUTER_FIELDS].sort());
  });

  it('reports tokens as numbers and money as JSON numbers converted from the exact decimals', () => {
    const view = toOpenRouterGeneration(stored());
    expect(view).toMatchObject({
      tokens_prompt: 1000,
      tokens_completion: 200,
      native_tokens_prompt: 1000,
      native_tokens_completion: 200,
      native_tokens_reasoning: 50,
      native_tokens_cached: 400,
      total_cost: 0.00438,
      usage: 0.00438,
      upstream_inference_cost: 0.0045,
      cache_discount: -0.00108,
      latency: 1235,
      generation_time: 1200,
      gateway_overhead_ms: 3.142,
      created_at: '2025-03-01T10:00:00.123Z',
      origin: 'https://example.com/',
      http_referer: 'https://example.com/chat?x=1',
      session_id: 'session-9',
      external_user: 'user-42',
      api_type: 'completions',
    });
    expect(view.total_cost).toBe(moneyToNumber('0.00438'));
  });

  it('lists every attempt in provider_responses, with the upstream id on the one that served', () => {
    expect(toOpenRouterGeneration(stored()).provider_responses).toEqual([
      { id: null, endpoint_id: 'anthropic/claude-sonnet-4.5@google-vertex', model_permaslug: 'anthropic/claude-sonnet-4.5', provider_name: 'Google Vertex', status: 429, latency: 80, is_byok: false },
      { id: 'msg_01', endpoint_id: 'anthropic/claude-sonnet-4.5@anthropic', model_permaslug: 'anthropic/claude-sonnet-4.5', provider_name: 'Anthropic', status: 200, latency: 1200, is_byok: false },
    ]);
  });

  it('reports response_cache_source_id: null for a generation a provider served, the replayed id for a cache hit', () => {
    expect(toOpenRouterGeneration(stored()).response_cache_source_id).toBeNull();
    const hit = toOpenRouterGeneration(stored({ response_cache_source_id: 'gen-1700000000-abcdefghijklmnopqrst', cost: '0', upstream_cost: '0', cache_discount: '0', attempts: [] }));
    expect(hit).toMatchObject({ response_cache_source_id: 'gen-1700000000-abcdefghijklmnopqrst', total_cost: 0, usage: 0, provider_responses: [] });
  });

  it("reports the preset a request named as preset_id, and the free or auto router as router when the request named it", () => {
    expect(toOpenRouterGeneration(stored())).toMatchObject({ preset_id: null, router: null });
    expect(toOpenRouterGeneration(stored({ preset: 'support-bot', requested_model: '@preset/support-bot' }))).toMatchObject({ preset_id: 'support-bot', router: null });
    expect(toOpenRouterGeneration(stored({ model: 'meta-llama/llama-3.3-70b-instruct:free', requested_model: 'OpenRouter/free' }))).toMatchObject({ router: 'openrouter/free' });
    expect(toOpenRouterGeneration(stored({ model: 'openai/gpt-4.1-nano', requested_model: 'openrouter/auto' }))).toMatchObject({ router: 'openrouter/auto', model: 'openai/gpt-4.1-nano' });
    expect(toOpenRouterGeneration(stored({ model: 'openai/gpt-4.1-nano', requested_model: 'openrouter/auto-beta' }))).toMatchObject({ router: 'openrouter/auto-beta' });
  });

  it('reports a reconciled placeholder with an unknown price as costing 0 (nothing was charged for it)', () => {
    const view = toOpenRouterGeneration(stored({ cost: null, upstream_cost: null, cache_discount: null, needs_pricing: true, reconciled: true, latency_ms: null, overhead_ms: null }));
    expect(view).toMatchObject({ total_cost: 0, usage: 0, upstream_inference_cost: null, cache_discount: null, latency: null, gateway_overhead_ms: null });
  });
});

describe('toAdminGeneration', () => {
  it('keeps money as exact canonical decimal strings and includes content only when asked', () => {
    const view = toAdminGeneration(stored());
    expect(view).toMatchObject({ cost: '0.00438', upstream_cost: '0.0045', cache_discount: '-0.00108', key_id: 'key-1', app_title: 'My App', ttft_ms: 200 });
    expect(view).not.toHaveProperty('content');
    expect(view).toHaveProperty('response_cache_source_id', null);
    expect(toAdminGeneration(stored({ response_cache_source_id: 'gen-2' }))).toMatchObject({ response_cache_source_id: 'gen-2' });
    expect(toAdminGeneration(stored(), { input: 'q', output: 'a' })).toMatchObject({ content: { input: 'q', output: 'a' } });
  });
});

describe('helpers', () => {
  it('canonicalDecimal strips trailing zeros without rounding', () => {
    expect(canonicalDecimal('12.500000000000')).toBe('12.5');
    expect(canonicalDecimal('0.0000000000001')).toBe('0.0000000000001');
    expect(canonicalDecimal('0.000')).toBe('0');
  });

  it('splits endpoint ids into model and provider', () => {
    expect(modelOfEndpoint('meta-llama/llama-3.3-70b-instruct:free@deepinfra/turbo')).toBe('meta-llama/llama-3.3-70b-instruct:free');
    expect(providerOfEndpoint('meta-llama/llama-3.3-70b-instruct:free@deepinfra/turbo')).toBe('deepinfra');
    expect(modelOfEndpoint('no-tag')).toBe('no-tag');
    expect(providerOfEndpoint('no-tag')).toBeNull();
  });

  it('derives origin from a referer URL', () => {
    expect(originOf('https://app.example.com:8443/path')).toBe('https://app.example.com:8443/');
    expect(originOf('not a url')).toBe('not a url');
    expect(originOf(null)).toBeNull();
  });
});
