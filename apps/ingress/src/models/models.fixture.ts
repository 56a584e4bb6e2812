import { type CatalogEndpoint, type CatalogModel, type CatalogProvider, type CatalogSnapshotInput, type RoutingTable, catalogSnapshotSchema } from '@switchyard/llm-spec';
import { CatalogIndex } from '@switchyard/routing-policy';

/**
 * A small catalog for the public-listing specs: real-looking providers with different data policies, variants
 * (free, extended, thinking), service tiers, a discount, an image-output model, an alias, and disabled records.
 * Test support only (no I/O).
 */

function provider(slug: string, name: string, policy: Partial<CatalogProvider['dataPolicy']>, extra: Partial<CatalogProvider> = {}): CatalogProvider {
  return {
    slug,
    name,
    wireFormat: 'openai',
    adapter: slug,
    baseUrl: `https://api.${slug}.example/v1`,
    dataPolicy: { training: false, retainsPrompts: false, retentionDays: null, zdr: false, moderated: false, ...policy },
    statusPageUrl: `https://status.${slug}.example`,
    privacyPolicyUrl: `https://${slug}.example/privacy`,
    termsOfServiceUrl: `https://${slug}.example/terms`,
    headquarters: 'US',
    datacenters: ['US'],
    status: 'active',
    ...extra,
  };
}

function model(id: string, name: string, created: string, contextLength: number, extra: Partial<CatalogModel> = {}): CatalogModel {
  return {
    id,
    canonicalSlug: `${id}-${created.replaceAll('-', '')}`,
    huggingFaceId: null,
    name,
    description: `${name} is a model.`,
    created: Date.parse(`${created}T00:00:00Z`) / 1000,
    contextLength,
    inputModalities: ['text'],
    outputModalities: ['text'],
    tokenizer: 'Other',
    instructType: null,
    reasoning: null,
    knowledgeCutoff: null,
    expirationDate: null,
    defaultParameters: null,
    status: 'active',
    ...extra,
  };
}

const BASIC = ['temperature', 'top_p', 'max_tokens', 'stop'];

function endpoint(modelId: string, tag: string, prompt: string, completion: string, extra: Partial<CatalogEndpoint> = {}): CatalogEndpoint {
  const slash = tag.indexOf('/');
  const suffix = slash < 0 ? undefined : tag.slice(slash + 1);
  return {
    id: `${modelId}@${tag}`,
    modelId,
    providerSlug: slash < 0 ? tag : tag.slice(0, slash),
    tag,
    variant: suffix === 'free' || suffix === 'extended' || suffix === 'thinking' ? suffix : 'standard',
    upstreamModelId: modelId.split('/')[1]!,
    pricing: { prompt, completion },
    contextLength: 131072,
    maxCompletionTokens: null,
    maxPromptTokens: null,
    quantization: null,
    supportedParameters: BASIC,
    supportsImplicitCaching: false,
    serviceTier: suffix === 'flex' || suffix === 'priority' ? suffix : 'default',
    status: 'active',
    ...extra,
  };
}

const REASONING = { supportedEfforts: ['low', 'medium', 'high'], defaultEffort: 'medium', defaultEnabled: false, supportsMaxTokens: true, mandatory: false };

