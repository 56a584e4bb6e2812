import {
  type CanonicalChatRequest,
  type EndpointHealth,
  type Percentiles,
  type ProviderSort,
  estimatePromptTokens,
  requestedParameters,
} from '@switchyard/llm-spec';
import { type Decimal, perMillionToPerToken, toDecimal } from '@switchyard/money';
import { AUTO_ROUTER_ID, AUTO_ROUTER_MAX_MODELS, isAutoRouter, pickAutoRouterModels } from './auto-router.js';
import { type AutoRouterCandidate, type CatalogIndex, type DynamicVariant, FREE_ROUTER_ID, type IndexedEndpoint, isFreeRouter, type ResolvedModel } from './catalog-index.js';
import type { AccountPolicy, PlanError, PlanInput, PlanResult, PlanStep, PlanStrategy, PlannedAttempt } from './plan-types.js';
import { rendezvousPick } from './rendezvous.js';
import { carriesSignedReasoning, type SessionKey, resolveSessionKey } from './session-key.js';

// ---------------------------------------------------------------------------------------------------------------
// Filter stages, in the order they run. An endpoint is dropped by the first stage it fails; the stage that dropped
// the last survivors of a model decides the error code (privacy → privacy_restricted, constraints →
// constraint_filtered, variant/tier/none → no_endpoints).

const STAGE_VARIANT = 0;
const STAGE_SERVICE_TIER = 1;
const STAGE_TRAINING = 2;
const STAGE_RETENTION = 3;
const STAGE_ZDR = 4;
const STAGE_ACCOUNT_ALLOWED = 5;
const STAGE_ONLY = 6;
const STAGE_IGNORE = 7;
const STAGE_QUANTIZATION = 8;
const STAGE_REQUIRE_PARAMETERS = 9;
const STAGE_MAX_PRICE = 10;
const STAGE_CONTEXT_LENGTH = 11;
const STAGE_MAX_TOKENS = 12;
/** `allow_fallbacks: false` with `order`: endpoints of unordered providers. */
const STAGE_NOT_ORDERED = 13;
/** The model does not take an input the request carries (images, files, audio): every endpoint of it. */
const STAGE_MODALITY = 14;
const PASSED = -1;

/** `error.availability.excluded_by` label of each stage (none for structural stages). */
const EXCLUDED_BY: ReadonlyArray<string | undefined> = [
  undefined,
  undefined,
  'data_policy:training',
  'data_policy:retention',
  'data_policy:zdr',
  'allowed_providers',
  'allowed_providers',
  'ignored_providers',
  'quantization',
  'require_parameters',
  'max_price',
  'context_length',
  'max_tokens',
  'allowed_providers',
  'input_modalities',
];

const STAGE_LABEL: readonly string[] = [
  'variant',
  'service_tier',
  'data_policy:training',
  'data_policy:retention',
  'data_policy:zdr',
  'allowed_providers',
  'allowed_providers',
  'ignored_providers',
  'quantization',
  'require_parameters',
  'max_price',
  'context_length',
  'max_tokens',
  'allow_fallbacks',
  'input_modalities',
];

const RECENT_FAILURE_MS = 30_000;

const HEALTHY = 0;
const DEGRADED = 1;
const DOWN = 2;

/** Parameters that act as a soft filter when require_parameters is false (reference §11.1), with their label. */
const SOFT_PARAMETER_LABEL: Readonly<Record<string, string>> = {
  tools: 'tool_use',
  tool_choice: 'tool_use',
  response_format: 'response_format',
  structured_outputs: 'response_format',
};

type PercentileKey = keyof Percentiles;
type Thresholds = Partial<Record<PercentileKey, number>>;

/** Everything about the request that does not depend on the model, computed once per plan. */
interface RequestContext {
  readonly request: CanonicalChatRequest;
  readonly account: AccountPolicy;
  readonly now: number;
  readonly health: Readonly<Record<string, EndpointHealth>>;
  readonly random: () => number;
  readonly headerSessionKey: string | null | undefined;
  readonly uncredentialed: ReadonlySet<string> | undefined;
  readonly allowTraining: boolean;
  readonly allowRetention: boolean;
  readonly requireZdr: boolean;
  readonly dataCollectionDeny: boolean;
  readonly requestZdr: boolean;
  readonly accountAllowed: ReadonlySet<string> | undefined;
  readonly only: ReadonlySet<string> | undefined;
  readonly ignore: ReadonlySet<string> | undefined;
  readonly order: ReadonlyMap<string, number> | undefined;
  readonly quantizations: ReadonlySet<string> | undefined;
  readonly requireParameters: boolean;
  readonly requiredParameters: readonly string[];
  readonly softParameters: readonly string[];
  /** Inputs beyond text the messages carry ("image", "file", "audio"): a model must take each. */
  readonly inputModalities: readonly string[];
  readonly maxPrompt: Decimal | undefined;
  readonly maxCompletion: Decimal | undefined;
  readonly maxRequest: Decimal | undefined;
  readonly maxImage: Decimal | undefined;
  readonly promptTokens: number;
  readonly maxTokens: number | undefined;
  readonly byok: ReadonlySet<string> | undefined;
  readonly allowFallbacks: boolean;
  readonly explicitSort: ProviderSort | undefined;
  readonly partitionNone: boolean;
  readonly minThroughput: Thresholds | undefined;
  /** Milliseconds (the request gives seconds). */
  readonly maxLatency: Thresholds | undefined;
  readonly requestedTier: 'flex' | 'priority' | undefined;
}

type Ordering = { kind: 'load-balance' } | { kind: 'sorted'; by: ProviderSort } | { kind: 'ordered'; by: ProviderSort | undefined };

/** One requested model that resolved. */
interface ModelGroup {
  readonly resolved: ResolvedModel;
  readonly index: number;
  readonly ordering: Ordering;
  readonly sortBy: ProviderSort | undefined;
  readonly flexAllowed: boolean;
  readonly priorityAllowed: boolean;
  readonly thinkingByVariant: boolean;
  readonly entries: readonly IndexedEndpoint[];
  candidates: Candidate[];
  /** Bit per stage that dropped at least one endpoint. */
  droppedMask: number;
  /** The latest stage that dropped an endpoint (the one that emptied the set when nothing is left). */
  lastStage: number;
  freeVariantEnded: boolean;
  /** An input the request carries that the model does not take ("image"), if any. */
  missingModality: string | undefined;
}

