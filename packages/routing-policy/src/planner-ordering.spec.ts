import type { CanonicalChatRequest, EndpointHealth, ProviderPreferences } from '@switchyard/llm-spec';
import {
  NOW,
  type EndpointInput,
  catalog,
  chatRequest,
  endpoint,
  model,
  openAccount,
  planInput,
  provider,
  seededRandom,
  table,
} from '../test/builders.js';
import type { CatalogIndex } from './catalog-index.js';
import type { AccountPolicy, PlanInput, PlanResult, PlannedAttempt } from './plan-types.js';
import { plan } from './planner.js';

const providers = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'].map((slug) => provider(slug));
providers.push(provider('deepinfra', { name: 'DeepInfra' }));

function build(endpoints: EndpointInput[]): CatalogIndex {
  return catalog({ providers, models: [model('acme/chat'), model('acme/other'), model('acme/third')], endpoints });
}

/** alpha $1, beta $2, gamma $3, delta $4 per M prompt tokens; no prompt caching, so no sticky routing by default. */
const basic = build([
  endpoint('acme/chat', 'gamma', { prompt: 3 }),
  endpoint('acme/chat', 'alpha', { prompt: 1 }),
  endpoint('acme/chat', 'delta', { prompt: 4 }),
  endpoint('acme/chat', 'beta', { prompt: 2 }),
]);

interface RunOptions {
  request?: Partial<CanonicalChatRequest>;
  provider?: ProviderPreferences;
  account?: AccountPolicy;
  index?: CatalogIndex;
  health?: Record<string, Partial<EndpointHealth>>;
  extra?: Partial<PlanInput>;
}

function run(options: RunOptions = {}): PlanResult {
  const request = chatRequest({ ...options.request, ...(options.provider ? { provider: options.provider } : {}) });
  return plan(
    planInput({ catalog: options.index ?? basic, request, account: options.account ?? openAccount, routingTable: table(options.health ?? {}), ...options.extra }),
  );
}

function attempts(result: PlanResult): PlannedAttempt[] {
  if (!result.ok) throw new Error(`expected a plan, got ${result.error.code}: ${result.error.message}`);
  return result.attempts;
}

function order(result: PlanResult): string[] {
  return attempts(result).map((attempt) => attempt.endpoint.tag);
}

function strategy(result: PlanResult): string {
  if (!result.ok) throw new Error(result.error.message);
  return result.strategy;
}

describe('BYOK', () => {
  it('puts BYOK endpoints first, flagged, whatever the order or sort', () => {
    const account = { ...openAccount, byokProviders: ['Delta'] };
    for (const preferences of [{}, { order: ['alpha', 'beta'] }, { sort: 'price' as const }]) {
      const result = run({ account, provider: preferences });
      expect(attempts(result)[0]).toMatchObject({ isByok: true, endpoint: { tag: 'delta' } });
      expect(attempts(result).slice(1).every((attempt) => !attempt.isByok)).toBe(true);
    }
  });

  it('orders BYOK endpoints among themselves by the same rules', () => {
    const result = run({ account: { ...openAccount, byokProviders: ['delta', 'gamma'] }, provider: { sort: 'price' } });
    expect(order(result)).toEqual(['gamma', 'delta', 'alpha', 'beta']);
  });
});

