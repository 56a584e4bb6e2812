import { type CanonicalChatRequest, type CatalogEndpoint, type CatalogProvider, type EndpointHealth, type ProviderPreferences, requestedParameters } from '@switchyard/llm-spec';
import { perMillionToPerToken, toDecimal } from '@switchyard/money';
import fc from 'fast-check';
import {
  NOW,
  type EndpointInput,
  type ProviderInput,
  chatRequest,
  endpoint,
  model,
  provider,
  seededRandom,
  snapshot,
  table,
} from '../test/builders.js';
import { CatalogIndex } from './catalog-index.js';
import type { AccountPolicy, PlanInput, PlanResult, PlannedAttempt } from './plan-types.js';
import { plan } from './planner.js';

// ---------------------------------------------------------------------------------------------------------------
// Random scenarios: 6 providers with random data policies, 2 models with up to 8 endpoints each (tags with
// /turbo, /priority, /flex, some free), a random routing table, random account and request preferences.

const SLUGS = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'];
const MODELS = ['acme/a', 'acme/b'];
const PARAMETERS = ['temperature', 'tools', 'tool_choice', 'seed', 'response_format', 'max_tokens'];
const SUFFIXES = ['', '/turbo', '/priority', '/flex'];
const NAMES = [...SLUGS, 'p1/turbo', 'p2/turbo', 'p1/priority', 'p2/flex', 'Provider 3', 'P4', 'nobody'];

const providersArbitrary: fc.Arbitrary<ProviderInput[]> = fc.tuple(
  ...SLUGS.map((slug, index) =>
    fc.record({ training: fc.boolean(), retainsPrompts: fc.boolean(), zdr: fc.boolean() }).map((policy) => provider(slug, { name: `Provider ${index}`, ...policy })),
  ),
);

const endpointSpec = fc.record({
  slug: fc.constantFrom(...SLUGS),
  suffix: fc.constantFrom(...SUFFIXES),
  prompt: fc.integer({ min: 0, max: 10 }),
  completion: fc.integer({ min: 0, max: 10 }),
  quantization: fc.constantFrom(null, 'fp8', 'bf16', 'int4'),
  parameters: fc.subarray(PARAMETERS),
  contextLength: fc.constantFrom(4_000, 16_000, 128_000),
  maxCompletionTokens: fc.constantFrom(null, 2_000),
  free: fc.integer({ min: 0, max: 4 }).map((value) => value === 0),
  caches: fc.boolean(),
});

const endpointsArbitrary: fc.Arbitrary<EndpointInput[]> = fc
  .tuple(...MODELS.map(() => fc.uniqueArray(endpointSpec, { selector: (spec) => `${spec.slug}${spec.suffix}`, maxLength: 8 })))
  .map((perModel) =>
    perModel.flatMap((specs, modelIndex) =>
      specs.map((spec) =>
        endpoint(MODELS[modelIndex], `${spec.slug}${spec.suffix}`, {
          prompt: spec.free ? 0 : spec.prompt,
          completion: spec.free ? 0 : spec.completion,
          variant: spec.free ? 'free' : 'standard',
          serviceTier: spec.suffix === '/priority' ? 'priority' : spec.suffix === '/flex' ? 'flex' : 'default',
          quantization: spec.quantization as EndpointInput['quantization'],
          supportedParameters: spec.parameters,
          contextLength: spec.contextLength,
          maxCompletionTokens: spec.maxCompletionTokens,
          supportsImplicitCaching: spec.caches,
        }),
      ),
    ),
  );

const healthSpec = fc.option(
  fc.record({
    state: fc.constantFrom('closed', 'closed', 'open', 'half-open', 'drained'),
    weight: fc.constantFrom(0, 0.5, 1, 1, 2),
    lastFailureAt: fc.option(fc.integer({ min: -120_000, max: 0 }).map((offset) => NOW + offset), { nil: null }),
    retryAfterUntil: fc.option(fc.integer({ min: -10_000, max: 10_000 }).map((offset) => NOW + offset), { nil: null }),
    throughputP50Last5m: fc.option(fc.integer({ min: 1, max: 200 }), { nil: null }),
    latencyP50Last5m: fc.option(fc.integer({ min: 50, max: 5_000 }), { nil: null }),
    toolCallSuccessRate: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
  }),
  { nil: undefined },
);

const option = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arbitrary, { nil: undefined });