interface Candidate {
  readonly entry: IndexedEndpoint;
  readonly group: ModelGroup;
  readonly isByok: boolean;
  readonly healthTier: number;
  readonly healthNote: string | undefined;
  readonly preferenceNote: string | undefined;
  readonly orderPosition: number;
  readonly inPreferredTier: boolean;
  readonly rank: number;
  readonly weight: number;
  readonly throughput: number;
  readonly latency: number;
  readonly toolCallSuccessRate: number;
  loadBalanceKey: number;
  sticky: boolean;
  stickySource: string | undefined;
}

/**
 * Plans one request: the ordered endpoints to try (reference §3.4, §11). Pure: same input (and `random`) → same
 * plan. Cost is linear in the endpoints of the requested models (plus sorting them).
 */
export function plan(input: PlanInput): PlanResult {
  return run(input, undefined);
}

/** The same plan, with a step per endpoint considered: why it was dropped, or where it went and why. */
export function explainPlan(input: PlanInput): { result: PlanResult; steps: PlanStep[] } {
  const steps: PlanStep[] = [];
  const result = run(input, steps);
  return { result, steps };
}

function run(input: PlanInput, steps: PlanStep[] | undefined): PlanResult {
  const { request, catalog } = input;
  const requestedModels = requestedModelIds(request);
  const unresolvedModels: string[] = [];
  const context = requestContext(input);
  const groups: ModelGroup[] = [];
  const seenModels = new Set<string>();
  const addGroup = (resolved: ResolvedModel): void => {
    const key = `${resolved.model.id}|${resolved.variant}|${resolved.dynamic ?? ''}`;
    if (seenModels.has(key)) return;
    seenModels.add(key);
    groups.push(modelGroup(resolved, groups.length, context, catalog));
  };
  for (const requestedId of requestedModels) {
    if (isFreeRouter(requestedId)) {
      // Every free model in random order, each a fallback of the one before: the filters below drop the models
      // whose endpoints lack what the request needs (tools, context, parameters), so the first one left serves.
      const picks = shuffled(catalog.freeModelIds, context.random);
      if (picks.length === 0) unresolvedModels.push(requestedId);
      for (const modelId of picks) {
        const resolved = catalog.resolveModel(`${modelId}:free`);
        if (resolved) addGroup({ ...resolved, viaRouter: FREE_ROUTER_ID });
      }
      continue;
    }
    if (isAutoRouter(requestedId)) {
      // The model picked for the prompt, then its neighbours by price as fallbacks (auto-router.ts).
      const { modelIds } = pickAutoRouterModels(servableCandidates(catalog, context), request, context.promptTokens, input.keyAllowedModels);
      if (modelIds.length === 0) unresolvedModels.push(requestedId);
      for (const modelId of modelIds) {
        const resolved = catalog.resolveModel(modelId);
        if (resolved) addGroup({ ...resolved, viaRouter: AUTO_ROUTER_ID });
      }
      continue;
    }
    const resolved = catalog.resolveModel(requestedId);
    if (resolved) addGroup(resolved);
    else unresolvedModels.push(requestedId);
  }
  if (groups.length === 0) {
    return { ok: false, error: modelNotFound(requestedModels) };
  }

  for (const group of groups) filterGroup(group, context, steps);
  keepFirstAutoPicks(groups);

  const ordered = context.partitionNone ? orderGlobally(groups, context, steps) : orderByModel(groups, context, steps);
  if (ordered.length === 0) {
    return { ok: false, error: availabilityError(groups, context, requestedModels, unresolvedModels) };
  }

  const attempts: PlannedAttempt[] = new Array(ordered.length);
  for (let index = 0; index < ordered.length; index++) {
    const candidate = ordered[index];
    const attempt: PlannedAttempt = {
      endpoint: candidate.entry.endpoint,
      model: candidate.entry.model,
      provider: candidate.entry.provider,
      isByok: candidate.isByok,
      sticky: candidate.sticky,
      reason: attemptReason(candidate, context),
    };
    attempts[index] = attempt;
    steps?.push({ endpointId: attempt.endpoint.id, kept: true, reason: `attempt ${index + 1}: ${attempt.reason}` });
  }
  const first = ordered[0];
  const strategy: PlanStrategy = first.sticky ? 'sticky' : first.group.ordering.kind;
  const result: PlanResult = { ok: true, attempts, model: first.entry.model, strategy };
  if (unresolvedModels.length > 0) result.unresolvedModels = unresolvedModels;
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Request and model context

function requestedModelIds(request: CanonicalChatRequest): string[] {
  const ids: string[] = [];
  const seen = new Set<string>();
  const add = (id: string): void => {
    const key = id.trim().toLowerCase();
    if (key.length === 0 || seen.has(key)) return;
    seen.add(key);
    ids.push(id);
  };
  add(request.model);
  for (const id of request.models ?? []) add(id);
  return ids;
}

const PART_MODALITY: Readonly<Record<string, string>> = { image_url: 'image', file: 'file', input_audio: 'audio' };

/** The inputs beyond text a request's messages carry, in the vocabulary of `architecture.input_modalities`. */
function inputModalitiesOf(request: CanonicalChatRequest): string[] {
  const found: string[] = [];
  for (const message of request.messages) {
    if (typeof message.content === 'string' || !Array.isArray(message.content)) continue;
    for (const part of message.content as ReadonlyArray<{ type: string }>) {
      const modality = PART_MODALITY[part.type];
      if (modality && !found.includes(modality)) found.push(modality);
    }
  }
  return found;
}

/**
 * `openrouter/auto` plans every candidate in pick order, so the request's own filters (providers, privacy, prices,
 * parameters, context) can drop any of them; of those left, its first AUTO_ROUTER_MAX_MODELS serve (the pick and its
 * nearest neighbours), the rest are not tried.
 */
function keepFirstAutoPicks(groups: readonly ModelGroup[]): void {
  let kept = 0;
  for (const group of groups) {
    if (group.resolved.viaRouter !== AUTO_ROUTER_ID || group.candidates.length === 0) continue;
    if (kept < AUTO_ROUTER_MAX_MODELS) kept++;
    else group.candidates = [];
  }
}

/**
 * The auto router's candidates that some provider can serve: a model whose every endpoint is with a provider that
 * has no key (and no BYOK key of the account) would only fail, so it is not picked, unless no model is servable.
 */
function servableCandidates(catalog: CatalogIndex, context: RequestContext): readonly AutoRouterCandidate[] {
  const { uncredentialed, byok } = context;
  if (!uncredentialed || uncredentialed.size === 0) return catalog.autoRouterCandidates;
  const servable = catalog.autoRouterCandidates.filter(({ modelId }) =>
    catalog.indexedEndpointsOf(modelId).some((entry) => entry.endpoint.variant === 'standard' && (!uncredentialed.has(entry.slug) || byok?.has(entry.slug) === true)),
  );
  return servable.length > 0 ? servable : catalog.autoRouterCandidates;
}

/** A copy in uniformly random order (Fisher–Yates). */
function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [copy[index], copy[other]] = [copy[other], copy[index]];
  }
  return copy;
}