describe('order', () => {
  it('tries ordered providers in order, then the rest by price', () => {
    const result = run({ provider: { order: ['gamma', 'Beta'] } });
    expect(order(result)).toEqual(['gamma', 'beta', 'alpha', 'delta']);
    expect(strategy(result)).toBe('ordered');
    expect(attempts(result)[0].reason).toBe('order #1');
  });

  it('skips ordered providers that do not serve the model', () => {
    expect(order(run({ provider: { order: ['nobody', 'delta'] } }))).toEqual(['delta', 'alpha', 'beta', 'gamma']);
  });

  it('a base slug orders all its tags, cheapest first', () => {
    const index = build([
      endpoint('acme/chat', 'alpha', { prompt: 1 }),
      endpoint('acme/chat', 'deepinfra/turbo', { prompt: 3 }),
      endpoint('acme/chat', 'deepinfra', { prompt: 2 }),
    ]);
    expect(order(run({ index, provider: { order: ['deepinfra'] } }))).toEqual(['deepinfra', 'deepinfra/turbo', 'alpha']);
  });

  it('with allow_fallbacks=false uses only the ordered providers', () => {
    expect(order(run({ provider: { order: ['gamma', 'beta'], allow_fallbacks: false } }))).toEqual(['gamma', 'beta']);
  });

  it('with allow_fallbacks=false drops BYOK endpoints that are not ordered', () => {
    const result = run({ account: { ...openAccount, byokProviders: ['delta'] }, provider: { order: ['gamma'], allow_fallbacks: false } });
    expect(order(result)).toEqual(['gamma']);
  });

  it('404s when allow_fallbacks=false and no ordered provider serves the model', () => {
    const result = run({ provider: { order: ['nobody'], allow_fallbacks: false } });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatchObject({ code: 'constraint_filtered', constraint: { field: 'provider.order' } });
  });

  it('allow_fallbacks=false without order keeps only the first chosen provider', () => {
    const result = run({ provider: { allow_fallbacks: false, sort: 'price' } });
    expect(order(result)).toEqual(['alpha']);
    expect(attempts(run({ provider: { allow_fallbacks: false } }))).toHaveLength(1);
  });
});

describe('sort', () => {
  const health = {
    'acme/chat@alpha': { throughputP50Last5m: 50, latencyP50Last5m: 900, toolCallSuccessRate: 0.9 },
    'acme/chat@beta': { throughputP50Last5m: 150, latencyP50Last5m: 300, toolCallSuccessRate: 0.99 },
    'acme/chat@gamma': { throughputP50Last5m: 100, latencyP50Last5m: 200, toolCallSuccessRate: 0.99 },
    // delta: no figures
  };

  it('price: ascending prompt + completion, exact decimals', () => {
    const index = build([
      endpoint('acme/chat', 'alpha', { prompt: '0.1000001', completion: '0' }),
      endpoint('acme/chat', 'beta', { prompt: '0.1', completion: '0.00000005' }),
      endpoint('acme/chat', 'gamma', { prompt: '0.05', completion: '0.05' }),
    ]);
    const result = run({ index, provider: { sort: 'price' } });
    expect(order(result)).toEqual(['gamma', 'beta', 'alpha']);
    expect(strategy(result)).toBe('sorted');
  });

  it('throughput: descending, unknown last', () => {
    expect(order(run({ health, provider: { sort: 'throughput' } }))).toEqual(['beta', 'gamma', 'alpha', 'delta']);
  });

  it('latency: ascending, unknown last', () => {
    expect(order(run({ health, provider: { sort: { by: 'latency' } } }))).toEqual(['gamma', 'beta', 'alpha', 'delta']);
  });

  it('exacto: tool-call success rate, then throughput', () => {
    expect(order(run({ health, provider: { sort: 'exacto' } }))).toEqual(['beta', 'gamma', 'alpha', 'delta']);
  });

  it(':nitro sorts by throughput, :floor by price, :exacto by tool-call success', () => {
    expect(order(run({ health, request: { model: 'acme/chat:nitro' } }))).toEqual(['beta', 'gamma', 'alpha', 'delta']);
    expect(order(run({ health, request: { model: 'acme/chat:floor' } }))).toEqual(['alpha', 'beta', 'gamma', 'delta']);
    expect(order(run({ health, request: { model: 'acme/chat:exacto' } }))).toEqual(['beta', 'gamma', 'alpha', 'delta']);
    expect(strategy(run({ request: { model: 'acme/chat:nitro' } }))).toBe('sorted');
  });

  it('an explicit sort beats the dynamic variant', () => {
    expect(order(run({ health, request: { model: 'acme/chat:nitro' }, provider: { sort: 'latency' } }))).toEqual(['gamma', 'beta', 'alpha', 'delta']);
  });

  it('order and sort: ordered first, the rest by the sort', () => {
    expect(order(run({ health, provider: { order: ['delta'], sort: 'throughput' } }))).toEqual(['delta', 'beta', 'gamma', 'alpha']);
  });
});