const preferencesArbitrary: fc.Arbitrary<ProviderPreferences> = fc.record(
  {
    only: fc.subarray(NAMES, { maxLength: 4 }),
    ignore: fc.subarray(NAMES, { maxLength: 3 }),
    order: fc.shuffledSubarray(NAMES, { maxLength: 4 }),
    allow_fallbacks: fc.boolean(),
    quantizations: fc.subarray(['fp8', 'bf16', 'int4', 'unknown'] as const, { minLength: 1 }),
    require_parameters: fc.boolean(),
    max_price: fc.record({ prompt: fc.integer({ min: 0, max: 10 }), completion: fc.integer({ min: 0, max: 10 }).map(String) }, { requiredKeys: [] }),
    data_collection: fc.constantFrom('allow', 'deny'),
    zdr: fc.boolean(),
    sort: fc.constantFrom('price', 'throughput', 'latency', 'exacto', { by: 'price', partition: 'none' }) as fc.Arbitrary<ProviderPreferences['sort']>,
    preferred_min_throughput: fc.integer({ min: 1, max: 200 }),
  },
  { requiredKeys: [] },
);

const requestArbitrary = fc.record({
  suffix: fc.constantFrom('', '', '', ':free', ':nitro', ':floor'),
  models: fc.subarray(['acme/b', 'acme/a', 'acme/missing']),
  provider: option(preferencesArbitrary),
  service_tier: option(fc.constantFrom('flex', 'priority', 'default') as fc.Arbitrary<'flex' | 'priority' | 'default'>),
  session_id: option(fc.string({ minLength: 1, maxLength: 8 })),
  tools: fc.boolean(),
  temperature: option(fc.constantFrom(0, 0.7)),
  seed: option(fc.constant(7)),
  max_tokens: option(fc.constantFrom(100, 3_000, 20_000)),
});

const accountArbitrary: fc.Arbitrary<AccountPolicy> = fc.record(
  {
    allowTraining: fc.boolean(),
    allowRetention: fc.boolean(),
    requireZdr: fc.boolean(),
    allowedProviders: fc.subarray(NAMES, { minLength: 1, maxLength: 5 }),
    ignoredProviders: fc.subarray(NAMES, { maxLength: 2 }),
    byokProviders: fc.subarray(SLUGS, { maxLength: 2 }),
  },
  { requiredKeys: ['allowTraining', 'allowRetention', 'requireZdr'] },
);

interface Scenario {
  providers: ProviderInput[];
  endpoints: EndpointInput[];
  health: Array<Partial<EndpointHealth> | undefined>;
  request: CanonicalChatRequest;
  account: AccountPolicy;
  promptTokens: number;
  seed: number;
}

const scenarioArbitrary: fc.Arbitrary<Scenario> = fc
  .record({
    providers: providersArbitrary,
    endpoints: endpointsArbitrary,
    health: fc.array(healthSpec, { minLength: 16, maxLength: 16 }),
    request: requestArbitrary,
    account: accountArbitrary,
    promptTokens: fc.constantFrom(10, 3_000, 10_000),
    seed: fc.nat(),
  })
  .map(({ request: spec, ...rest }) => {
    const request = chatRequest({ model: `acme/a${spec.suffix}`, models: spec.models });
    if (spec.provider) request.provider = spec.provider;
    if (spec.service_tier) request.service_tier = spec.service_tier;
    if (spec.session_id) request.session_id = spec.session_id;
    if (spec.tools) request.tools = [{ type: 'function', function: { name: 'lookup' } }];
    if (spec.temperature !== undefined) request.temperature = spec.temperature;
    if (spec.seed !== undefined) request.seed = spec.seed;
    if (spec.max_tokens !== undefined) request.max_tokens = spec.max_tokens;
    return { ...rest, request };
  });

function indexOf(scenario: Pick<Scenario, 'providers' | 'endpoints'>): CatalogIndex {
  return CatalogIndex.build(snapshot({ providers: scenario.providers, models: MODELS.map((id) => model(id)), endpoints: scenario.endpoints }));
}

function inputOf(scenario: Scenario, overrides: Partial<PlanInput> = {}): PlanInput {
  const entries: Record<string, Partial<EndpointHealth>> = {};
  scenario.endpoints.forEach((item, position) => {
    const health = scenario.health[position];
    if (health) entries[item.id] = health;
  });
  return {
    request: scenario.request,
    catalog: indexOf(scenario),
    routingTable: table(entries),
    account: scenario.account,
    promptTokens: scenario.promptTokens,
    now: NOW,
    random: seededRandom(scenario.seed),
    ...overrides,
  };
}

function attemptsOf(result: PlanResult): PlannedAttempt[] {
  return result.ok ? result.attempts : [];
}

// ---------------------------------------------------------------------------------------------------------------
// An independent oracle of the hard rules