function lowerSet(names: readonly string[] | null | undefined): ReadonlySet<string> | undefined {
  if (!names || names.length === 0) return undefined;
  const set = new Set<string>();
  for (const name of names) set.add(name.trim().toLowerCase());
  return set;
}

function orderMap(names: readonly string[] | null | undefined): ReadonlyMap<string, number> | undefined {
  if (!names || names.length === 0) return undefined;
  const map = new Map<string, number>();
  for (let index = 0; index < names.length; index++) {
    const key = names[index].trim().toLowerCase();
    if (!map.has(key)) map.set(key, index);
  }
  return map;
}

function maxPricePerToken(value: number | string | undefined): Decimal | undefined {
  return value === undefined ? undefined : perMillionToPerToken(value);
}

function maxPricePerUnit(value: number | string | undefined): Decimal | undefined {
  return value === undefined ? undefined : toDecimal(value);
}

function thresholds(value: number | Partial<Record<PercentileKey, number>> | undefined, scale: number): Thresholds | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return { p50: value * scale };
  const result: Thresholds = {};
  let any = false;
  for (const key of ['p50', 'p75', 'p90', 'p99'] as const) {
    const limit = value[key];
    if (limit !== undefined) {
      result[key] = limit * scale;
      any = true;
    }
  }
  return any ? result : undefined;
}

function requestContext(input: PlanInput): RequestContext {
  const { request, account } = input;
  const preferences = request.provider ?? undefined;
  const dataCollectionDeny = preferences?.data_collection === 'deny';
  const requestZdr = preferences?.zdr === true;
  const requireParameters = preferences?.require_parameters === true;
  const softParameters: string[] = [];
  if (!requireParameters) {
    if (request.tools && request.tools.length > 0) softParameters.push('tools');
    if (request.tool_choice !== undefined && request.tool_choice !== null) softParameters.push('tool_choice');
    if (request.response_format !== undefined && request.response_format !== null) softParameters.push('response_format');
    if (request.response_format?.type === 'json_schema' || (request.structured_outputs !== undefined && request.structured_outputs !== null)) {
      softParameters.push('structured_outputs');
    }
  }
  const sort = preferences?.sort;
  const ignoreNames = [...(account.ignoredProviders ?? []), ...(preferences?.ignore ?? [])];
  const serviceTier = request.service_tier;
  const maxPrice = preferences?.max_price;
  return {
    request,
    account,
    now: input.now,
    health: input.routingTable.endpoints,
    random: input.random ?? Math.random,
    headerSessionKey: input.sessionKey,
    uncredentialed: input.uncredentialedProviders,
    // a request can only tighten the account (reference §11.5)
    allowTraining: account.allowTraining && !dataCollectionDeny,
    allowRetention: account.allowRetention && !dataCollectionDeny,
    requireZdr: account.requireZdr || requestZdr,
    dataCollectionDeny,
    requestZdr,
    accountAllowed: lowerSet(account.allowedProviders),
    only: lowerSet(preferences?.only),
    ignore: lowerSet(ignoreNames),
    order: orderMap(preferences?.order),
    quantizations: lowerSet(preferences?.quantizations),
    requireParameters,
    requiredParameters: requireParameters ? requestedParameters(request) : [],
    softParameters,
    inputModalities: inputModalitiesOf(request),
    maxPrompt: maxPricePerToken(maxPrice?.prompt),
    maxCompletion: maxPricePerToken(maxPrice?.completion),
    maxRequest: maxPricePerUnit(maxPrice?.request),
    maxImage: maxPricePerUnit(maxPrice?.image),
    promptTokens: input.promptTokens ?? estimatePromptTokens(request),
    maxTokens: request.max_tokens ?? undefined,
    byok: lowerSet(account.byokProviders),
    allowFallbacks: preferences?.allow_fallbacks !== false,
    explicitSort: typeof sort === 'string' ? sort : sort?.by,
    partitionNone: typeof sort === 'object' && sort !== null && sort.partition === 'none',
    minThroughput: thresholds(preferences?.preferred_min_throughput, 1),
    maxLatency: thresholds(preferences?.preferred_max_latency, 1000),
    requestedTier: serviceTier === 'flex' || serviceTier === 'priority' ? serviceTier : undefined,
  };
}

function dynamicSort(dynamic: DynamicVariant | undefined): ProviderSort | undefined {
  switch (dynamic) {
    case 'nitro':
      return 'throughput';
    case 'floor':
      return 'price';
    case 'exacto':
      return 'exacto';
    default:
      return undefined;
  }
}

