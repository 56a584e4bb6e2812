import fc from 'fast-check';
import type { CanonicalChatRequest } from '@switchyard/llm-spec';
import { catalog, chatRequest, endpoint, model, openAccount, planInput, provider } from '../test/builders.js';
import { AUTO_ROUTER_MAX_MODELS, autoRouterOptions, pickAutoRouterModels, promptComplexity, qualityTarget } from './auto-router.js';
import type { PlanResult } from './plan-types.js';
import { plan } from './planner.js';

// Eight chat models from cheap to dear (USD per million prompt tokens), an embedding model, and a free-only model.
const PRICES: Record<string, number> = { 'acme/nano': 0.1, 'acme/mini': 0.3, 'acme/small': 0.6, 'acme/medium': 1, 'acme/large': 3, 'acme/xl': 5, 'acme/pro': 10, 'acme/ultra': 15 };
const index = catalog({
  providers: [provider('alpha'), provider('beta')],
  models: [...Object.keys(PRICES).map((id) => model(id)), model('acme/embed', { outputModalities: ['embeddings'] }), model('acme/gift')],
  endpoints: [
    ...Object.entries(PRICES).map(([id, prompt]) => endpoint(id, 'alpha', { prompt, completion: prompt * 4 })),
    // acme/medium's second endpoint is dearer: its cheapest one ranks it.
    endpoint('acme/medium', 'beta', { prompt: 2, completion: 8 }),
    // acme/small cannot call tools.
    endpoint('acme/small', 'beta', { prompt: 0.6, completion: 2.4, supportedParameters: ['max_tokens'] }),
    endpoint('acme/embed', 'alpha', { prompt: 0.02 }),
    endpoint('acme/gift', 'alpha', { variant: 'free', prompt: 0 }),
  ],
});
const ranked = Object.keys(PRICES);

const ask = (content: string, extra: Partial<CanonicalChatRequest> = {}) => chatRequest({ model: 'openrouter/auto', messages: [{ role: 'user', content }], ...extra });
const pick = (request: CanonicalChatRequest, promptTokens = 20, keyAllowed?: string[]) => pickAutoRouterModels(index.autoRouterCandidates, request, promptTokens, keyAllowed);
const HARD = 'Analyze this algorithm step by step, prove its complexity and refactor it:\n```ts\nfunction f(xs) {\n  return xs.map((x) => x * 2);\n}\n```';