function names(list: readonly string[] | undefined): string[] | undefined {
  return list && list.length > 0 ? list.map((name) => name.toLowerCase()) : undefined;
}

function nameMatches(name: string, item: CatalogEndpoint, owner: CatalogProvider, tiersByBaseName: boolean): boolean {
  const tag = item.tag.toLowerCase();
  const providerName = owner.name.toLowerCase();
  const suffix = tag.slice(item.providerSlug.length);
  if (name === tag || name === providerName + suffix) return true;
  if (item.serviceTier !== 'default' && !tiersByBaseName) return false;
  return name === item.providerSlug || name === providerName;
}

function anyMatches(list: string[], attempt: PlannedAttempt, tiersByBaseName: boolean): boolean {
  return list.some((name) => nameMatches(name, attempt.endpoint, attempt.provider, tiersByBaseName));
}

function privacyViolation(attempt: PlannedAttempt, account: AccountPolicy): string | undefined {
  const policy = attempt.provider.dataPolicy;
  if (policy.training && !account.allowTraining) return 'account training';
  if (policy.retainsPrompts && !account.allowRetention) return 'account retention';
  if (account.requireZdr && !policy.zdr) return 'account zdr';
  return undefined;
}

function violations(attempt: PlannedAttempt, scenario: Scenario): string[] {
  const found: string[] = [];
  const { request, account } = scenario;
  const preferences = request.provider ?? {};
  const item = attempt.endpoint;
  const policy = attempt.provider.dataPolicy;
  const privacy = privacyViolation(attempt, account);
  if (privacy) found.push(privacy);
  if (preferences.data_collection === 'deny' && (policy.training || policy.retainsPrompts)) found.push('data_collection');
  if (preferences.zdr && !policy.zdr) found.push('zdr');
  const only = names(preferences.only);
  if (only && !anyMatches(only, attempt, false)) found.push('only');
  const allowed = names(account.allowedProviders);
  if (allowed && !anyMatches(allowed, attempt, true)) found.push('allowed');
  const ignored = names([...(account.ignoredProviders ?? []), ...(preferences.ignore ?? [])]);
  if (ignored && anyMatches(ignored, attempt, true)) found.push('ignore');
  if (preferences.quantizations && preferences.quantizations.length > 0 && !preferences.quantizations.includes(item.quantization ?? 'unknown')) {
    found.push('quantization');
  }
  if (preferences.require_parameters && !requestedParameters(request).every((name) => item.supportedParameters.includes(name))) found.push('require_parameters');
  const maxPrompt = preferences.max_price?.prompt;
  if (maxPrompt !== undefined && toDecimal(item.pricing.prompt).gt(perMillionToPerToken(maxPrompt))) found.push('max_price.prompt');
  const maxCompletion = preferences.max_price?.completion;
  if (maxCompletion !== undefined && toDecimal(item.pricing.completion).gt(perMillionToPerToken(maxCompletion))) found.push('max_price.completion');
  if (scenario.promptTokens + (request.max_tokens ?? 0) > item.contextLength) found.push('context_length');
  if (request.max_tokens && item.maxCompletionTokens !== null && request.max_tokens > item.maxCompletionTokens) found.push('max_tokens');
  const variants = new Set<string>();
  if (attempt.model.id === 'acme/a') {
    variants.add(request.model.endsWith(':free') ? 'free' : 'standard');
    if ((request.models ?? []).includes('acme/a')) variants.add('standard');
  } else {
    variants.add('standard');
  }
  if (!variants.has(item.variant)) found.push('variant');
  if (item.serviceTier !== 'default') {
    const tier = item.serviceTier;
    const suffix = request.model.slice('acme/a'.length);
    const primary = attempt.model.id === 'acme/a';
    const admitted =
      request.service_tier === tier ||
      (primary && suffix === ':nitro' && tier === 'priority') ||
      (primary && suffix === ':floor' && tier === 'flex') ||
      [...(preferences.order ?? []), ...(preferences.only ?? [])].some((name) => name.toLowerCase() === item.tag);
    if (!admitted) found.push('service_tier');
  }
  return found;
}

const runs = { numRuns: Number(process.env.PROPERTY_RUNS ?? 400) };

// ---------------------------------------------------------------------------------------------------------------