function modelGroup(resolved: ResolvedModel, index: number, context: RequestContext, catalog: CatalogIndex): ModelGroup {
  const entries = catalog.indexedEndpointsOf(resolved.model.id);
  const sortBy = context.explicitSort ?? dynamicSort(resolved.dynamic);
  const ordering: Ordering = context.order ? { kind: 'ordered', by: sortBy } : sortBy ? { kind: 'sorted', by: sortBy } : { kind: 'load-balance' };
  let hasThinking = false;
  let hasFree = false;
  for (const entry of entries) {
    if (entry.endpoint.variant === 'thinking') hasThinking = true;
    else if (entry.endpoint.variant === 'free') hasFree = true;
  }
  return {
    resolved,
    index,
    ordering,
    sortBy,
    flexAllowed: resolved.dynamic === 'floor' || context.requestedTier === 'flex',
    priorityAllowed: resolved.dynamic === 'nitro' || context.requestedTier === 'priority',
    thinkingByVariant: resolved.variant === 'thinking' && hasThinking,
    entries,
    candidates: [],
    droppedMask: 0,
    lastStage: PASSED,
    freeVariantEnded: resolved.variant === 'free' && !hasFree,
    missingModality: context.inputModalities.find((modality) => !resolved.model.inputModalities.includes(modality)),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Matching provider names (reference §3.4 "Slug matching")

/** A full tag ("deepinfra/turbo", "openai/priority") or its display-name form. */
function namesFully(entry: IndexedEndpoint, names: ReadonlySet<string> | ReadonlyMap<string, number>): boolean {
  return names.has(entry.tag) || names.has(entry.nameTag);
}

/**
 * `only` / `order` matching: slug, display name or full tag, case-insensitive. A base slug or name matches all the
 * provider's tags except service tiers, which must be named fully. `includeTiers` (the account ceiling and `ignore`)
 * lets a base name cover tiers too.
 */
function matchesNames(entry: IndexedEndpoint, names: ReadonlySet<string>, includeTiers: boolean): boolean {
  if (namesFully(entry, names)) return true;
  if (entry.isServiceTier && !includeTiers) return false;
  return names.has(entry.slug) || names.has(entry.name);
}

function orderPositionOf(entry: IndexedEndpoint, order: ReadonlyMap<string, number> | undefined): number {
  if (!order) return Infinity;
  let position = Math.min(order.get(entry.tag) ?? Infinity, order.get(entry.nameTag) ?? Infinity);
  if (!entry.isServiceTier) position = Math.min(position, order.get(entry.slug) ?? Infinity, order.get(entry.name) ?? Infinity);
  return position;
}

// ---------------------------------------------------------------------------------------------------------------
// Filtering

function firstFailingStage(entry: IndexedEndpoint, group: ModelGroup, context: RequestContext): number {
  if (group.missingModality) return STAGE_MODALITY;
  const endpoint = entry.endpoint;
  switch (group.resolved.variant) {
    case 'thinking':
      if (group.thinkingByVariant ? endpoint.variant !== 'thinking' : endpoint.variant !== 'standard' || entry.model.reasoning === null) {
        return STAGE_VARIANT;
      }
      break;
    default:
      if (endpoint.variant !== group.resolved.variant) return STAGE_VARIANT;
  }
  if (entry.isServiceTier) {
    const admitted =
      (endpoint.serviceTier === 'flex' && group.flexAllowed) ||
      (endpoint.serviceTier === 'priority' && group.priorityAllowed) ||
      (context.order !== undefined && namesFully(entry, context.order)) ||
      (context.only !== undefined && namesFully(entry, context.only));
    if (!admitted) return STAGE_SERVICE_TIER;
  }
  const policy = entry.provider.dataPolicy;
  if (policy.training && !context.allowTraining) return STAGE_TRAINING;
  if (policy.retainsPrompts && !context.allowRetention) return STAGE_RETENTION;
  if (context.requireZdr && !policy.zdr) return STAGE_ZDR;
  if (context.accountAllowed && !matchesNames(entry, context.accountAllowed, true)) return STAGE_ACCOUNT_ALLOWED;
  if (context.only && !matchesNames(entry, context.only, false)) return STAGE_ONLY;
  if (context.ignore && matchesNames(entry, context.ignore, true)) return STAGE_IGNORE;
  if (context.quantizations && !context.quantizations.has(endpoint.quantization ?? 'unknown')) return STAGE_QUANTIZATION;
  for (const name of requiredParameters(group, context)) if (!entry.supportedParameters.has(name)) return STAGE_REQUIRE_PARAMETERS;
  if (
    (context.maxPrompt && entry.promptPrice.gt(context.maxPrompt)) ||
    (context.maxCompletion && entry.completionPrice.gt(context.maxCompletion)) ||
    (context.maxRequest && entry.requestPrice.gt(context.maxRequest)) ||
    (context.maxImage && entry.imagePrice.gt(context.maxImage))
  ) {
    return STAGE_MAX_PRICE;
  }
  if (
    context.promptTokens + (context.maxTokens ?? 0) > endpoint.contextLength ||
    (endpoint.maxPromptTokens !== null && context.promptTokens > endpoint.maxPromptTokens)
  ) {
    return STAGE_CONTEXT_LENGTH;
  }
  if (context.maxTokens !== undefined && endpoint.maxCompletionTokens !== null && context.maxTokens > endpoint.maxCompletionTokens) {
    return STAGE_MAX_TOKENS;
  }
  return PASSED;
}

/**
 * The parameters every endpoint of the group must support: all the request's with `require_parameters`; for a model
 * the free router picked, the features the request relies on (tools, structured outputs), which OpenRouter's free
 * router filters by; otherwise none (they are only preferred).
 */
function requiredParameters(group: ModelGroup, context: RequestContext): readonly string[] {
  if (context.requireParameters) return context.requiredParameters;
  return group.resolved.viaRouter ? context.softParameters : NO_PARAMETERS;
}

const NO_PARAMETERS: readonly string[] = Object.freeze([]);

function drop(group: ModelGroup, stage: number, entry: IndexedEndpoint, context: RequestContext, steps: PlanStep[] | undefined): void {
  group.droppedMask |= 1 << stage;
  if (stage > group.lastStage) group.lastStage = stage;
  steps?.push({ endpointId: entry.endpoint.id, kept: false, reason: `${STAGE_LABEL[stage]}: ${dropDetail(stage, entry, group, context)}` });
}

function filterGroup(group: ModelGroup, context: RequestContext, steps: PlanStep[] | undefined): void {
  let survivors: IndexedEndpoint[] = [];
  for (const entry of group.entries) {
    const stage = firstFailingStage(entry, group, context);
    if (stage === PASSED) survivors.push(entry);
    else drop(group, stage, entry, context, steps);
  }
  // Soft parameter preference: keep the endpoints that support a requested parameter, if any do.
  for (const name of context.softParameters) {
    let supporting = 0;
    for (const entry of survivors) if (entry.supportedParameters.has(name)) supporting++;
    if (supporting === 0 || supporting === survivors.length) continue;
    const kept: IndexedEndpoint[] = [];
    for (const entry of survivors) {
      if (entry.supportedParameters.has(name)) kept.push(entry);
      else steps?.push({ endpointId: entry.endpoint.id, kept: false, reason: `${SOFT_PARAMETER_LABEL[name]}: does not support ${name} and other endpoints do` });
    }
    survivors = kept;
  }
  const candidates: Candidate[] = [];
  for (const entry of survivors) {
    const orderPosition = orderPositionOf(entry, context.order);
    if (!context.allowFallbacks && context.order && orderPosition === Infinity) {
      drop(group, STAGE_NOT_ORDERED, entry, context, steps);
      continue;
    }
    candidates.push(candidate(entry, group, orderPosition, context));
  }
  group.candidates = candidates;
}

// ---------------------------------------------------------------------------------------------------------------
// Health, preferences, ranking

function candidate(entry: IndexedEndpoint, group: ModelGroup, orderPosition: number, context: RequestContext): Candidate {
  const health: EndpointHealth | undefined = context.health[entry.endpoint.id];
  const isByok = context.byok !== undefined && context.byok.has(entry.slug);
  let healthTier = HEALTHY;
  let healthNote: string | undefined;
  if (!isByok && context.uncredentialed?.has(entry.slug)) {
    healthTier = DOWN;
    healthNote = 'no platform credential: last resort';
  } else if (health) {
    if (health.state === 'open' || health.state === 'drained') {
      healthTier = DOWN;
      healthNote = `circuit ${health.state}: last resort`;
    } else if (health.retryAfterUntil !== null && health.retryAfterUntil > context.now) {
      healthTier = DOWN;
      healthNote = 'rate-limited (retry-after): last resort';
    } else if (health.state === 'half-open') {
      healthTier = DEGRADED;
      healthNote = 'circuit half-open: after healthy endpoints';
    } else if (health.lastFailureAt !== null && context.now - health.lastFailureAt < RECENT_FAILURE_MS) {
      healthTier = DEGRADED;
      healthNote = 'failed in the last 30 s: after healthy endpoints';
    }
  }
  let preferenceNote: string | undefined;
  if (health && context.minThroughput && failsThroughput(health, context.minThroughput)) preferenceNote = 'below preferred_min_throughput';
  if (health && context.maxLatency && failsLatency(health, context.maxLatency)) {
    preferenceNote = preferenceNote ? `${preferenceNote}, above preferred_max_latency` : 'above preferred_max_latency';
  }
  const inPreferredTier = context.requestedTier === undefined || entry.endpoint.serviceTier === context.requestedTier;
  const loadBalancing = group.ordering.kind === 'load-balance';
  // lexicographic buckets: BYOK, ordered-or-not, health, soft preferences, requested tier, free-before-paid (load balancing)
  let rank = isByok ? 0 : 1;
  rank = rank * 2 + (context.order && orderPosition === Infinity ? 1 : 0);
  rank = rank * 3 + healthTier;
  rank = rank * 2 + (preferenceNote ? 1 : 0);
  rank = rank * 2 + (inPreferredTier ? 0 : 1);
  rank = rank * 2 + (loadBalancing && !entry.isFree ? 1 : 0);
  const tableWeight = health ? health.weight : 1;
  return {
    entry,
    group,
    isByok,
    healthTier,
    healthNote,
    preferenceNote,
    orderPosition,
    inPreferredTier,
    rank,
    weight: entry.isFree ? tableWeight : tableWeight * entry.inversePriceSquared,
    throughput: health?.throughputP50Last5m ?? -Infinity,
    latency: health?.latencyP50Last5m ?? Infinity,
    toolCallSuccessRate: health?.toolCallSuccessRate ?? -1,
    loadBalanceKey: 0,
    sticky: false,
    stickySource: undefined,
  };
}

function percentileValue(last5m: number | null, window: Percentiles | null, key: PercentileKey): number | null {
  if (key === 'p50' && last5m !== null) return last5m;
  return window ? window[key] : null;
}

/** Unknown figures never fail a preference: no data is not evidence of slowness. */
function failsThroughput(health: EndpointHealth, limits: Thresholds): boolean {
  for (const key of ['p50', 'p75', 'p90', 'p99'] as const) {
    const limit = limits[key];
    if (limit === undefined) continue;
    const value = percentileValue(health.throughputP50Last5m, health.throughput30m, key);
    if (value !== null && value < limit) return true;
  }
  return false;
}

function failsLatency(health: EndpointHealth, limits: Thresholds): boolean {
  for (const key of ['p50', 'p75', 'p90', 'p99'] as const) {
    const limit = limits[key];
    if (limit === undefined) continue;
    const value = percentileValue(health.latencyP50Last5m, health.latency30m, key);
    if (value !== null && value > limit) return true;
  }
  return false;
}

function compareMetric(a: Candidate, b: Candidate, by: ProviderSort): number {
  switch (by) {
    case 'price':
      return a.entry.totalPrice.comparedTo(b.entry.totalPrice);
    case 'throughput':
      return a.throughput === b.throughput ? 0 : a.throughput > b.throughput ? -1 : 1;
    case 'latency':
      return a.latency === b.latency ? 0 : a.latency < b.latency ? -1 : 1;
    case 'exacto':
      if (a.toolCallSuccessRate !== b.toolCallSuccessRate) return a.toolCallSuccessRate > b.toolCallSuccessRate ? -1 : 1;
      return a.throughput === b.throughput ? 0 : a.throughput > b.throughput ? -1 : 1;
  }
}

function comparatorFor(ordering: Ordering): (a: Candidate, b: Candidate) => number {
  const by = ordering.kind === 'load-balance' ? undefined : ordering.by;
  const loadBalancing = ordering.kind === 'load-balance';
  return (a, b) => {
    if (a.rank !== b.rank) return a.rank - b.rank;
    if (a.orderPosition !== b.orderPosition) return a.orderPosition < b.orderPosition ? -1 : 1;
    if (by) {
      const byMetric = compareMetric(a, b, by);
      if (byMetric !== 0) return byMetric;
    } else if (loadBalancing && a.loadBalanceKey !== b.loadBalanceKey) {
      return a.loadBalanceKey < b.loadBalanceKey ? -1 : 1;
    }
    const byPrice = a.entry.totalPrice.comparedTo(b.entry.totalPrice);
    if (byPrice !== 0) return byPrice;
    const idA = a.entry.endpoint.id;
    const idB = b.entry.endpoint.id;
    return idA < idB ? -1 : idA > idB ? 1 : 0;
  };
}

/**
 * Weighted random order without replacement (Efraimidis–Spirakis): key = Exp(1) / weight, ascending. The first
 * pick of a bucket is endpoint i with probability weight_i / Σ weight; weight = table weight / price².
 */
function assignLoadBalanceKeys(candidates: readonly Candidate[], random: () => number): void {
  for (const item of candidates) {
    item.loadBalanceKey = item.weight > 0 ? -Math.log(1 - random()) / item.weight : Infinity;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Ordering

function orderByModel(groups: readonly ModelGroup[], context: RequestContext, steps: PlanStep[] | undefined): Candidate[] {
  const result: Candidate[] = [];
  const planned = new Set<string>();
  const modelsTaken = new Set<string>();
  let stickyDone = false;
  for (const group of groups) {
    const candidates = group.candidates;
    if (candidates.length === 0) continue;
    if (group.ordering.kind === 'load-balance') assignLoadBalanceKeys(candidates, context.random);
    candidates.sort(comparatorFor(group.ordering));
    if (!stickyDone && result.length === 0) {
      stickyDone = true;
      applySticky(candidates, group, context);
    }
    for (const item of candidates) keep(item, result, planned, modelsTaken, context, steps);
  }
  return result;
}

/** `sort.partition: "none"`: every model's endpoints in one sorted list (an explicit sort is always present). */
function orderGlobally(groups: readonly ModelGroup[], context: RequestContext, steps: PlanStep[] | undefined): Candidate[] {
  const all: Candidate[] = [];
  for (const group of groups) for (const item of group.candidates) all.push(item);
  const ordering: Ordering = context.order ? { kind: 'ordered', by: context.explicitSort } : { kind: 'sorted', by: context.explicitSort ?? 'price' };
  all.sort(comparatorFor(ordering));
  const result: Candidate[] = [];
  const planned = new Set<string>();
  const modelsTaken = new Set<string>();
  for (const item of all) keep(item, result, planned, modelsTaken, context, steps);
  return result;
}

/**
 * Appends a sorted candidate unless it is already planned (a model requested twice, e.g. "x" and "x:nitro") or
 * `allow_fallbacks: false` without `order` already chose a provider for its model.
 */
function keep(item: Candidate, result: Candidate[], planned: Set<string>, modelsTaken: Set<string>, context: RequestContext, steps: PlanStep[] | undefined): void {
  const id = item.entry.endpoint.id;
  if (planned.has(id)) {
    steps?.push({ endpointId: id, kept: false, reason: 'duplicate: already planned for another requested model' });
    return;
  }
  const modelId = item.entry.model.id;
  if (!context.allowFallbacks && !context.order && modelsTaken.has(modelId)) {
    steps?.push({ endpointId: id, kept: false, reason: 'allow_fallbacks: false, only the first chosen provider of the model is used' });
    return;
  }
  planned.add(id);
  modelsTaken.add(modelId);
  result.push(item);
}

/**
 * An endpoint where a conversation gains from coming back to the same provider without a session id: it caches
 * prompts (the cache is the provider's), or it reasons (its signed reasoning, replayed in the next turn, is refused
 * by any other provider).
 */
function keepsConversations(entry: IndexedEndpoint): boolean {
  return entry.cachesPrompts || entry.supportedParameters.has('reasoning');
}

/**
 * Sticky routing for prompt caching (reference §3.8): with a session key and no order/sort, the first attempt is
 * the rendezvous pick among the leading bucket (same BYOK class, healthy, same preference standing), so the same
 * key lands on the same endpoint on every replica until that endpoint turns unhealthy or is filtered out. A key
 * derived from the conversation applies only when a leading endpoint caches prompts or reasons, or the conversation
 * already carries signed reasoning (stickiness buys nothing otherwise, and load balancing stays random); explicit
 * keys (session_id, x-session-id, prompt_cache_key) always.
 */
function applySticky(sorted: Candidate[], group: ModelGroup, context: RequestContext): void {
  if (group.ordering.kind !== 'load-balance') return;
  const leader = sorted[0];
  if (leader.healthTier !== HEALTHY) return;
  let end = 1;
  let keeps = keepsConversations(leader.entry);
  while (end < sorted.length && sorted[end].rank === leader.rank) {
    if (keepsConversations(sorted[end].entry)) keeps = true;
    end++;
  }
  const sessionKey: SessionKey | undefined = resolveSessionKey(context.request, context.headerSessionKey);
  if (!sessionKey || (sessionKey.source === 'conversation' && !keeps && !carriesSignedReasoning(context.request.messages))) return;
  const bucket = end === sorted.length ? sorted : sorted.slice(0, end);
  const pick = rendezvousPick(
    sessionKey.key,
    bucket,
    (item) => item.entry.endpoint.id,
    (item) => item.weight,
  );
  if (!pick) return;
  pick.sticky = true;
  pick.stickySource = sessionKey.source;
  const position = sorted.indexOf(pick);
  for (let index = position; index > 0; index--) sorted[index] = sorted[index - 1];
  sorted[0] = pick;
}

function attemptReason(item: Candidate, context: RequestContext): string {
  const parts: string[] = [];
  if (item.isByok) parts.push('byok');
  const ordering = item.group.ordering;
  if (item.sticky) {
    parts.push(`sticky (${item.stickySource ?? 'session'})`);
  } else if (ordering.kind === 'ordered') {
    if (item.orderPosition !== Infinity) parts.push(`order #${item.orderPosition + 1}`);
    else parts.push(ordering.by ? `after ordered providers, by ${ordering.by}` : 'after ordered providers, by price');
  } else if (ordering.kind === 'sorted') {
    parts.push(`sort by ${ordering.by}`);
  } else {
    parts.push(item.entry.isFree ? 'load-balance (free)' : 'load-balance (weighted by 1/price²)');
  }
  if (context.requestedTier && item.inPreferredTier) parts.push(`service tier ${context.requestedTier}`);
  if (item.healthNote) parts.push(item.healthNote);
  if (item.preferenceNote) parts.push(`${item.preferenceNote}: moved after endpoints that meet it`);
  const resolved = item.group.resolved;
  if (resolved.viaRouter) parts.push(`${resolved.viaRouter} picked ${resolved.model.id}${item.group.index > 0 ? ' (a fallback)' : ''}`);
  else if (item.group.index > 0) parts.push(`fallback model ${resolved.requestedId}`);
  return parts.join('; ');
}

// ---------------------------------------------------------------------------------------------------------------
// Errors (reference §9.5)

function quoteList(names: readonly string[]): string {
  return names.join(', ');
}

function modelNotFound(requestedModels: readonly string[]): PlanError {
  const message =
    requestedModels.length === 1
      ? `${requestedModels[0]} is not a valid model ID`
      : `None of the requested models exist: ${quoteList(requestedModels)} are not valid model IDs`;
  return { status: 400, code: 'model_not_found', message, excludedBy: [], requestedModels: [...requestedModels] };
}

interface Failure {
  code: 'no_endpoints' | 'privacy_restricted' | 'constraint_filtered' | 'free_variant_ended';
  message: string;
  constraint?: PlanError['constraint'];
}

const USEFULNESS: Readonly<Record<Failure['code'], number>> = {
  constraint_filtered: 3,
  privacy_restricted: 3,
  free_variant_ended: 2,
  no_endpoints: 1,
};

function availabilityError(groups: readonly ModelGroup[], context: RequestContext, requestedModels: readonly string[], unresolved: readonly string[]): PlanError {
  let best: Failure | undefined;
  let mask = 0;
  for (const group of groups) {
    mask |= group.droppedMask;
    const failure = describeFailure(group, context);
    if (!best || USEFULNESS[failure.code] > USEFULNESS[best.code]) best = failure;
  }
  const chosen = best as Failure;
  const excludedBy: string[] = [];
  for (let stage = 0; stage < EXCLUDED_BY.length; stage++) {
    const label = EXCLUDED_BY[stage];
    if (label && mask & (1 << stage) && !excludedBy.includes(label)) excludedBy.push(label);
  }
  let message = chosen.message;
  if (groups.length > 1) message += ` (models tried: ${quoteList(groups.map((group) => group.resolved.requestedId))})`;
  if (unresolved.length > 0) message += ` (not valid model IDs: ${quoteList(unresolved)})`;
  const error: PlanError = { status: 404, code: chosen.code, message, excludedBy, requestedModels: [...requestedModels] };
  if (chosen.constraint) error.constraint = chosen.constraint;
  return error;
}

function describeFailure(group: ModelGroup, context: RequestContext): Failure {
  const model = group.resolved.model.id;
  const requested = group.resolved.requestedId;
  if (group.freeVariantEnded) {
    return { code: 'free_variant_ended', message: `The free variant of ${model} has ended. Use ${model} (paid) instead.` };
  }
  const stage = group.lastStage;
  if (stage === STAGE_TRAINING || stage === STAGE_RETENTION || stage === STAGE_ZDR) return privacyFailure(group.droppedMask, context);
  if (stage < STAGE_TRAINING) return { code: 'no_endpoints', message: `No endpoints found for ${requested}.` };
  const { account } = context;
  const preferences = context.request.provider ?? undefined;
  switch (stage) {
    case STAGE_ACCOUNT_ALLOWED: {
      const detail = `allowed providers: ${quoteList(account.allowedProviders ?? [])}`;
      return constraint(`No endpoints found for ${requested} among your account's allowed providers (${quoteList(account.allowedProviders ?? [])}). Change the list in your account settings.`, 'account.allowed_providers', detail);
    }
    case STAGE_ONLY: {
      const names = quoteList(preferences?.only ?? []);
      const ceiling = account.allowedProviders && account.allowedProviders.length > 0 ? ` within your account's allowed providers (${quoteList(account.allowedProviders)})` : '';
      return constraint(`No endpoints found for ${requested} matching provider.only (${names})${ceiling}.`, 'provider.only', `only: ${names}`);
    }
    case STAGE_IGNORE: {
      const names = quoteList([...(account.ignoredProviders ?? []), ...(preferences?.ignore ?? [])]);
      return constraint(`All endpoints for ${requested} are ignored (provider.ignore and your account's ignored providers: ${names}).`, 'provider.ignore', `ignored: ${names}`);
    }
    case STAGE_QUANTIZATION: {
      const names = quoteList(preferences?.quantizations ?? []);
      return constraint(`No endpoints found for ${requested} with the requested quantizations (${names}).`, 'provider.quantizations', `quantizations: ${names}`);
    }
    case STAGE_MODALITY: {
      const accepts = quoteList(group.resolved.model.inputModalities);
      return constraint(`No endpoints found for ${requested} that support ${group.missingModality} input (it takes ${accepts}). Choose a model that does, or send ${requested} text only.`, 'messages', `${model} input: ${accepts}`);
    }
    case STAGE_REQUIRE_PARAMETERS: {
      const reaching = entriesReaching(group, context, STAGE_REQUIRE_PARAMETERS);
      const required = requiredParameters(group, context);
      const missing = required.filter((name) => !reaching.some((entry) => entry.supportedParameters.has(name)));
      const detail = missing.length > 0 ? `no endpoint supports: ${quoteList(missing)}` : `no endpoint supports all of: ${quoteList(required)}`;
      if (!context.requireParameters) {
        const which = group.resolved.viaRouter === AUTO_ROUTER_ID ? 'No model the auto router may pick' : 'No free model';
        return constraint(`${which} supports all the request's parameters (${detail}).`, 'model', detail);
      }
      return constraint(`No endpoints found for ${requested} that support all the request's parameters (${detail}). Remove them or set provider.require_parameters to false.`, 'provider.require_parameters', detail);
    }
    case STAGE_MAX_PRICE: {
      const maxPrice = preferences?.max_price ?? {};
      const limits: string[] = [];
      if (maxPrice.prompt !== undefined) limits.push(`prompt ≤ $${maxPrice.prompt}/M tokens`);
      if (maxPrice.completion !== undefined) limits.push(`completion ≤ $${maxPrice.completion}/M tokens`);
      if (maxPrice.request !== undefined) limits.push(`request ≤ $${maxPrice.request}`);
      if (maxPrice.image !== undefined) limits.push(`image ≤ $${maxPrice.image}`);
      const detail = quoteList(limits);
      return constraint(`No endpoints found for ${requested} within provider.max_price (${detail}). Raise or remove max_price.`, 'provider.max_price', detail);
    }
    case STAGE_CONTEXT_LENGTH: {
      const reaching = entriesReaching(group, context, STAGE_CONTEXT_LENGTH);
      let largest = 0;
      for (const entry of reaching) largest = Math.max(largest, entry.endpoint.contextLength);
      const wanted = context.maxTokens !== undefined ? `about ${context.promptTokens} prompt tokens + max_tokens ${context.maxTokens}` : `about ${context.promptTokens} prompt tokens`;
      const detail = `${wanted} exceed the largest context length (${largest})`;
      return constraint(`No endpoints found for ${requested} that fit the request: ${detail}. Shorten the prompt, lower max_tokens, or enable context compression (transforms: ["middle-out"]).`, 'context_length', detail, largest);
    }
    case STAGE_MAX_TOKENS: {
      const reaching = entriesReaching(group, context, STAGE_MAX_TOKENS);
      let largest = 0;
      for (const entry of reaching) largest = Math.max(largest, entry.endpoint.maxCompletionTokens ?? 0);
      const detail = `max_tokens ${context.maxTokens} exceeds the largest max completion tokens (${largest})`;
      return constraint(`No endpoints found for ${requested} that support the requested output length: ${detail}.`, 'max_tokens', detail);
    }
    default: {
      const names = quoteList(preferences?.order ?? []);
      return constraint(
        `No endpoints found for ${requested} among provider.order (${names}) and provider.allow_fallbacks is false.`,
        'provider.order',
        `allow_fallbacks=false, order: ${names}`,
      );
    }
  }
}

function constraint(message: string, field: string, detail: string, limit?: number): Failure {
  return { code: 'constraint_filtered', message, constraint: limit === undefined ? { field, detail } : { field, detail, limit } };
}

/** Endpoints that passed every stage before `stage` (error path only). */
function entriesReaching(group: ModelGroup, context: RequestContext, stage: number): IndexedEndpoint[] {
  const result: IndexedEndpoint[] = [];
  for (const entry of group.entries) {
    const failed = firstFailingStage(entry, group, context);
    if (failed === PASSED || failed >= stage) result.push(entry);
  }
  return result;
}

function privacyFailure(mask: number, context: RequestContext): Failure {
  const { account } = context;
  const parts: string[] = [];
  let fromAccount = false;
  const requestFields: string[] = [];
  const addRequestField = (field: string): void => {
    if (!requestFields.includes(field)) requestFields.push(field);
  };
  if (mask & (1 << STAGE_TRAINING)) {
    const sources: string[] = [];
    if (!account.allowTraining) {
      sources.push('your account does not allow providers that train on prompts');
      fromAccount = true;
    }
    if (context.dataCollectionDeny) {
      sources.push('request data_collection=deny');
      addRequestField('provider.data_collection');
    }
    parts.push(`training: ${sources.join('; ')}`);
  }
  if (mask & (1 << STAGE_RETENTION)) {
    const sources: string[] = [];
    if (!account.allowRetention) {
      sources.push('your account does not allow providers that retain prompts');
      fromAccount = true;
    }
    if (context.dataCollectionDeny) {
      sources.push('request data_collection=deny');
      addRequestField('provider.data_collection');
    }
    parts.push(`retention: ${sources.join('; ')}`);
  }
  if (mask & (1 << STAGE_ZDR)) {
    const sources: string[] = [];
    if (account.requireZdr) {
      sources.push('your account requires zero data retention');
      fromAccount = true;
    }
    if (context.requestZdr) {
      sources.push('request zdr=true');
      addRequestField('provider.zdr');
    }
    parts.push(`zdr: ${sources.join('; ')}`);
  }
  const where: string[] = [];
  if (fromAccount) where.push('your account privacy settings');
  if (requestFields.length > 0) where.push(`the request's ${requestFields.join(' and ')}`);
  const detail = parts.join('; ');
  return {
    code: 'privacy_restricted',
    message: `No endpoints found matching your data policy (${detail}). Change it in ${where.join(' or ')}`,
    constraint: { field: requestFields[0] ?? 'account.data_policy', detail },
  };
}

function dropDetail(stage: number, entry: IndexedEndpoint, group: ModelGroup, context: RequestContext): string {
  const endpoint = entry.endpoint;
  switch (stage) {
    case STAGE_VARIANT:
      return `endpoint variant ${endpoint.variant}, requested ${group.resolved.variant}`;
    case STAGE_SERVICE_TIER:
      return `${endpoint.serviceTier} tier not requested (use :nitro/:floor, service_tier, or name ${endpoint.tag} in order/only)`;
    case STAGE_TRAINING:
      return `${entry.provider.name} may train on prompts`;
    case STAGE_RETENTION:
      return `${entry.provider.name} retains prompts`;
    case STAGE_ZDR:
      return `${entry.provider.name} does not offer zero data retention`;
    case STAGE_ACCOUNT_ALLOWED:
      return `${endpoint.tag} is not among the account's allowed providers`;
    case STAGE_ONLY:
      return `${endpoint.tag} is not in provider.only`;
    case STAGE_IGNORE:
      return `${endpoint.tag} is ignored`;
    case STAGE_QUANTIZATION:
      return `quantization ${endpoint.quantization ?? 'unknown'} not requested`;
    case STAGE_REQUIRE_PARAMETERS:
      return `does not support ${requiredParameters(group, context).filter((name) => !entry.supportedParameters.has(name)).join(', ')}`;
    case STAGE_MAX_PRICE:
      return `prices above provider.max_price`;
    case STAGE_MODALITY:
      return `${entry.model.id} does not take ${group.missingModality} input`;
    case STAGE_CONTEXT_LENGTH:
      return `context length ${endpoint.contextLength} < ${context.promptTokens} prompt tokens + ${context.maxTokens ?? 0} max_tokens`;
    case STAGE_MAX_TOKENS:
      return `max completion tokens ${endpoint.maxCompletionTokens} < max_tokens ${context.maxTokens}`;
    default:
      return `${endpoint.tag} is not in provider.order`;
  }
}