describe('soft performance preferences', () => {
  const health = {
    'acme/chat@alpha': { throughputP50Last5m: 20, latencyP50Last5m: 3_000, throughput30m: { p50: 25, p75: 20, p90: 10, p99: 5 } },
    'acme/chat@beta': { throughputP50Last5m: 80, latencyP50Last5m: 500, throughput30m: { p50: 90, p75: 80, p90: 70, p99: 40 } },
  };

  it('preferred_min_throughput (p50 number) moves slower endpoints to the end without removing them', () => {
    const result = run({ health, provider: { sort: 'price', preferred_min_throughput: 50 } });
    expect(order(result)).toEqual(['beta', 'gamma', 'delta', 'alpha']);
    expect(attempts(result)[3].reason).toContain('below preferred_min_throughput');
  });

  it('preferred_min_throughput percentiles compare against the table percentiles', () => {
    expect(order(run({ health, provider: { sort: 'price', preferred_min_throughput: { p90: 50 } } }))).toEqual(['beta', 'gamma', 'delta', 'alpha']);
    expect(order(run({ health, provider: { sort: 'price', preferred_min_throughput: { p99: 50 } } }))).toEqual(['gamma', 'delta', 'alpha', 'beta']);
  });

  it('preferred_max_latency is in seconds against the table milliseconds', () => {
    expect(order(run({ health, provider: { sort: 'price', preferred_max_latency: 1 } }))).toEqual(['beta', 'gamma', 'delta', 'alpha']);
    expect(order(run({ health, provider: { sort: 'price', preferred_max_latency: 5 } }))).toEqual(['alpha', 'beta', 'gamma', 'delta']);
  });
});

describe('health', () => {
  it('puts open, drained and retry-after endpoints last, half-open and recently failed after healthy ones', () => {
    const health = {
      'acme/chat@alpha': { state: 'open' as const },
      'acme/chat@beta': { state: 'half-open' as const },
      'acme/chat@gamma': { lastFailureAt: NOW - 10_000 },
      'acme/chat@delta': { lastFailureAt: NOW - 60_000 },
    };
    const index = build([
      endpoint('acme/chat', 'alpha', { prompt: 1 }),
      endpoint('acme/chat', 'beta', { prompt: 2 }),
      endpoint('acme/chat', 'gamma', { prompt: 3 }),
      endpoint('acme/chat', 'delta', { prompt: 4 }),
      endpoint('acme/chat', 'epsilon', { prompt: 5 }),
    ]);
    const result = run({ index, health, provider: { sort: 'price' } });
    expect(order(result)).toEqual(['delta', 'epsilon', 'beta', 'gamma', 'alpha']);
    expect(attempts(result)[4].reason).toContain('circuit open: last resort');
  });

  it('treats drained and an active retry-after like an open circuit, an expired retry-after as healthy', () => {
    const health = {
      'acme/chat@alpha': { state: 'drained' as const },
      'acme/chat@beta': { retryAfterUntil: NOW + 1_000 },
      'acme/chat@gamma': { retryAfterUntil: NOW - 1_000 },
    };
    expect(order(run({ health, provider: { sort: 'price' } }))).toEqual(['gamma', 'delta', 'alpha', 'beta']);
  });

  it('applies health within ordered providers', () => {
    expect(order(run({ health: { 'acme/chat@gamma': { state: 'open' } }, provider: { order: ['gamma', 'beta'] } }))).toEqual(['beta', 'gamma', 'alpha', 'delta']);
  });
});