describe('plan properties', () => {
  it('never plans an endpoint a hard filter excludes, nor one of an unrequested model, nor one twice', () => {
    fc.assert(
      fc.property(scenarioArbitrary, (scenario) => {
        const attempts = attemptsOf(plan(inputOf(scenario)));
        const requested = new Set(MODELS.filter((id) => id === 'acme/a' || (scenario.request.models ?? []).includes(id)));
        const ids = new Set<string>();
        for (const attempt of attempts) {
          expect({ id: attempt.endpoint.id, violations: violations(attempt, scenario) }).toEqual({ id: attempt.endpoint.id, violations: [] });
          expect(requested.has(attempt.model.id)).toBe(true);
          expect(attempt.endpoint.modelId).toBe(attempt.model.id);
          expect(ids.has(attempt.endpoint.id)).toBe(false);
          ids.add(attempt.endpoint.id);
        }
      }),
      runs,
    );
  });

  it('only: every attempt is a provider named in only', () => {
    fc.assert(
      fc.property(scenarioArbitrary, fc.subarray(NAMES, { minLength: 1, maxLength: 4 }), (scenario, only) => {
        scenario.request.provider = { ...scenario.request.provider, only };
        for (const attempt of attemptsOf(plan(inputOf(scenario)))) expect(anyMatches(names(only) ?? [], attempt, false)).toBe(true);
      }),
      runs,
    );
  });

  it('allow_fallbacks=false never adds unordered providers, and without order keeps one provider per model', () => {
    fc.assert(
      fc.property(scenarioArbitrary, fc.option(fc.shuffledSubarray(NAMES, { minLength: 1, maxLength: 4 }), { nil: undefined }), (scenario, order) => {
        scenario.request.provider = { ...scenario.request.provider, allow_fallbacks: false, order };
        const attempts = attemptsOf(plan(inputOf(scenario)));
        if (order) {
          for (const attempt of attempts) expect(anyMatches(names(order) ?? [], attempt, false)).toBe(true);
        } else {
          const models = attempts.map((attempt) => attempt.model.id);
          expect(new Set(models).size).toBe(models.length);
        }
      }),
      runs,
    );
  });

  it('BYOK endpoints always come first (per requested model; globally with partition none), and only they are flagged', () => {
    fc.assert(
      fc.property(scenarioArbitrary, fc.subarray(SLUGS, { minLength: 1, maxLength: 3 }), (scenario, byok) => {
        scenario.account = { ...scenario.account, byokProviders: byok };
        const attempts = attemptsOf(plan(inputOf(scenario)));
        const sort = scenario.request.provider?.sort;
        const global = typeof sort === 'object' && sort.partition === 'none';
        const sharedSeen = new Set<string>();
        for (const attempt of attempts) {
          expect(attempt.isByok).toBe(byok.includes(attempt.endpoint.providerSlug));
          // a requested model group: "acme/a:free" and a plain "acme/a" fallback are two groups
          const scope = global ? '*' : `${attempt.model.id}|${attempt.endpoint.variant}`;
          if (attempt.isByok) expect(sharedSeen.has(scope)).toBe(false);
          else sharedSeen.add(scope);
        }
      }),
      runs,
    );
  });

  it('the primary model is tried before any fallback model (partition model)', () => {
    fc.assert(
      fc.property(scenarioArbitrary, (scenario) => {
        const sort = scenario.request.provider?.sort;
        if (typeof sort === 'object' && sort.partition === 'none') return;
        // requested groups in order: the primary (its variant from the suffix), then each fallback (standard)
        const groups = [
          { id: 'acme/a', variant: scenario.request.model.endsWith(':free') ? 'free' : 'standard' },
          ...(scenario.request.models ?? []).map((id) => ({ id, variant: 'standard' })),
        ];
        // A model may be named twice (`acme/a:nitro`, then `acme/a` as a fallback: two groups, the second holding
        // what the first left out), so each attempt must belong to a group at or after the previous attempt's.
        let previous = 0;
        for (const attempt of attemptsOf(plan(inputOf(scenario)))) {
          const position = groups.findIndex((group, index) => index >= previous && group.id === attempt.model.id && group.variant === attempt.endpoint.variant);
          expect(position).not.toBe(-1);
          previous = position;
        }
      }),
      runs,
    );
  });

  it('a request can never loosen the account privacy policy', () => {
    fc.assert(
      fc.property(scenarioArbitrary, (scenario) => {
        for (const attempt of attemptsOf(plan(inputOf(scenario)))) expect(privacyViolation(attempt, scenario.account)).toBeUndefined();
      }),
      runs,
    );
  });

  it('narrowing preferences (privacy, ignore, quantizations, max_price, sort) plan a subset of the account-alone plan', () => {
    const narrowing = fc.record(
      {
        data_collection: fc.constantFrom('allow', 'deny'),
        zdr: fc.boolean(),
        ignore: fc.subarray(NAMES, { maxLength: 3 }),
        quantizations: fc.subarray(['fp8', 'bf16', 'int4', 'unknown'] as const, { minLength: 1 }),
        max_price: fc.record({ prompt: fc.integer({ min: 0, max: 10 }) }),
        sort: fc.constantFrom('price', 'throughput', 'latency', 'exacto'),
      },
      { requiredKeys: [] },
    ) as fc.Arbitrary<ProviderPreferences>;
    fc.assert(
      fc.property(scenarioArbitrary, narrowing, (scenario, preferences) => {
        // soft parameter preferences depend on what is left, so they are kept out of this comparison
        const request = { ...scenario.request, tools: undefined, provider: undefined };
        const alone = new Set(attemptsOf(plan(inputOf({ ...scenario, request }))).map((attempt) => attempt.endpoint.id));
        const narrowed = attemptsOf(plan(inputOf({ ...scenario, request: { ...request, provider: preferences } })));
        for (const attempt of narrowed) expect(alone.has(attempt.endpoint.id)).toBe(true);
      }),
      runs,
    );
  });

  it('health only reorders: the same endpoints are planned with or without a routing table', () => {
    fc.assert(
      fc.property(scenarioArbitrary, (scenario) => {
        if (scenario.request.provider?.allow_fallbacks === false) return;
        const withHealth = attemptsOf(plan(inputOf(scenario))).map((attempt) => attempt.endpoint.id);
        const without = attemptsOf(plan(inputOf(scenario, { routingTable: table() }))).map((attempt) => attempt.endpoint.id);
        expect([...withHealth].sort()).toEqual([...without].sort());
      }),
      runs,
    );
  });

  it('is deterministic for a given random source', () => {
    fc.assert(
      fc.property(scenarioArbitrary, (scenario) => {
        expect(plan(inputOf(scenario))).toEqual(plan(inputOf(scenario)));
      }),
      { numRuns: 100 },
    );
  });
});