describe('the auto router (openrouter/auto)', () => {
  it('ranks the chat models with a paid standard endpoint by price, cheapest first; not embeddings, not free-only models', () => {
    expect(index.autoRouterCandidates.map((candidate) => candidate.modelId)).toEqual(ranked);
  });

  it('scores a short plain question low and a long technical multi-step task high', () => {
    expect(promptComplexity(ask('What is the capital of France?'), 12)).toBeLessThan(0.1);
    expect(promptComplexity(ask(HARD), 60)).toBeGreaterThanOrEqual(0.5);
    const tools = [{ type: 'function' as const, function: { name: 'search', parameters: { type: 'object' } } }];
    expect(promptComplexity(ask(HARD, { tools, reasoning: { effort: 'high' } }), 6_000)).toBe(1);
    // Asking for little reasoning does not count as asking for reasoning.
    expect(promptComplexity(ask('hi', { reasoning: { effort: 'low' } }), 5)).toBe(promptComplexity(ask('hi'), 5));
  });

  it('never scores outside 0..1, and a longer prompt never scores lower (a property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 0, max: 200_000 }), (text, a, b) => {
        const request = ask(text);
        const [short, long] = a <= b ? [a, b] : [b, a];
        const low = promptComplexity(request, short);
        const high = promptComplexity(request, long);
        return low >= 0 && high <= 1 && low <= high;
      }),
      { numRuns: 2_000 },
    );
  });

  it('aims by the cost/quality tradeoff: 0 is always the dearest, 10 always the cheapest, the default 7 moves the aim down', () => {
    expect(qualityTarget(0.1, 0)).toBe(1);
    expect(qualityTarget(0.9, 10)).toBe(0);
    expect(qualityTarget(0.5, 5)).toBe(0.5);
    expect(qualityTarget(0.9, 7)).toBeCloseTo(0.7);
    expect(qualityTarget(0.1, 7)).toBe(0);
  });

  it('picks a cheap model for a simple question and a dear one for a hard task, its price neighbours as fallbacks', () => {
    const simple = pick(ask('What is the capital of France?'));
    expect(simple.modelIds[0]).toBe('acme/nano');
    expect(simple.modelIds).toEqual(ranked);
    const hard = pick(ask(HARD, { reasoning: { effort: 'high' } }), 3_000);
    expect(ranked.indexOf(hard.modelIds[0]!)).toBeGreaterThanOrEqual(5);
    // Nearest first, the dearer neighbour before the cheaper one.
    const best = pick(ask('x', { plugins: [{ id: 'auto-router', cost_quality_tradeoff: 0 }] }));
    expect(best.modelIds).toEqual([...ranked].reverse());
    const middle = pick(ask('x', { plugins: [{ id: 'auto-router', cost_quality_tradeoff: 3 }] }));
    // A tradeoff of 3 aims 0.2 up the price ranking for a trivial prompt: the third cheapest, then outwards.
    expect(middle.modelIds.slice(0, 5)).toEqual(['acme/small', 'acme/medium', 'acme/mini', 'acme/large', 'acme/nano']);
  });

  it("reads the auto-router plugin: allowed_models and excluded_models (wildcards; excluded wins), cost_quality_tradeoff clamped; and the key's allowlist", () => {
    expect(autoRouterOptions({ plugins: [{ id: 'auto-router', allowed_models: ['acme/*', 7], cost_quality_tradeoff: 42 }] })).toEqual({ allowedModels: ['acme/*'], excludedModels: undefined, costQualityTradeoff: 10 });
    expect(autoRouterOptions({ plugins: [{ id: 'auto-router', enabled: false, cost_quality_tradeoff: 0 }] }).costQualityTradeoff).toBe(7);
    const narrowed = pick(ask('hi', { plugins: [{ id: 'auto-router', allowed_models: ['acme/*l*'], excluded_models: ['acme/small'] }] }));
    expect(narrowed.modelIds).toEqual(['acme/large', 'acme/xl', 'acme/ultra']);
    expect(pick(ask('hi'), 20, ['acme/pro', 'acme/ultra']).modelIds).toEqual(['acme/pro', 'acme/ultra']);
    expect(pick(ask('hi', { plugins: [{ id: 'auto-router', allowed_models: ['other/*'] }] })).modelIds).toEqual([]);
  });

  describe('planned', () => {
    const modelsOf = (result: PlanResult): string[] => {
      if (!result.ok) throw new Error(`expected a plan, got ${result.error.code}: ${result.error.message}`);
      return result.attempts.map((attempt) => attempt.model.id);
    };
    const run = (request: CanonicalChatRequest, keyAllowedModels?: string[]) => plan(planInput({ catalog: index, request, account: openAccount, keyAllowedModels }));

    it(`tries the picked model first, at most ${AUTO_ROUTER_MAX_MODELS} models, says the router picked it, never an embedding model (openrouter/auto-beta alike)`, () => {
      const result = run(ask('What is 2 + 2?'));
      expect(modelsOf(result)[0]).toBe('acme/nano');
      expect(modelsOf(run({ ...ask('What is 2 + 2?'), model: 'OpenRouter/Auto-Beta' }))).toEqual(modelsOf(result));
      expect(new Set(modelsOf(result)).size).toBe(AUTO_ROUTER_MAX_MODELS);
      expect(result.ok && result.attempts[0]!.reason).toContain('openrouter/auto picked acme/nano');
      expect(modelsOf(result)).not.toContain('acme/embed');
    });

    it("picks among what the request's own filters leave: provider.only far from the pick's price still serves", () => {
      // Only beta serves acme/small and acme/medium (the 3rd and 4th cheapest): a simple question still gets one of them.
      const onlyBeta = run(ask('hi', { provider: { only: ['beta'] } }));
      expect([...new Set(modelsOf(onlyBeta))]).toEqual(['acme/small', 'acme/medium']);
      expect(onlyBeta.ok && onlyBeta.attempts.every((attempt) => attempt.endpoint.tag === 'beta')).toBe(true);
    });

    it("drops picks whose endpoints cannot serve the request (tools) and honours the key's allowlist", () => {
      const tools = [{ type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object' } } }];
      const result = run(ask('Look it up', { tools, plugins: [{ id: 'auto-router', allowed_models: ['acme/small', 'acme/medium'] }] }));
      // acme/small's beta endpoint lacks tools; its alpha endpoint and acme/medium's both have them.
      expect(result.ok && result.attempts.every((attempt) => attempt.endpoint.supportedParameters.includes('tools'))).toBe(true);
      expect(modelsOf(run(ask('hi'), ['acme/xl']))).toEqual(['acme/xl']);
    });

    it('picks only models some credentialed provider (or the account\'s BYOK key) serves, while any is left', () => {
      const keyless = (providers: string[], byok?: string[]) =>
        plan(planInput({ catalog: index, request: ask('hi'), account: { ...openAccount, byokProviders: byok }, uncredentialedProviders: new Set(providers) }));
      // Only beta has a key: acme/small and acme/medium have endpoints there.
      expect([...new Set(modelsOf(keyless(['alpha'])))]).toEqual(['acme/small', 'acme/medium']);
      // The account brings its own alpha key: every model is servable again.
      expect(modelsOf(keyless(['alpha'], ['alpha']))[0]).toBe('acme/nano');
      // Nobody has a key: the picks are made as if all had (and fail over as usual).
      expect(modelsOf(keyless(['alpha', 'beta']))[0]).toBe('acme/nano');
    });

    it('is a 400 model_not_found when nothing is left to pick, and a 404 naming the router when no pick supports the request', () => {
      expect(run(ask('hi', { plugins: [{ id: 'auto-router', allowed_models: ['other/*'] }] }))).toMatchObject({ ok: false, error: { status: 400, code: 'model_not_found' } });
      const schema = { type: 'json_schema' as const, json_schema: { name: 'a', schema: { type: 'object' } } };
      const only = run(ask('hi', { response_format: schema, plugins: [{ id: 'auto-router', allowed_models: ['acme/small'] }], provider: { only: ['beta'] } }));
      expect(only).toMatchObject({ ok: false, error: { status: 404 } });
      expect(!only.ok && only.error.message).toContain('No model the auto router may pick supports');
    });
  });
});