describe('default load balancing', () => {
  function firstCounts(index: CatalogIndex, draws: number, health: Record<string, Partial<EndpointHealth>> = {}): Map<string, number> {
    const random = seededRandom(42);
    const routingTable = table(health);
    const counts = new Map<string, number>();
    for (let draw = 0; draw < draws; draw++) {
      const result = plan(planInput({ catalog: index, routingTable, random }));
      const tag = attempts(result)[0].endpoint.tag;
      counts.set(tag, (counts.get(tag) ?? 0) + 1);
    }
    return counts;
  }

  it('weights by inverse square of price: $1 vs $3 → about 9:1 over 20k draws', () => {
    const index = build([endpoint('acme/chat', 'alpha', { prompt: 1 }), endpoint('acme/chat', 'gamma', { prompt: 3 })]);
    const counts = firstCounts(index, 20_000);
    const share = (counts.get('alpha') ?? 0) / 20_000;
    expect(share).toBeGreaterThan(0.89);
    expect(share).toBeLessThan(0.91);
  });

  it('multiplies by the routing table weight', () => {
    const index = build([endpoint('acme/chat', 'alpha', { prompt: 1 }), endpoint('acme/chat', 'beta', { prompt: 1 })]);
    const counts = firstCounts(index, 20_000, { 'acme/chat@beta': { weight: 3 } });
    expect((counts.get('beta') ?? 0) / 20_000).toBeCloseTo(0.75, 1);
    const zero = firstCounts(index, 2_000, { 'acme/chat@beta': { weight: 0 } });
    expect(zero.get('beta')).toBeUndefined();
  });

  it('gives free endpoints equal weights, ahead of paid ones', () => {
    const index = build([
      endpoint('acme/chat', 'alpha', { prompt: 0 }),
      endpoint('acme/chat', 'beta', { prompt: 0 }),
      endpoint('acme/chat', 'gamma', { prompt: 0.01 }),
    ]);
    const counts = firstCounts(index, 10_000);
    expect(counts.get('gamma')).toBeUndefined();
    expect((counts.get('alpha') ?? 0) / 10_000).toBeCloseTo(0.5, 1);
  });

  it('keeps every endpoint as a fallback, in weighted order', () => {
    const result = run();
    expect([...order(result)].sort()).toEqual(['alpha', 'beta', 'delta', 'gamma']);
    expect(strategy(result)).toBe('load-balance');
  });

  it('load-balances among healthy endpoints only', () => {
    const health = { 'acme/chat@alpha': { state: 'open' as const } };
    for (let seed = 0; seed < 50; seed++) {
      const result = run({ health, extra: { random: seededRandom(seed) } });
      expect(order(result).at(-1)).toBe('alpha');
    }
  });
});