describe('sticky properties', () => {
  /** Scenarios where sticky routing applies: an explicit session key, no order, no sort, no dynamic variant. */
  const stickyScenario = fc.tuple(scenarioArbitrary, fc.string({ minLength: 1, maxLength: 12 })).map(([scenario, session]) => {
    const { order: _order, sort: _sort, ...preferences } = scenario.request.provider ?? {};
    const request = { ...scenario.request, model: scenario.request.model.replace(/:(nitro|floor)$/, ''), session_id: session, provider: preferences };
    return { ...scenario, request };
  });

  it('same key and same healthy set → same first endpoint, whatever the input order or random draws', () => {
    fc.assert(
      fc.property(stickyScenario, fc.nat(), fc.nat(), (scenario, seed, shuffleSeed) => {
        const first = plan(inputOf(scenario));
        const shuffledEndpoints = [...scenario.endpoints].sort((a, b) => ((a.id.length * 31 + shuffleSeed) % 7) - ((b.id.length * 17 + shuffleSeed) % 5));
        const shuffledProviders = [...scenario.providers].reverse();
        // the routing table is keyed by endpoint id, so it stays with its endpoints
        const second = plan(inputOf({ ...scenario, endpoints: shuffledEndpoints, providers: shuffledProviders, seed }, { routingTable: inputOf(scenario).routingTable }));
        const firstAttempts = attemptsOf(first);
        if (firstAttempts.length === 0) return;
        const secondAttempts = attemptsOf(second);
        expect(secondAttempts[0].sticky).toBe(firstAttempts[0].sticky);
        if (firstAttempts[0].sticky) expect(secondAttempts[0].endpoint.id).toBe(firstAttempts[0].endpoint.id);
      }),
      runs,
    );
  });

  it('removing an endpoint that was not picked never changes the sticky pick', () => {
    fc.assert(
      fc.property(stickyScenario, fc.nat(), (scenario, which) => {
        const attempts = attemptsOf(plan(inputOf(scenario)));
        if (attempts.length === 0 || !attempts[0].sticky) return;
        const pick = attempts[0].endpoint.id;
        const positions = scenario.endpoints.map((_, position) => position).filter((position) => scenario.endpoints[position].id !== pick);
        if (positions.length === 0) return;
        const removed = positions[which % positions.length];
        const reduced: Scenario = {
          ...scenario,
          endpoints: scenario.endpoints.filter((_, position) => position !== removed),
          health: scenario.health.filter((_, position) => position !== removed),
        };
        const after = attemptsOf(plan(inputOf(reduced)));
        expect(after[0].endpoint.id).toBe(pick);
        expect(after[0].sticky).toBe(true);
      }),
      runs,
    );
  });
});
