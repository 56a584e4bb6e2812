import type { CanonicalChatRequest, ProviderPreferences } from '@switchyard/llm-spec';
import { type EndpointInput, catalog, chatRequest, defaultAccount, endpoint, model, openAccount, planInput, provider } from '../test/builders.js';
import type { CatalogIndex } from './catalog-index.js';
import type { AccountPolicy, PlanError, PlanInput, PlanResult } from './plan-types.js';
import { explainPlan, plan } from './planner.js';

const providers = [
  provider('alpha'),
  provider('beta', { name: 'Beta Labs', retainsPrompts: true, zdr: false }),
  provider('gamma', { training: true, retainsPrompts: true, zdr: false }),
  provider('deepinfra', { name: 'DeepInfra' }),
  provider('openai', { name: 'OpenAI' }),
];

function build(endpoints: EndpointInput[], extraModels: string[] = []): CatalogIndex {
  return catalog({ providers, models: [model('acme/chat', { reasoning: {} }), model('acme/plain'), ...extraModels.map((id) => model(id))], endpoints });
}

const basic = build([
  endpoint('acme/chat', 'alpha', { prompt: 1 }),
  endpoint('acme/chat', 'beta', { prompt: 2 }),
  endpoint('acme/chat', 'gamma', { prompt: 3 }),
  endpoint('acme/chat', 'deepinfra', { prompt: 4 }),
  endpoint('acme/chat', 'deepinfra/turbo', { prompt: 5 }),
]);

function run(options: { request?: Partial<CanonicalChatRequest>; provider?: ProviderPreferences; account?: AccountPolicy; index?: CatalogIndex; extra?: Partial<PlanInput> }): PlanResult {
  const request = chatRequest({ ...options.request, ...(options.provider ? { provider: options.provider } : {}) });
  return plan(planInput({ catalog: options.index ?? basic, request, account: options.account ?? openAccount, ...options.extra }));
}

function tags(result: PlanResult): string[] {
  if (!result.ok) throw new Error(`expected a plan, got ${result.error.code}: ${result.error.message}`);
  return result.attempts.map((attempt) => attempt.endpoint.tag).sort();
}

function failure(result: PlanResult): PlanError {
  if (result.ok) throw new Error(`expected an error, got ${result.attempts.map((attempt) => attempt.endpoint.id).join(', ')}`);
  return result.error;
}

describe('model resolution', () => {
  it('rejects an unknown model with 400 model_not_found naming it', () => {
    const error = failure(run({ request: { model: 'acme/nope' } }));
    expect(error).toMatchObject({ status: 400, code: 'model_not_found', requestedModels: ['acme/nope'], excludedBy: [] });
    expect(error.message).toContain('acme/nope');
  });

  it('names every model when none of the fallbacks exist either', () => {
    const error = failure(run({ request: { model: 'acme/nope', models: ['acme/nada'] } }));
    expect(error.code).toBe('model_not_found');
    expect(error.message).toContain('acme/nope');
    expect(error.message).toContain('acme/nada');
  });

  it('proceeds with the fallbacks when the primary is unknown, noting it', () => {
    const result = run({ request: { model: 'acme/nope', models: ['acme/chat'] } });
    expect(result.ok && result.unresolvedModels).toEqual(['acme/nope']);
    expect(tags(result)).toHaveLength(5);
  });

  it('treats disabled models and endpoints as missing', () => {
    const index = catalog({
      providers,
      models: [model('acme/chat'), model('acme/gone', { status: 'disabled' })],
      endpoints: [endpoint('acme/chat', 'alpha'), endpoint('acme/chat', 'beta', { status: 'disabled' }), endpoint('acme/gone', 'alpha')],
    });
    expect(failure(run({ index, request: { model: 'acme/gone' } })).code).toBe('model_not_found');
    expect(tags(run({ index }))).toEqual(['alpha']);
  });

  it('404s no_endpoints for a model with no endpoints', () => {
    expect(failure(run({ request: { model: 'acme/plain' } }))).toMatchObject({ status: 404, code: 'no_endpoints', requestedModels: ['acme/plain'] });
  });
});