export const fixtureSnapshot: CatalogSnapshotInput = {
  version: 42,
  generatedAt: '2026-01-01T00:00:00.000Z',
  providers: [
    provider('openai', 'OpenAI', { retainsPrompts: true, retentionDays: 30 }),
    provider('anthropic', 'Anthropic', { retainsPrompts: true, retentionDays: 30 }),
    provider('azure', 'Azure', { retainsPrompts: true, moderated: true }, { datacenters: ['US', 'NL', 'SE'] }),
    provider('deepinfra', 'DeepInfra', { zdr: true }),
    provider('groq', 'Groq', {}),
    provider('sketchy', 'Sketchy AI', { training: true, retainsPrompts: true }, { headquarters: 'DE', datacenters: ['DE'] }),
    provider('gone', 'Gone Inc', {}, { status: 'disabled' }),
  ],
  models: [
    model('openai/gpt-4o-mini', 'OpenAI: GPT-4o-mini', '2024-07-18', 128000, {
      huggingFaceId: null,
      inputModalities: ['text', 'image', 'file'],
      tokenizer: 'GPT',
      knowledgeCutoff: '2023-10-01',
      description: 'GPT-4o mini is OpenAI’s small, low-cost multimodal model.',
    }),
    model('openai/gpt-5', 'OpenAI: GPT-5', '2025-08-07', 400000, { tokenizer: 'GPT', reasoning: { ...REASONING, defaultEnabled: true, mandatory: true } }),
    model('anthropic/claude-sonnet-4.5', 'Anthropic: Claude Sonnet 4.5', '2025-09-29', 200000, { tokenizer: 'Claude', inputModalities: ['text', 'image'], reasoning: REASONING }),
    model('anthropic/claude-3.7-sonnet', 'Anthropic: Claude 3.7 Sonnet', '2025-02-24', 200000, { tokenizer: 'Claude', reasoning: REASONING }),
    model('meta-llama/llama-3.3-70b-instruct', 'Meta: Llama 3.3 70B Instruct', '2024-12-06', 131072, {
      tokenizer: 'Llama3',
      instructType: 'llama3',
      huggingFaceId: 'meta-llama/Llama-3.3-70B-Instruct',
      defaultParameters: { temperature: 0.7, top_p: null },
    }),
    model('sketchy/only-model', 'Sketchy: Only Model', '2025-05-01', 32768),
    model('google/imagen-lite', 'Google: Imagen Lite', '2025-10-01', 8192, { outputModalities: ['image'], inputModalities: ['text'] }),
    model('mistralai/discounted', 'Mistral: Discounted', '2025-03-01', 65536),
    model('old/retired', 'Old: Retired', '2023-01-01', 4096, { status: 'disabled' }),
  ],
  endpoints: [
    endpoint('openai/gpt-4o-mini', 'openai', '0.00000015', '0.0000006', {
      contextLength: 128000,
      maxCompletionTokens: 16384,
      supportsImplicitCaching: true,
      pricing: { prompt: '0.00000015', completion: '0.0000006', input_cache_read: '0.000000075' },
      supportedParameters: ['tools', 'temperature', 'response_format', 'seed', 'max_tokens', 'structured_outputs'],
    }),
    endpoint('openai/gpt-4o-mini', 'azure', '0.000000165', '0.00000066', { contextLength: 128000, maxCompletionTokens: 16384, supportedParameters: ['temperature', 'tools', 'logit_bias'] }),
    endpoint('openai/gpt-5', 'openai', '0.00000125', '0.00001', { contextLength: 400000, maxCompletionTokens: 128000, supportedParameters: ['reasoning', 'include_reasoning', 'tools', 'max_tokens'] }),
    endpoint('openai/gpt-5', 'openai/flex', '0.000000625', '0.000005', { contextLength: 400000, maxCompletionTokens: 128000 }),
    endpoint('openai/gpt-5', 'openai/priority', '0.0000025', '0.00002', { contextLength: 400000, maxCompletionTokens: 128000 }),
    endpoint('anthropic/claude-sonnet-4.5', 'anthropic', '0.000003', '0.000015', {
      contextLength: 200000,
      maxCompletionTokens: 64000,
      pricing: { prompt: '0.000003', completion: '0.000015', input_cache_read: '0.0000003', input_cache_write: '0.00000375' },
      supportedParameters: ['reasoning', 'include_reasoning', 'tools', 'tool_choice', 'max_tokens', 'temperature'],
    }),
    endpoint('anthropic/claude-sonnet-4.5', 'anthropic/extended', '0.000006', '0.0000225', { contextLength: 1000000, maxCompletionTokens: 64000 }),
    endpoint('anthropic/claude-3.7-sonnet', 'anthropic', '0.000003', '0.000015', { contextLength: 200000 }),
    endpoint('anthropic/claude-3.7-sonnet', 'anthropic/thinking', '0.000003', '0.000015', { contextLength: 200000, supportedParameters: ['reasoning', 'max_tokens'] }),
    endpoint('meta-llama/llama-3.3-70b-instruct', 'deepinfra', '0.00000023', '0.0000004', { quantization: 'fp8', supportedParameters: ['tools', 'temperature', 'max_tokens'] }),
    endpoint('meta-llama/llama-3.3-70b-instruct', 'groq', '0.00000059', '0.00000079', { maxCompletionTokens: 32768 }),
    endpoint('meta-llama/llama-3.3-70b-instruct', 'groq/free', '0', '0', { contextLength: 65536, maxCompletionTokens: 8192 }),
    endpoint('meta-llama/llama-3.3-70b-instruct', 'sketchy', '0.0000001', '0.0000001'),
    endpoint('meta-llama/llama-3.3-70b-instruct', 'gone', '0.00000001', '0.00000001'),
    endpoint('sketchy/only-model', 'sketchy', '0.0000002', '0.0000002', { contextLength: 32768 }),
    endpoint('google/imagen-lite', 'deepinfra', '0.000001', '0.00004', { contextLength: 8192 }),
    endpoint('mistralai/discounted', 'deepinfra', '0.000002', '0.000006', { contextLength: 65536, pricing: { prompt: '0.000002', completion: '0.000006', discount: 0.5 } }),
    endpoint('mistralai/discounted', 'groq', '0.0000015', '0.000005', { contextLength: 65536, status: 'disabled' }),
    endpoint('old/retired', 'groq', '0.000001', '0.000001'),
  ],
  aliases: { '~openai/gpt-latest': 'openai/gpt-5', '~old/retired-latest': 'old/retired' },
};

export function fixtureIndex(): CatalogIndex {
  return CatalogIndex.build(catalogSnapshotSchema.parse(fixtureSnapshot));
}

/** 2026-01-01T00:00:00Z, the fixture's "now". */
export const FIXTURE_NOW = Date.parse('2026-01-01T00:00:00Z');

export function fixtureRoutingTable(): RoutingTable {
  const healthy = { state: 'closed' as const, weight: 1, lastFailureAt: null, retryAfterUntil: null, latencyP50Last5m: null, throughputP50Last5m: null, toolCallSuccessRate: null };
  return {
    version: 7,
    generatedAt: '2026-01-01T00:00:00.000Z',
    endpoints: {
      'meta-llama/llama-3.3-70b-instruct@deepinfra': {
        ...healthy,
        uptime5m: 100,
        uptime30m: 99.5,
        uptime1d: 98.25,
        latency30m: { p50: 420, p75: 510, p90: 700, p99: 1500 },
        throughput30m: { p50: 45, p75: 52, p90: 60, p99: 70 },
      },
      'meta-llama/llama-3.3-70b-instruct@groq': {
        ...healthy,
        state: 'open',
        uptime5m: 20,
        uptime30m: 60,
        uptime1d: 95,
        latency30m: { p50: 150, p75: 180, p90: 220, p99: 400 },
        throughput30m: { p50: 280, p75: 300, p90: 320, p99: 350 },
      },
      'openai/gpt-4o-mini@openai': { ...healthy, uptime5m: 100, uptime30m: 100, uptime1d: 99.9, latency30m: { p50: 300, p75: 350, p90: 420, p99: 900 }, throughput30m: { p50: 80, p75: 90, p90: 95, p99: 110 } },
    },
  };
}