describe('model fallbacks', () => {
  const index = build([
    endpoint('acme/chat', 'beta', { prompt: 5 }),
    endpoint('acme/chat', 'alpha', { prompt: 4 }),
    endpoint('acme/other', 'gamma', { prompt: 1 }),
    endpoint('acme/other', 'delta', { prompt: 6 }),
    endpoint('acme/third', 'epsilon', { prompt: 2 }),
  ]);

  it('groups attempts by model: the primary first, then each fallback in order', () => {
    const result = run({ index, request: { models: ['acme/third', 'acme/chat', 'acme/other'] }, provider: { sort: 'price' } });
    expect(order(result)).toEqual(['alpha', 'beta', 'epsilon', 'gamma', 'delta']);
    expect(attempts(result)[2].reason).toBe('sort by price; fallback model acme/third');
    expect(result.ok && result.model.id).toBe('acme/chat');
  });

  it('plans a model named twice (:nitro first, then plain as a fallback) as two groups: the second keeps what the first left out, after the fallbacks between them', () => {
    // fast-check's counterexample: the :nitro group admits alpha's priority tier and, with tools asked for, keeps only
    // the endpoint that supports them; the plain acme/chat named later keeps alpha's default endpoint.
    const twice = build([
      endpoint('acme/chat', 'alpha/priority', { serviceTier: 'priority', supportedParameters: ['tools'] }),
      endpoint('acme/chat', 'alpha', { supportedParameters: [] }),
      endpoint('acme/other', 'beta', { supportedParameters: [] }),
    ]);
    const tools = [{ type: 'function' as const, function: { name: 'lookup' } }];
    const result = run({ index: twice, request: { model: 'acme/chat:nitro', models: ['acme/other', 'acme/chat'], tools } });
    expect(attempts(result).map((attempt) => attempt.endpoint.id)).toEqual(['acme/chat@alpha/priority', 'acme/other@beta', 'acme/chat@alpha']);
  });

  it('partition none sorts every model’s endpoints together', () => {
    const result = run({ index, request: { models: ['acme/other', 'acme/third'] }, provider: { sort: { by: 'price', partition: 'none' } } });
    expect(order(result)).toEqual(['gamma', 'epsilon', 'alpha', 'beta', 'delta']);
    expect(result.ok && result.model.id).toBe('acme/other');
  });

  it('skips a model that resolves like an earlier one and never plans an endpoint twice', () => {
    const result = run({ index, request: { models: ['ACME/chat', 'acme/chat:nitro'] } });
    const ids = attempts(result).map((attempt) => attempt.endpoint.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(2);
  });

  it('falls through to a fallback model when the primary is filtered out', () => {
    const result = run({ index, request: { models: ['acme/other'] }, provider: { max_price: { prompt: 2 } } });
    expect(order(result)).toEqual(['gamma']);
  });

  it('allow_fallbacks=false without order keeps one provider per model', () => {
    const result = run({ index, request: { models: ['acme/other'] }, provider: { allow_fallbacks: false, sort: 'price' } });
    expect(order(result)).toEqual(['alpha', 'gamma']);
  });

  it('allow_fallbacks=false counts the same model requested twice (":floor" then plain) as one model', () => {
    const result = run({ index, request: { model: 'acme/chat:floor', models: ['acme/chat'] }, provider: { allow_fallbacks: false } });
    expect(order(result)).toEqual(['alpha']);
  });

  it('BYOK goes first within each model; a fallback model’s BYOK endpoint does not jump the primary model', () => {
    const result = run({ index, request: { models: ['acme/other'] }, account: { ...openAccount, byokProviders: ['delta'] }, provider: { sort: 'price' } });
    expect(order(result)).toEqual(['alpha', 'beta', 'delta', 'gamma']);
    expect(attempts(result)[2]).toMatchObject({ isByok: true, reason: 'byok; sort by price; fallback model acme/other' });
  });

  it('with partition none BYOK goes first globally', () => {
    const result = run({ index, request: { models: ['acme/other'] }, account: { ...openAccount, byokProviders: ['delta'] }, provider: { sort: { by: 'price', partition: 'none' } } });
    expect(order(result)).toEqual(['delta', 'gamma', 'alpha', 'beta']);
  });
});

describe('providers without a platform credential', () => {
  it('are tried last, with the reason, whatever the draw', () => {
    for (let seed = 0; seed < 10; seed++) {
      const result = run({ extra: { uncredentialedProviders: new Set(['alpha', 'beta']), random: seededRandom(seed) } });
      expect(order(result).slice(-2).sort()).toEqual(['alpha', 'beta']);
      expect(attempts(result).at(-1)!.reason).toContain('no platform credential: last resort');
    }
  });

  it("are tried first when the account brings its own key for them (BYOK)", () => {
    const result = run({ account: { ...openAccount, byokProviders: ['alpha'] }, extra: { uncredentialedProviders: new Set(['alpha', 'beta']) } });
    expect(attempts(result)[0]).toMatchObject({ isByok: true, endpoint: { tag: 'alpha' } });
    expect(order(result).at(-1)).toBe('beta');
  });
});

describe('sticky routing', () => {
  const caching = build([
    endpoint('acme/chat', 'alpha', { prompt: 1, cacheRead: '0.0000001' }),
    endpoint('acme/chat', 'beta', { prompt: 1, cacheRead: '0.0000001' }),
    endpoint('acme/chat', 'gamma', { prompt: 1, cacheRead: '0.0000001' }),
    endpoint('acme/chat', 'delta', { prompt: 1, cacheRead: '0.0000001' }),
  ]);

  it('pins a session to one endpoint whatever the random draws', () => {
    const firsts = new Set<string>();
    for (let seed = 0; seed < 30; seed++) {
      const result = run({ index: caching, request: { session_id: 'conversation-1' }, extra: { random: seededRandom(seed) } });
      expect(attempts(result)[0]).toMatchObject({ sticky: true });
      expect(attempts(result).slice(1).every((attempt) => !attempt.sticky)).toBe(true);
      expect(strategy(result)).toBe('sticky');
      firsts.add(order(result)[0]);
    }
    expect(firsts.size).toBe(1);
  });

  it('spreads different sessions over the endpoints', () => {
    const firsts = new Set<string>();
    for (let session = 0; session < 100; session++) firsts.add(order(run({ index: caching, request: { session_id: `s${session}` } }))[0]);
    expect(firsts.size).toBe(4);
  });

  it('uses the x-session-id header and prompt_cache_key as keys, body session_id first', () => {
    const bySession = order(run({ index: caching, request: { session_id: 'k1' } }))[0];
    expect(order(run({ index: caching, extra: { sessionKey: 'k1' } }))[0]).toBe(bySession);
    expect(order(run({ index: caching, request: { session_id: 'k1' }, extra: { sessionKey: 'other' } }))[0]).toBe(bySession);
    const byCacheKey = run({ index: caching, request: { prompt_cache_key: 'pk' } });
    expect(attempts(byCacheKey)[0].reason).toBe('sticky (prompt_cache_key)');
  });

  it('keys on the conversation when the endpoints cache prompts, but not otherwise', () => {
    const request = { messages: [{ role: 'system' as const, content: 'sys' }, { role: 'user' as const, content: 'hi' }] };
    const pinned = run({ index: caching, request });
    expect(attempts(pinned)[0].reason).toBe('sticky (conversation)');
    expect(strategy(run({ index: basic, request }))).toBe('load-balance');
    expect(strategy(run({ index: basic, request: { session_id: 'explicit' } }))).toBe('sticky');
  });

  it('keys on the conversation for reasoning endpoints from the first turn, so signed reasoning returns to the provider that signed it', () => {
    const reasoning = build(['alpha', 'beta', 'gamma', 'delta'].map((tag) => endpoint('acme/chat', tag, { prompt: 1, supportedParameters: ['max_tokens', 'reasoning'] })));
    const firstTurn = [{ role: 'system' as const, content: 'You are terse.' }, { role: 'user' as const, content: 'Plan a trip.' }];
    const pinned = new Set<string>();
    for (let seed = 0; seed < 20; seed++) {
      const first = run({ index: reasoning, request: { messages: firstTurn }, extra: { random: seededRandom(seed) } });
      expect(attempts(first)[0].reason).toBe('sticky (conversation)');
      pinned.add(order(first)[0]);
      const secondTurn = [...firstTurn, { role: 'assistant' as const, content: 'Where to?', reasoning_details: [{ type: 'reasoning.text' as const, text: 'think', signature: 'sig-1' }] }, { role: 'user' as const, content: 'Rome.' }];
      pinned.add(order(run({ index: reasoning, request: { messages: secondTurn }, extra: { random: seededRandom(seed + 100) } }))[0]);
    }
    expect(pinned.size).toBe(1);
  });

  it('keys on the conversation once it carries signed or encrypted reasoning, even where nothing caches or reasons', () => {
    const signed = (detail: Record<string, string>) => [{ role: 'user' as const, content: 'hi' }, { role: 'assistant' as const, content: 'hello', reasoning_details: [detail as never] }, { role: 'user' as const, content: 'again' }];
    expect(attempts(run({ index: basic, request: { messages: signed({ type: 'reasoning.text', text: 't', signature: 's' }) } }))[0].reason).toBe('sticky (conversation)');
    expect(strategy(run({ index: basic, request: { messages: signed({ type: 'reasoning.encrypted', data: 'opaque' }) } }))).toBe('sticky');
    expect(strategy(run({ index: basic, request: { messages: signed({ type: 'reasoning.text', text: 'unsigned' }) } }))).toBe('load-balance');
  });

  it('is off with order or sort', () => {
    expect(strategy(run({ index: caching, request: { session_id: 'k' }, provider: { order: ['alpha'] } }))).toBe('ordered');
    expect(strategy(run({ index: caching, request: { session_id: 'k' }, provider: { sort: 'price' } }))).toBe('sorted');
    expect(strategy(run({ index: caching, request: { session_id: 'k', model: 'acme/chat:nitro' } }))).toBe('sorted');
  });

  it('moves only when the pinned endpoint turns unhealthy or is filtered out', () => {
    const pinned = order(run({ index: caching, request: { session_id: 'k' } }))[0];
    const unhealthy = run({ index: caching, request: { session_id: 'k' }, health: { [`acme/chat@${pinned}`]: { state: 'open' } } });
    expect(order(unhealthy)[0]).not.toBe(pinned);
    expect(order(unhealthy).at(-1)).toBe(pinned);
    const ignored = run({ index: caching, request: { session_id: 'k' }, provider: { ignore: [pinned] } });
    expect(order(ignored)[0]).not.toBe(pinned);
    expect(attempts(ignored)[0].sticky).toBe(true);
  });

  it('picks among BYOK endpoints when the account has keys', () => {
    const result = run({ index: caching, request: { session_id: 'k' }, account: { ...openAccount, byokProviders: ['delta'] } });
    expect(attempts(result)[0]).toMatchObject({ isByok: true, sticky: true, endpoint: { tag: 'delta' } });
  });
});