describe('privacy', () => {
  it('excludes training providers by default (account allowTraining false)', () => {
    expect(tags(run({ account: defaultAccount }))).toEqual(['alpha', 'beta', 'deepinfra', 'deepinfra/turbo']);
  });

  it('excludes retaining providers when the account disallows retention', () => {
    expect(tags(run({ account: { ...openAccount, allowRetention: false } }))).toEqual(['alpha', 'deepinfra', 'deepinfra/turbo']);
  });

  it('data_collection=deny excludes training and retaining providers even if the account allows them', () => {
    expect(tags(run({ provider: { data_collection: 'deny' } }))).toEqual(['alpha', 'deepinfra', 'deepinfra/turbo']);
  });

  it('zdr=true (request or account) keeps only ZDR providers', () => {
    expect(tags(run({ provider: { zdr: true } }))).toEqual(['alpha', 'deepinfra', 'deepinfra/turbo']);
    expect(tags(run({ account: { ...openAccount, requireZdr: true } }))).toEqual(['alpha', 'deepinfra', 'deepinfra/turbo']);
  });

  it('a request can never loosen the account: data_collection=allow and zdr=false change nothing', () => {
    const strict: AccountPolicy = { allowTraining: false, allowRetention: false, requireZdr: true };
    expect(tags(run({ account: strict, provider: { data_collection: 'allow', zdr: false } }))).toEqual(tags(run({ account: strict })));
  });

  it('privacy filters apply before BYOK', () => {
    const result = run({ account: { ...defaultAccount, byokProviders: ['gamma'] } });
    expect(tags(result)).not.toContain('gamma');
  });

  it('404s privacy_restricted naming the account setting and the request field', () => {
    const index = build([endpoint('acme/chat', 'gamma')]);
    const error = failure(run({ index, account: defaultAccount, provider: { data_collection: 'deny' } }));
    expect(error).toMatchObject({ status: 404, code: 'privacy_restricted', excludedBy: ['data_policy:training'] });
    expect(error.message).toBe(
      "No endpoints found matching your data policy (training: your account does not allow providers that train on prompts; request data_collection=deny). Change it in your account privacy settings or the request's provider.data_collection",
    );
  });

  it('names only the account when the request asked nothing', () => {
    const index = build([endpoint('acme/chat', 'beta')]);
    const error = failure(run({ index, account: { ...openAccount, allowRetention: false, requireZdr: true } }));
    expect(error.code).toBe('privacy_restricted');
    expect(error.excludedBy).toEqual(['data_policy:retention']);
    expect(error.message).toContain('retention: your account does not allow providers that retain prompts');
    expect(error.message).toContain('Change it in your account privacy settings');
    expect(error.message).not.toContain("request's");
  });

  it('names zdr=true from the request', () => {
    const index = build([endpoint('acme/chat', 'beta')]);
    const error = failure(run({ index, provider: { zdr: true } }));
    expect(error).toMatchObject({ code: 'privacy_restricted', excludedBy: ['data_policy:zdr'], constraint: { field: 'provider.zdr' } });
    expect(error.message).toContain("zdr: request zdr=true). Change it in the request's provider.zdr");
  });
});

describe('only / ignore', () => {
  it('matches slugs, display names and full tags case-insensitively', () => {
    expect(tags(run({ provider: { only: ['ALPHA'] } }))).toEqual(['alpha']);
    expect(tags(run({ provider: { only: ['Beta Labs'] } }))).toEqual(['beta']);
    expect(tags(run({ provider: { only: ['deepinfra/turbo'] } }))).toEqual(['deepinfra/turbo']);
    expect(tags(run({ provider: { only: ['DeepInfra/Turbo'] } }))).toEqual(['deepinfra/turbo']);
  });

  it('a base slug matches all its tags', () => {
    expect(tags(run({ provider: { only: ['deepinfra'] } }))).toEqual(['deepinfra', 'deepinfra/turbo']);
  });

  it('is intersected with the account ceiling', () => {
    expect(tags(run({ account: { ...openAccount, allowedProviders: ['alpha', 'beta'] } }))).toEqual(['alpha', 'beta']);
    expect(tags(run({ account: { ...openAccount, allowedProviders: ['alpha', 'beta'] }, provider: { only: ['beta', 'gamma'] } }))).toEqual(['beta']);
  });

  it('404s constraint_filtered when only and the ceiling do not meet', () => {
    const error = failure(run({ account: { ...openAccount, allowedProviders: ['alpha'] }, provider: { only: ['gamma'] } }));
    expect(error).toMatchObject({ status: 404, code: 'constraint_filtered', excludedBy: ['allowed_providers'], constraint: { field: 'provider.only' } });
    expect(error.message).toContain("within your account's allowed providers (alpha)");
  });

  it('merges the account ignore list with the request ignore list', () => {
    expect(tags(run({ account: { ...openAccount, ignoredProviders: ['gamma'] }, provider: { ignore: ['Beta Labs', 'deepinfra'] } }))).toEqual(['alpha']);
  });

  it('404s constraint_filtered when everything is ignored', () => {
    const error = failure(run({ provider: { ignore: ['alpha', 'beta', 'gamma', 'deepinfra'] } }));
    expect(error).toMatchObject({ code: 'constraint_filtered', excludedBy: ['ignored_providers'], constraint: { field: 'provider.ignore' } });
  });

  it('treats empty lists as not given', () => {
    expect(tags(run({ provider: { only: [], ignore: [], order: [] } }))).toHaveLength(5);
  });
});

describe('quantizations', () => {
  const index = build([
    endpoint('acme/chat', 'alpha', { quantization: 'fp8' }),
    endpoint('acme/chat', 'beta', { quantization: 'bf16' }),
    endpoint('acme/chat', 'gamma'),
  ]);

  it('keeps only the listed quantizations, an unset one counting as unknown', () => {
    expect(tags(run({ index, provider: { quantizations: ['fp8'] } }))).toEqual(['alpha']);
    expect(tags(run({ index, provider: { quantizations: ['bf16', 'unknown'] } }))).toEqual(['beta', 'gamma']);
  });

  it('404s constraint_filtered naming the quantizations', () => {
    const error = failure(run({ index, provider: { quantizations: ['int4'] } }));
    expect(error).toMatchObject({ code: 'constraint_filtered', excludedBy: ['quantization'], constraint: { field: 'provider.quantizations', detail: 'quantizations: int4' } });
  });
});

describe('parameters', () => {
  const index = build([
    endpoint('acme/chat', 'alpha', { supportedParameters: ['temperature', 'tools', 'tool_choice', 'seed'] }),
    endpoint('acme/chat', 'beta', { supportedParameters: ['temperature', 'response_format'] }),
    endpoint('acme/chat', 'gamma', { supportedParameters: ['temperature'] }),
  ]);
  const tools = [{ type: 'function' as const, function: { name: 'lookup' } }];

  it('require_parameters keeps endpoints supporting every requested parameter', () => {
    expect(tags(run({ index, request: { temperature: 0.2, seed: 1 }, provider: { require_parameters: true } }))).toEqual(['alpha']);
    expect(tags(run({ index, request: { temperature: 0.2 }, provider: { require_parameters: true } }))).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('require_parameters 404s naming the parameter no endpoint supports', () => {
    const error = failure(run({ index, request: { top_k: 3, temperature: 1 }, provider: { require_parameters: true } }));
    expect(error).toMatchObject({ code: 'constraint_filtered', excludedBy: ['require_parameters'], constraint: { field: 'provider.require_parameters', detail: 'no endpoint supports: top_k' } });
  });

  it('without require_parameters, tools are a soft filter: supporting endpoints only, if any', () => {
    expect(tags(run({ index, request: { tools } }))).toEqual(['alpha']);
    const none = build([endpoint('acme/chat', 'beta', { supportedParameters: [] }), endpoint('acme/chat', 'gamma', { supportedParameters: [] })]);
    expect(tags(run({ index: none, request: { tools } }))).toEqual(['beta', 'gamma']);
  });

  it('response_format is a soft filter too', () => {
    expect(tags(run({ index, request: { response_format: { type: 'json_object' } } }))).toEqual(['beta']);
  });

  it('ignores unsupported sampling parameters without require_parameters', () => {
    expect(tags(run({ index, request: { top_k: 3 } }))).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('explains soft drops as tool_use', () => {
    const { steps } = explainPlan(planInput({ catalog: index, request: chatRequest({ tools }) }));
    expect(steps).toContainEqual({ endpointId: 'acme/chat@gamma', kept: false, reason: 'tool_use: does not support tools and other endpoints do' });
  });
});

describe('max_price', () => {
  const index = build([
    endpoint('acme/chat', 'alpha', { prompt: '0.15', completion: '0.6' }),
    endpoint('acme/chat', 'beta', { prompt: '0.150001', completion: '0.5' }),
    endpoint('acme/chat', 'gamma', { prompt: '0.1', completion: '0.1', request: '0.01' }),
    endpoint('acme/chat', 'deepinfra', { prompt: '0.1', completion: '0.1', image: '0.002' }),
  ]);

  it('compares USD per million with per-token prices exactly (equal passes, a millionth above fails)', () => {
    expect(tags(run({ index, provider: { max_price: { prompt: 0.15 } } }))).toEqual(['alpha', 'deepinfra', 'gamma']);
    expect(tags(run({ index, provider: { max_price: { prompt: '0.15', completion: '0.5' } } }))).toEqual(['deepinfra', 'gamma']);
  });

  it('compares request and image prices per unit', () => {
    expect(tags(run({ index, provider: { max_price: { request: 0.001 } } }))).toEqual(['alpha', 'beta', 'deepinfra']);
    expect(tags(run({ index, provider: { max_price: { image: '0.001' } } }))).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('uses the price after the endpoint discount', () => {
    const discounted = build([endpoint('acme/chat', 'alpha', { prompt: 2, discount: 0.5 })]);
    expect(tags(run({ index: discounted, provider: { max_price: { prompt: 1 } } }))).toEqual(['alpha']);
  });

  it('404s constraint_filtered naming the limits', () => {
    const error = failure(run({ index, provider: { max_price: { prompt: 0.01 } } }));
    expect(error).toMatchObject({ code: 'constraint_filtered', excludedBy: ['max_price'], constraint: { field: 'provider.max_price', detail: 'prompt ≤ $0.01/M tokens' } });
  });
});

describe('context length and max_tokens', () => {
  const index = build([
    endpoint('acme/chat', 'alpha', { contextLength: 8_000 }),
    endpoint('acme/chat', 'beta', { contextLength: 32_000, maxCompletionTokens: 4_000 }),
    endpoint('acme/chat', 'gamma', { contextLength: 128_000, maxPromptTokens: 10_000 }),
  ]);

  it('keeps endpoints where prompt + max_tokens fits the context', () => {
    expect(tags(run({ index, extra: { promptTokens: 7_000 } }))).toEqual(['alpha', 'beta', 'gamma']);
    expect(tags(run({ index, extra: { promptTokens: 7_000 }, request: { max_tokens: 1_000 } }))).toEqual(['alpha', 'beta', 'gamma']);
    expect(tags(run({ index, extra: { promptTokens: 7_000 }, request: { max_tokens: 1_001 } }))).toEqual(['beta', 'gamma']);
  });

  it('respects maxPromptTokens', () => {
    expect(tags(run({ index, extra: { promptTokens: 20_000 } }))).toEqual(['beta']);
  });

  it('keeps max_tokens within maxCompletionTokens', () => {
    expect(tags(run({ index, request: { max_tokens: 5_000 }, extra: { promptTokens: 100 } }))).toEqual(['alpha', 'gamma']);
  });

  it('estimates prompt tokens when not given', () => {
    const long = 'x'.repeat(36_000); // ≈ 9k tokens: over alpha's 8k context, under gamma's 10k prompt cap
    expect(tags(run({ index, request: { messages: [{ role: 'user', content: long }] } }))).toEqual(['beta', 'gamma']);
  });

  it('404s constraint_filtered for context_length and for max_tokens', () => {
    expect(failure(run({ index, extra: { promptTokens: 200_000 } }))).toMatchObject({
      code: 'constraint_filtered',
      excludedBy: ['context_length'],
      constraint: { field: 'context_length' },
    });
    // The largest context left, for middle-out compression to aim at.
    expect(failure(run({ index, extra: { promptTokens: 200_000 } })).constraint?.limit).toBe(128_000);
    const small = build([endpoint('acme/chat', 'beta', { maxCompletionTokens: 4_000 })]);
    expect(failure(run({ index: small, request: { max_tokens: 8_000 }, extra: { promptTokens: 10 } }))).toMatchObject({
      code: 'constraint_filtered',
      excludedBy: ['max_tokens'],
      constraint: { field: 'max_tokens', detail: 'max_tokens 8000 exceeds the largest max completion tokens (4000)' },
    });
  });
});

describe('variants', () => {
  const index = build([
    endpoint('acme/chat', 'alpha'),
    endpoint('acme/chat', 'beta', { variant: 'free', prompt: 0 }),
    endpoint('acme/chat', 'gamma', { variant: 'extended', contextLength: 1_000_000 }),
    endpoint('acme/plain', 'alpha'),
  ]);

  it('standard requests use standard endpoints only', () => {
    expect(tags(run({ index }))).toEqual(['alpha']);
  });

  it(':free keeps free endpoints only; :extended extended ones', () => {
    expect(tags(run({ index, request: { model: 'acme/chat:free' } }))).toEqual(['beta']);
    expect(tags(run({ index, request: { model: 'acme/chat:extended' } }))).toEqual(['gamma']);
  });

  it(':free 404s free_variant_ended when the model has no free endpoint left', () => {
    expect(failure(run({ index, request: { model: 'acme/plain:free' } }))).toMatchObject({ status: 404, code: 'free_variant_ended' });
  });

  it(':extended without extended endpoints is no_endpoints', () => {
    expect(failure(run({ index, request: { model: 'acme/plain:extended' } })).code).toBe('no_endpoints');
  });

  it(':thinking prefers thinking endpoints, else standard endpoints of a reasoning model', () => {
    const withThinking = build([endpoint('acme/chat', 'alpha'), endpoint('acme/chat', 'beta', { variant: 'thinking' })]);
    expect(tags(run({ index: withThinking, request: { model: 'acme/chat:thinking' } }))).toEqual(['beta']);
    expect(tags(run({ index, request: { model: 'acme/chat:thinking' } }))).toEqual(['alpha']);
    expect(failure(run({ index, request: { model: 'acme/plain:thinking' } })).code).toBe('no_endpoints');
  });
});

describe('input modalities', () => {
  const index = catalog({
    providers,
    models: [model('acme/text-only'), model('acme/vision', { inputModalities: ['text', 'image'] }), model('acme/omni', { inputModalities: ['text', 'image', 'file', 'audio'] })],
    endpoints: [endpoint('acme/text-only', 'alpha'), endpoint('acme/vision', 'alpha'), endpoint('acme/vision', 'beta'), endpoint('acme/omni', 'deepinfra')],
  });
  const withParts = (...parts: Array<Record<string, unknown>>) => ({ messages: [{ role: 'user' as const, content: [{ type: 'text', text: 'look' }, ...parts] }] }) as Partial<CanonicalChatRequest>;
  const image = { type: 'image_url', image_url: { url: 'https://example.test/cat.png' } };
  const audio = { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } };

  it('sends an image only to models that take images, falling back past those that do not', () => {
    const result = run({ index, request: { model: 'acme/text-only', models: ['acme/vision'], ...withParts(image) } });
    expect(result.ok && result.attempts.map((attempt) => attempt.model.id)).toEqual(['acme/vision', 'acme/vision']);
    expect(tags(run({ index, request: { model: 'acme/text-only', ...withParts() } }))).toEqual(['alpha']);
  });

  it('refuses a model that does not take an input the request carries with a 404 naming it', () => {
    const error = failure(run({ index, request: { model: 'acme/vision', ...withParts(image, audio) } }));
    expect(error).toMatchObject({ status: 404, code: 'constraint_filtered', excludedBy: ['input_modalities'], constraint: { field: 'messages' } });
    expect(error.message).toContain('No endpoints found for acme/vision that support audio input (it takes text, image)');
    expect(tags(run({ index, request: { model: 'acme/omni', ...withParts(image, audio) } }))).toEqual(['deepinfra']);
  });

  it('explains the drop per endpoint', () => {
    const { steps } = explainPlan(planInput({ catalog: index, request: chatRequest({ model: 'acme/text-only', ...withParts(image) }), account: openAccount }));
    expect(steps).toEqual([{ endpointId: 'acme/text-only@alpha', kept: false, reason: 'input_modalities: acme/text-only does not take image input' }]);
  });
});

describe('the free router (openrouter/free)', () => {
  // Three models with free endpoints (one of them without tool support), one with paid endpoints only.
  const index = build(
    [
      endpoint('acme/chat', 'alpha'),
      endpoint('acme/chat', 'beta', { variant: 'free', prompt: 0 }),
      endpoint('acme/tiny', 'alpha', { variant: 'free', prompt: 0, supportedParameters: ['max_tokens'], contextLength: 4_096 }),
      endpoint('acme/long', 'deepinfra', { variant: 'free', prompt: 0, contextLength: 1_000_000 }),
      endpoint('acme/plain', 'alpha'),
    ],
    ['acme/tiny', 'acme/long'],
  );
  const modelsOf = (result: PlanResult): string[] => {
    if (!result.ok) throw new Error(`expected a plan, got ${result.error.code}: ${result.error.message}`);
    return result.attempts.map((attempt) => attempt.model.id);
  };
  const seeded = (seed: number): (() => number) => {
    let state = seed;
    return () => ((state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
  };

  it('knows the models with a free endpoint', () => {
    expect(index.freeModelIds).toEqual(['acme/chat', 'acme/long', 'acme/tiny']);
  });

  it("tries every free model's free endpoints, in an order that varies from request to request, and never a paid endpoint", () => {
    const firsts = new Set<string>();
    for (let seed = 1; seed <= 40; seed++) {
      const result = run({ index, request: { model: 'OpenRouter/free' }, extra: { random: seeded(seed) } });
      expect([...modelsOf(result)].sort()).toEqual(['acme/chat', 'acme/long', 'acme/tiny']);
      expect(result.ok && result.attempts.every((attempt) => attempt.endpoint.variant === 'free')).toBe(true);
      expect(result.ok && result.attempts[0]!.reason).toContain('openrouter/free picked');
      firsts.add(modelsOf(result)[0]!);
    }
    expect(firsts.size).toBe(3);
  });

  it("leaves out the free models that lack what the request needs (tools and structured outputs, even without require_parameters; the prompt's context)", () => {
    const tools = [{ type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object' } } }];
    for (let seed = 1; seed <= 10; seed++) {
      const withTools = run({ index, request: { model: 'openrouter/free', tools }, extra: { random: seeded(seed) } });
      expect([...modelsOf(withTools)].sort()).toEqual(['acme/chat', 'acme/long']);
      const long = run({ index, request: { model: 'openrouter/free', max_tokens: 200_000 }, extra: { random: seeded(seed) } });
      expect(modelsOf(long)).toEqual(['acme/long']);
    }
  });

  it('says so when no free model supports what the request needs', () => {
    const error = failure(run({ index, request: { model: 'openrouter/free', response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' } } } } }));
    expect(error).toMatchObject({ status: 404, code: 'constraint_filtered' });
    expect(error.message).toContain('No free model supports all the request');
    expect(error.message).toContain('structured_outputs');
  });

  it('is a fallback like any model id, and a catalog without free models does not know it', () => {
    const result = run({ index, request: { model: 'acme/plain', models: ['openrouter/free'] } });
    expect(modelsOf(result)[0]).toBe('acme/plain');
    expect(modelsOf(result)).toHaveLength(4);
    const paidOnly = build([endpoint('acme/chat', 'alpha')]);
    expect(paidOnly.freeModelIds).toEqual([]);
    expect(failure(run({ index: paidOnly, request: { model: 'openrouter/free' } }))).toMatchObject({ status: 400, code: 'model_not_found' });
  });
});

describe('service tiers', () => {
  const index = build([
    endpoint('acme/chat', 'openai', { prompt: 2 }),
    endpoint('acme/chat', 'openai/flex', { prompt: 1, serviceTier: 'flex' }),
    endpoint('acme/chat', 'openai/priority', { prompt: 4, serviceTier: 'priority' }),
    endpoint('acme/chat', 'alpha', { prompt: 3 }),
  ]);

  it('leaves tier endpoints out unless asked for', () => {
    expect(tags(run({ index }))).toEqual(['alpha', 'openai']);
  });

  it(':floor admits flex and :nitro admits priority', () => {
    expect(tags(run({ index, request: { model: 'acme/chat:floor' } }))).toEqual(['alpha', 'openai', 'openai/flex']);
    expect(tags(run({ index, request: { model: 'acme/chat:nitro' } }))).toEqual(['alpha', 'openai', 'openai/priority']);
  });

  it('service_tier admits its tier and tries it first', () => {
    const result = run({ index, request: { service_tier: 'priority' } });
    expect(tags(result)).toEqual(['alpha', 'openai', 'openai/priority']);
    expect(result.ok && result.attempts[0].endpoint.tag).toBe('openai/priority');
  });

  it('a base slug in only/order does not admit tiers; a full tier tag does', () => {
    expect(tags(run({ index, provider: { only: ['openai'] } }))).toEqual(['openai']);
    expect(tags(run({ index, provider: { only: ['openai/priority'] } }))).toEqual(['openai/priority']);
    expect(tags(run({ index, provider: { order: ['openai/flex'] } }))).toEqual(['alpha', 'openai', 'openai/flex']);
  });

  it('ignoring a provider ignores its tiers too', () => {
    expect(tags(run({ index, request: { model: 'acme/chat:nitro' }, provider: { ignore: ['openai'] } }))).toEqual(['alpha']);
  });
});

describe('explainPlan', () => {
  it('gives every endpoint a step: dropped with the filter that dropped it, or kept with its position', () => {
    const { result, steps } = explainPlan(
      planInput({ catalog: basic, account: defaultAccount, request: chatRequest({ provider: { ignore: ['beta'], max_price: { prompt: 4 } } }) }),
    );
    expect(result.ok).toBe(true);
    const byId = Object.fromEntries(steps.map((step) => [step.endpointId, step]));
    expect(byId['acme/chat@gamma']).toEqual({ endpointId: 'acme/chat@gamma', kept: false, reason: 'data_policy:training: Gamma may train on prompts' });
    expect(byId['acme/chat@beta'].reason).toMatch(/^ignored_providers:/);
    expect(byId['acme/chat@deepinfra/turbo'].reason).toMatch(/^max_price:/);
    expect(byId['acme/chat@alpha']).toMatchObject({ kept: true });
    expect(byId['acme/chat@deepinfra']).toMatchObject({ kept: true });
    expect(steps).toHaveLength(5);
  });

  it('returns the same result as plan', () => {
    const input = (): PlanInput => planInput({ catalog: basic });
    expect(explainPlan(input()).result).toEqual(plan(input()));
  });
});

describe('errors across fallback models', () => {
  it('reports the most useful failure and every reason', () => {
    const index = build(
      [endpoint('acme/chat', 'gamma'), endpoint('acme/other', 'alpha', { prompt: 5 })],
      ['acme/other'],
    );
    const error = failure(run({ index, account: defaultAccount, request: { model: 'acme/plain', models: ['acme/chat', 'acme/other'] }, provider: { max_price: { prompt: 1 } } }));
    expect(error.code).toBe('privacy_restricted');
    expect(error.excludedBy).toEqual(['data_policy:training', 'max_price']);
    expect(error.requestedModels).toEqual(['acme/plain', 'acme/chat', 'acme/other']);
  });
});
