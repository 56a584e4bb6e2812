import { BadRequestError, NotFoundError } from '@switchyard/contracts';
import { modelAllowed } from '../admission/model-allowlist.js';
import { type CatalogEndpoint, type CatalogModel, type CatalogProvider, catalogModelSchema, type EndpointVariant, type RoutingTable } from '@switchyard/llm-spec';
import { Decimal, perMillionToPerToken, toDecimal } from '@switchyard/money';
import { type AccountPolicy, AUTO_ROUTER_ID, type CatalogIndex, FREE_ROUTER_ID, isAutoRouter, isFreeRouter } from '@switchyard/routing-policy';
import {
  type OpenRouterModel,
  type OpenRouterPublicEndpoint,
  effectivePrices,
  listedId,
  pricingEndpoint,
  renderArchitecture,
  renderModel,
  renderPublicEndpoint,
} from './openrouter-model.renderer.js';

/**
 * The public catalogue endpoints (reference §6): `GET /models`, `/models/count`, `/models/user`,
 * `/models/{author}/{slug}/endpoints`, `/model/{author}/{slug}` and `/providers`, as pure functions of ingress's
 * in-memory CatalogIndex (and RoutingTable). Rendered entries are built once per catalog version and shared:
 * treat the returned objects as read-only.
 */

/** Raw query string values as Fastify hands them over (a repeated key becomes an array). */
export type ModelsQuery = Record<string, string | string[] | undefined>;

export interface ModelListResponse {
  data: OpenRouterModel[];
  total_count: number;
  links: { next: string | null };
}

export interface ListingOptions {
  /** Health data for the throughput and latency sorts. */
  routingTable?: RoutingTable;
  /** Epoch ms, for `min_age_days` / `max_age_days` (default Date.now()). */
  now?: number;
  /** Path used to build `links.next` (default "/api/v1/models"). */
  basePath?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Listing entries, built once per catalog version

interface ListingEntry {
  id: string;
  model: CatalogModel;
  variant: EndpointVariant;
  alias?: string;
  endpoints: readonly CatalogEndpoint[];
  rendered: OpenRouterModel;
  /** Effective prices per token of the endpoint the entry is priced from. */
  prompt: Decimal;
  completion: Decimal;
  /** A router priced as the model it picks (listed at -1): no price filter matches it, price sorts put it last. */
  variablePricing: boolean;
}

function buildEntry(model: CatalogModel, variant: EndpointVariant, endpoints: readonly CatalogEndpoint[], index: CatalogIndex, alias?: string, variablePricing = false): ListingEntry {
  const prices = effectivePrices(pricingEndpoint(endpoints));
  const rendered = renderModel(model, endpoints, index, { variant, alias, variablePricing });
  return { id: rendered.id, model, variant, alias, endpoints, rendered, prompt: prices.prompt, completion: prices.completion, variablePricing };
}

const entriesCache = new WeakMap<CatalogIndex, readonly ListingEntry[]>();
const VARIANTS: readonly EndpointVariant[] = ['standard', 'free', 'extended', 'thinking'];

/**
 * What `/models` lists: one entry per active model and static variant that has active endpoints (`x`, `x:free`,
 * `x:extended`, `x:thinking`, as OpenRouter lists variants as separate ids), plus one entry per `~…-latest` alias
 * whose target has standard endpoints.
 */
function listingEntries(index: CatalogIndex): readonly ListingEntry[] {
  let entries = entriesCache.get(index);
  if (entries) return entries;
  const built: ListingEntry[] = [];
  for (const model of index.snapshot.models) {
    if (index.model(model.id) !== model) continue;
    const all = index.endpointsOf(model.id);
    for (const variant of VARIANTS) {
      const endpoints = all.filter((endpoint) => endpoint.variant === variant);
      if (endpoints.length === 0) continue;
      built.push(buildEntry(model, variant, endpoints, index));
    }
  }
  for (const alias of Object.keys(index.snapshot.aliases ?? {}).sort()) {
    const resolved = index.resolveModel(alias);
    if (!resolved || resolved.variant !== 'standard') continue;
    const endpoints = index.endpointsOf(resolved.model.id).filter((endpoint) => endpoint.variant === 'standard');
    if (endpoints.length === 0) continue;
    built.push(buildEntry(resolved.model, 'standard', endpoints, index, alias));
  }
  for (const router of [autoRouterModel(index), freeRouterModel(index)]) if (router) built.push(buildEntry(router.model, 'standard', router.endpoints, index, undefined, router.variablePricing));
  entries = Object.freeze(built);
  entriesCache.set(index, entries);
  return entries;
}

/** A router (`openrouter/free`, `openrouter/auto`) as a listed model: its entry and the endpoints it picks among. */
interface RouterListing {
  model: CatalogModel;
  endpoints: CatalogEndpoint[];
  /** `-1` prices where the router's price is that of the model it picks (OpenRouter lists openrouter/auto so). */
  variablePricing: boolean;
}

/** A router's model entry: what it can take and serve is the union of the models it picks among. */
function routerListing(id: string, name: string, description: string, models: readonly CatalogModel[], endpoints: CatalogEndpoint[], variablePricing: boolean): RouterListing | undefined {
  if (endpoints.length === 0) return undefined;
  const model = catalogModelSchema.parse({
    id,
    canonicalSlug: id,
    name,
    description,
    created: Math.max(...models.map((entry) => entry.created)),
    contextLength: Math.max(...endpoints.map((endpoint) => endpoint.contextLength)),
    inputModalities: [...new Set(models.flatMap((entry) => entry.inputModalities))],
    tokenizer: 'Router',
  });
  return { model, endpoints, variablePricing };
}

/**
 * `openrouter/free` as OpenRouter lists it (the "Free Models Router"): a model whose endpoints are the free endpoints
 * it picks among, so clients that offer the models of `/models` can offer it, and filters by parameters or
 * modalities see what it can serve. Undefined when the catalog has no free model.
 */
function freeRouterModel(index: CatalogIndex): RouterListing | undefined {
  const models = index.freeModelIds.map((id) => index.model(id)).filter((model): model is CatalogModel => model !== undefined);
  const endpoints = models.flatMap((model) => index.endpointsOf(model.id).filter((endpoint) => endpoint.variant === 'free'));
  const description = "Picks a free model at random among those that support the request (tools, structured outputs, images), the others as its fallbacks; the response's model names the one that served.";
  return routerListing(FREE_ROUTER_ID, 'Free Models Router', description, models, endpoints, false);
}

/**
 * `openrouter/auto` (the "Auto Router"): the chat models it picks among and their paid standard endpoints; priced
 * `-1` as OpenRouter lists it, since a request costs what the model picked for it costs.
 */
function autoRouterModel(index: CatalogIndex): RouterListing | undefined {
  const models = index.autoRouterCandidates.map((candidate) => index.model(candidate.modelId)).filter((model): model is CatalogModel => model !== undefined);
  const endpoints = models.flatMap((model) => index.endpointsOf(model.id).filter((endpoint) => endpoint.variant === 'standard' && endpoint.serviceTier === 'default'));
  const description =
    "Picks a model for the prompt: a cheap one for a simple question, a more capable one for long, technical or multi-step work (the auto-router plugin's allowed_models, excluded_models and cost_quality_tradeoff steer it); you pay the picked model's price, and the response's model names it.";
  return routerListing(AUTO_ROUTER_ID, 'Auto Router', description, models, endpoints, true);
}

const isRouterId = (id: string): boolean => isFreeRouter(id) || isAutoRouter(id);

/** The router a model id names, if any. */
function routerNamed(index: CatalogIndex, requestedId: string): RouterListing | 'none' | undefined {
  if (isFreeRouter(requestedId)) return freeRouterModel(index) ?? 'none';
  if (isAutoRouter(requestedId)) return autoRouterModel(index) ?? 'none';
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Query parameters (reference §6.1)

type Sort = 'default' | 'newest' | 'pricing-low-to-high' | 'pricing-high-to-low' | 'context-high-to-low' | 'throughput-high-to-low' | 'latency-low-to-high';

/** Sorts OpenRouter accepts; those we have no data for (popularity, benchmarks) keep the default order. */
const SORTS: Record<string, Sort> = {
  newest: 'newest',
  'pricing-low-to-high': 'pricing-low-to-high',
  'pricing-high-to-low': 'pricing-high-to-low',
  'context-high-to-low': 'context-high-to-low',
  'throughput-high-to-low': 'throughput-high-to-low',
  'latency-low-to-high': 'latency-low-to-high',
  'most-popular': 'default',
  'top-weekly': 'default',
  'intelligence-high-to-low': 'default',
  'coding-high-to-low': 'default',
  'agentic-high-to-low': 'default',
  'design-arena-elo-high-to-low': 'default',
};

const CATEGORIES = new Set(['programming', 'roleplay', 'marketing', 'marketing/seo', 'technology', 'science', 'translation', 'legal', 'finance', 'health', 'trivia', 'academia']);
const EU_COUNTRIES = new Set(['EU', 'AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV', 'LT', 'LU', 'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE']);
/** Accepted and validated, but not applied: the catalog has no benchmark or distillation data. */
const IGNORED_NUMERIC = ['min_intelligence_index', 'max_intelligence_index', 'min_coding_index', 'max_coding_index', 'min_agentic_index', 'max_agentic_index', 'min_tool_success_rate', 'max_tool_success_rate'];
const MAX_LIMIT = 1000;

interface ParsedQuery {
  supportedParameters?: string[];
  inputModalities?: string[];
  /** undefined = every output modality ("all"). */
  outputModalities?: string[];
  terms?: string[];
  minContext?: number;
  minPrompt?: Decimal;
  maxPrompt?: Decimal;
  minCompletion?: Decimal;
  maxCompletion?: Decimal;
  providers?: Set<string>;
  authors?: Set<string>;
  tokenizers?: Set<string>;
  zdr: boolean;
  region?: 'eu' | 'us';
  minAgeDays?: number;
  maxAgeDays?: number;
  sort: Sort;
  offset?: number;
  limit?: number;
  /** Normalised parameters kept for `links.next`. */
  echo: Array<[string, string]>;
}

function single(query: ModelsQuery, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value.join(',') : value;
  return text.trim();
}

function list(query: ModelsQuery, name: string, lower = true): string[] | undefined {
  const text = single(query, name);
  if (text === undefined || text === '') return undefined;
  const items = text
    .split(',')
    .map((item) => (lower ? item.trim().toLowerCase() : item.trim()))
    .filter(Boolean);
  return items.length > 0 ? items : undefined;
}

function invalid(name: string, detail: string): never {
  throw new BadRequestError(`Invalid query parameter "${name}": ${detail}`, { param: name });
}

function integer(query: ModelsQuery, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const text = single(query, name);
  if (text === undefined || text === '') return undefined;
  if (!/^\d+$/.test(text)) invalid(name, `expected a whole number, got "${text}"`);
  const value = Number(text);
  if (value < min || value > max) invalid(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function nonNegativeNumber(query: ModelsQuery, name: string): number | undefined {
  const text = single(query, name);
  if (text === undefined || text === '') return undefined;
  if (!/^\d+(\.\d+)?$/.test(text)) invalid(name, `expected a non-negative number, got "${text}"`);
  return Number(text);
}

/** USD per million tokens → exact USD per token. */
function pricePerMillion(query: ModelsQuery, name: string): Decimal | undefined {
  const text = single(query, name);
  if (text === undefined || text === '') return undefined;
  if (!/^\d+(\.\d+)?$/.test(text)) invalid(name, `expected a price in USD per million tokens such as "0.5", got "${text}"`);
  return perMillionToPerToken(toDecimal(text));
}

function boolean(query: ModelsQuery, name: string): boolean | undefined {
  const text = single(query, name)?.toLowerCase();
  if (text === undefined || text === '') return undefined;
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  invalid(name, `expected true or false, got "${text}"`);
}

function parseQuery(query: ModelsQuery): ParsedQuery {
  const echo: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || name === 'offset' || name === 'limit') continue;
    echo.push([name, Array.isArray(value) ? value.join(',') : value]);
  }

  const sortText = single(query, 'sort')?.toLowerCase();
  let sort: Sort = 'default';
  if (sortText) {
    const mapped = SORTS[sortText];
    if (!mapped) invalid('sort', `expected one of ${Object.keys(SORTS).join(', ')}, got "${sortText}"`);
    sort = mapped;
  }
  const category = single(query, 'category')?.toLowerCase();
  if (category && !CATEGORIES.has(category)) invalid('category', `expected one of ${[...CATEGORIES].join(', ')}`);
  const regionText = single(query, 'region')?.toLowerCase();
  if (regionText && regionText !== 'eu' && regionText !== 'us') invalid('region', 'expected "eu" or "us"');
  boolean(query, 'distillable');
  for (const name of IGNORED_NUMERIC) nonNegativeNumber(query, name);

  const outputs = list(query, 'output_modalities');
  const parsed: ParsedQuery = {
    supportedParameters: list(query, 'supported_parameters'),
    inputModalities: list(query, 'input_modalities'),
    outputModalities: outputs === undefined ? ['text'] : outputs.includes('all') ? undefined : outputs,
    terms: single(query, 'q')?.toLowerCase().split(/\s+/).filter(Boolean),
    minContext: integer(query, 'context', 0),
    minPrompt: pricePerMillion(query, 'min_price'),
    maxPrompt: pricePerMillion(query, 'max_price'),
    minCompletion: pricePerMillion(query, 'min_output_price'),
    maxCompletion: pricePerMillion(query, 'max_output_price'),
    providers: toSet(list(query, 'providers')),
    authors: toSet(list(query, 'model_authors')),
    tokenizers: toSet(list(query, 'arch')),
    zdr: boolean(query, 'zdr') === true,
    region: regionText ? (regionText as 'eu' | 'us') : undefined,
    minAgeDays: nonNegativeNumber(query, 'min_age_days'),
    maxAgeDays: nonNegativeNumber(query, 'max_age_days'),
    sort,
    offset: integer(query, 'offset', 0),
    limit: integer(query, 'limit', 1, MAX_LIMIT),
    echo,
  };
  if (parsed.terms?.length === 0) parsed.terms = undefined;
  if (parsed.minPrompt && parsed.maxPrompt && parsed.minPrompt.gt(parsed.maxPrompt)) invalid('min_price', 'is greater than max_price');
  if (parsed.minCompletion && parsed.maxCompletion && parsed.minCompletion.gt(parsed.maxCompletion)) invalid('min_output_price', 'is greater than max_output_price');
  return parsed;
}

function toSet(values: string[] | undefined): Set<string> | undefined {
  return values ? new Set(values) : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Filtering and sorting

interface Candidate {
  entry: ListingEntry;
  rendered: OpenRouterModel;
  endpoints: readonly CatalogEndpoint[];
  prompt: Decimal;
  completion: Decimal;
}

function candidate(listed: ListingEntry): Candidate {
  return { entry: listed, endpoints: listed.endpoints, rendered: listed.rendered, prompt: listed.prompt, completion: listed.completion };
}

function providerMatches(endpoint: CatalogEndpoint, provider: CatalogProvider | undefined, names: ReadonlySet<string>): boolean {
  const slug = endpoint.providerSlug.toLowerCase();
  const tag = endpoint.tag.toLowerCase();
  const name = provider?.name.toLowerCase();
  return names.has(slug) || names.has(tag) || (name !== undefined && names.has(name));
}

function matches(item: Candidate, query: ParsedQuery, index: CatalogIndex, now: number): boolean {
  const model = item.rendered;
  if (query.supportedParameters && !query.supportedParameters.every((name) => model.supported_parameters.includes(name))) return false;
  if (query.inputModalities && !query.inputModalities.every((name) => model.architecture.input_modalities.includes(name))) return false;
  if (query.outputModalities && !query.outputModalities.some((name) => model.architecture.output_modalities.includes(name))) return false;
  if (query.terms) {
    const haystack = `${model.id}\n${model.name}\n${model.description}`.toLowerCase();
    if (!query.terms.every((term) => haystack.includes(term))) return false;
  }
  if (query.minContext !== undefined && (model.context_length ?? 0) < query.minContext) return false;
  if (item.entry.variablePricing && (query.minPrompt || query.maxPrompt || query.minCompletion || query.maxCompletion)) return false;
  if (query.minPrompt && item.prompt.lt(query.minPrompt)) return false;
  if (query.maxPrompt && item.prompt.gt(query.maxPrompt)) return false;
  if (query.minCompletion && item.completion.lt(query.minCompletion)) return false;
  if (query.maxCompletion && item.completion.gt(query.maxCompletion)) return false;
  if (query.authors && !query.authors.has(authorOf(model.id))) return false;
  if (query.tokenizers && !query.tokenizers.has(model.architecture.tokenizer.toLowerCase())) return false;
  if (query.providers && !item.endpoints.some((endpoint) => providerMatches(endpoint, index.provider(endpoint.providerSlug), query.providers!))) return false;
  if (query.zdr && !item.endpoints.some((endpoint) => index.provider(endpoint.providerSlug)?.dataPolicy.zdr === true)) return false;
  if (query.region && !item.endpoints.some((endpoint) => servesRegion(index.provider(endpoint.providerSlug), query.region!))) return false;
  if (query.minAgeDays !== undefined || query.maxAgeDays !== undefined) {
    const ageDays = (now - model.created * 1000) / 86_400_000;
    if (query.minAgeDays !== undefined && ageDays < query.minAgeDays) return false;
    if (query.maxAgeDays !== undefined && ageDays > query.maxAgeDays) return false;
  }
  return true;
}

/** "openai/gpt-4o" → "openai"; "~anthropic/claude-opus-latest" → "anthropic". */
function authorOf(id: string): string {
  return id.replace(/^~/, '').split('/')[0]!.toLowerCase();
}

function servesRegion(provider: CatalogProvider | undefined, region: 'eu' | 'us'): boolean {
  const datacenters = provider?.datacenters ?? [];
  return datacenters.some((code) => (region === 'us' ? code.toUpperCase() === 'US' : EU_COUNTRIES.has(code.toUpperCase())));
}

function byDefault(left: Candidate, right: Candidate): number {
  return right.rendered.created - left.rendered.created || compareIds(left.rendered.id, right.rendered.id);
}

/** Entries with a price of their own before a router's variable one. */
function variableLast(left: Candidate, right: Candidate): number {
  return Number(left.entry.variablePricing) - Number(right.entry.variablePricing);
}

function compareIds(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Best (highest) throughput p50 or best (lowest) latency p50 over the entry's endpoints; undefined when unknown. */
function healthFigure(item: Candidate, table: RoutingTable | undefined, kind: 'throughput' | 'latency'): number | undefined {
  if (!table) return undefined;
  let best: number | undefined;
  for (const endpoint of item.endpoints) {
    const health = table.endpoints[endpoint.id];
    const value = kind === 'throughput' ? health?.throughput30m?.p50 : health?.latency30m?.p50;
    if (value === undefined || value === null) continue;
    if (best === undefined || (kind === 'throughput' ? value > best : value < best)) best = value;
  }
  return best;
}

function sortCandidates(items: Candidate[], sort: Sort, table: RoutingTable | undefined): Candidate[] {
  switch (sort) {
    case 'pricing-low-to-high':
      return items.sort((a, b) => variableLast(a, b) || a.prompt.comparedTo(b.prompt) || a.completion.comparedTo(b.completion) || compareIds(a.rendered.id, b.rendered.id));
    case 'pricing-high-to-low':
      return items.sort((a, b) => variableLast(a, b) || b.prompt.comparedTo(a.prompt) || b.completion.comparedTo(a.completion) || compareIds(a.rendered.id, b.rendered.id));
    case 'context-high-to-low':
      return items.sort((a, b) => (b.rendered.context_length ?? 0) - (a.rendered.context_length ?? 0) || compareIds(a.rendered.id, b.rendered.id));
    case 'throughput-high-to-low':
    case 'latency-low-to-high': {
      const kind = sort === 'throughput-high-to-low' ? 'throughput' : 'latency';
      const figures = new Map(items.map((item) => [item, healthFigure(item, table, kind)]));
      return items.sort((a, b) => {
        const x = figures.get(a);
        const y = figures.get(b);
        if (x === undefined || y === undefined) return (x === undefined ? 1 : 0) - (y === undefined ? 1 : 0) || byDefault(a, b);
        return (kind === 'throughput' ? y - x : x - y) || byDefault(a, b);
      });
    }
    default:
      // newest first (OpenRouter's default order); popularity and benchmark sorts have no data here
      return items.sort(byDefault);
  }
}

function paginate(items: Candidate[], query: ParsedQuery, basePath: string): ModelListResponse {
  const total = items.length;
  if (query.offset === undefined && query.limit === undefined) return { data: items.map((item) => item.rendered), total_count: total, links: { next: null } };
  const offset = query.offset ?? 0;
  const end = query.limit === undefined ? total : Math.min(total, offset + query.limit);
  const data = items.slice(offset, end).map((item) => item.rendered);
  let next: string | null = null;
  if (query.limit !== undefined && end < total) {
    const parameters = new URLSearchParams(query.echo);
    parameters.set('offset', String(end));
    parameters.set('limit', String(query.limit));
    next = `${basePath}?${parameters.toString()}`;
  }
  return { data, total_count: total, links: { next } };
}

function run(index: CatalogIndex, entries: readonly ListingEntry[], query: ModelsQuery, options: ListingOptions): ModelListResponse {
  const parsed = parseQuery(query);
  const now = options.now ?? Date.now();
  const items: Candidate[] = [];
  for (const listed of entries) {
    const item = candidate(listed);
    if (matches(item, parsed, index, now)) items.push(item);
  }
  return paginate(sortCandidates(items, parsed.sort, options.routingTable), parsed, options.basePath ?? '/api/v1/models');
}

/** Per catalog version, the entries each distinct account policy sees (most accounts share a few policies). */
const userEntriesCache = new WeakMap<CatalogIndex, Map<string, readonly ListingEntry[]>>();
const USER_ENTRIES_CACHE_SIZE = 256;

function policyKey(policy: AccountPolicy): string {
  const names = (values: string[] | undefined) => (values ?? []).map((value) => value.toLowerCase()).sort();
  return JSON.stringify([policy.allowTraining, policy.allowRetention, policy.requireZdr, names(policy.allowedProviders), names(policy.ignoredProviders)]);
}

/** The listing as one account sees it: each entry narrowed to the endpoints it may use, re-priced when narrowed. */
function userEntries(index: CatalogIndex, policy: AccountPolicy): readonly ListingEntry[] {
  let cache = userEntriesCache.get(index);
  if (!cache) userEntriesCache.set(index, (cache = new Map()));
  const key = policyKey(policy);
  const cached = cache.get(key);
  if (cached) return cached;
  const allowed = accountFilter(policy);
  const entries: ListingEntry[] = [];
  for (const listed of listingEntries(index)) {
    const kept = listed.endpoints.filter((endpoint) => allowed(endpoint, index.provider(endpoint.providerSlug)));
    if (kept.length === 0) continue;
    entries.push(kept.length === listed.endpoints.length ? listed : buildEntry(listed.model, listed.variant, kept, index, listed.alias));
  }
  if (cache.size >= USER_ENTRIES_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  const frozen = Object.freeze(entries);
  cache.set(key, frozen);
  return frozen;
}

// ---------------------------------------------------------------------------------------------------------------
// Public functions

/**
 * `GET /api/v1/models`. Filters: supported_parameters (all required), input_modalities (all required),
 * output_modalities (any; default "text", "all" for every model), q (every word, case-insensitive, in id, name
 * or description), context (minimum), min_price/max_price and min_output_price/max_output_price (USD per
 * MILLION tokens, compared exactly with the listed price after discount), providers, model_authors, arch
 * (tokenizer), zdr=true, region=eu|us (a provider with a datacenter there), min_age_days/max_age_days.
 * category, distillable and the benchmark bounds are validated but not applied (no such data). Sorts: newest
 * (also the default), pricing-low-to-high / pricing-high-to-low (prompt price, then completion), context-high-to-low,
 * throughput-high-to-low / latency-low-to-high (with `options.routingTable`); popularity and benchmark sorts keep
 * the default order. offset/limit (limit ≤ 1000) paginate; with neither, the full list. Invalid values: 400
 * naming the parameter.
 */
export function listModels(index: CatalogIndex, query: ModelsQuery = {}, options: ListingOptions = {}): ModelListResponse {
  return run(index, listingEntries(index), query, options);
}

/** `GET /api/v1/models/count`: how many models `listModels` would list with the same filters (output_modalities). */
export function countModels(index: CatalogIndex, query: ModelsQuery = {}, options: ListingOptions = {}): { data: { count: number } } {
  const { offset: _offset, limit: _limit, ...filters } = query;
  return { data: { count: run(index, listingEntries(index), filters, options).total_count } };
}

/**
 * Whether the account may use an endpoint (reference §11.5): no training providers unless allowed, no retaining
 * providers when retention is off, only ZDR providers when required, within the account's allowed providers and
 * outside its ignored ones (slug, display name or tag, case-insensitive; a base name covers its tiers).
 */
export function endpointAllowed(endpoint: CatalogEndpoint, provider: CatalogProvider | undefined, policy: AccountPolicy): boolean {
  return accountFilter(policy)(endpoint, provider);
}

type EndpointFilter = (endpoint: CatalogEndpoint, provider: CatalogProvider | undefined) => boolean;

function accountFilter(policy: AccountPolicy): EndpointFilter {
  const allowed = policy.allowedProviders && policy.allowedProviders.length > 0 ? new Set(policy.allowedProviders.map((name) => name.toLowerCase())) : undefined;
  const ignored = policy.ignoredProviders && policy.ignoredProviders.length > 0 ? new Set(policy.ignoredProviders.map((name) => name.toLowerCase())) : undefined;
  return (endpoint, provider) => {
    if (!provider) return false;
    const data = provider.dataPolicy;
    if (data.training && !policy.allowTraining) return false;
    if (data.retainsPrompts && !policy.allowRetention) return false;
    if (policy.requireZdr && !data.zdr) return false;
    if (allowed && !providerMatches(endpoint, provider, allowed)) return false;
    if (ignored && providerMatches(endpoint, provider, ignored)) return false;
    return true;
  };
}

/**
 * `GET /api/v1/models/user`: the models the account can actually use — each entry keeps only the endpoints its
 * privacy settings and provider lists allow (entries left with none are dropped), and its pricing is that of the
 * cheapest allowed endpoint; with `allowedModels` (the calling key's allowlist) only the models it matches. Accepts the
 * same query parameters as `listModels`.
 */
export function listUserModels(index: CatalogIndex, query: ModelsQuery, accountPolicy: AccountPolicy, options: ListingOptions & { allowedModels?: readonly string[] | null } = {}): ModelListResponse {
  const { allowedModels, ...listing } = options;
  const entries = userEntries(index, accountPolicy);
  // The calling key's model allowlist narrows the list too (what the key can actually use): a router stays when the key
  // may use a model it picks among (it then picks among those only).
  const permitted = allowedModels ? entries.filter((entry) => modelAllowed(allowedModels, entry.model.id) || (isRouterId(entry.model.id) && entry.endpoints.some((endpoint) => modelAllowed(allowedModels, endpoint.modelId)))) : entries;
  return run(index, permitted, query, { basePath: '/api/v1/models/user', ...listing });
}

/**
 * The endpoints a (possibly suffixed or aliased) model id stands for: `x` → standard endpoints (every service
 * tier), `x:free` → free ones, `x:thinking` → thinking endpoints, or a reasoning model's standard ones when it has
 * none (as the planner routes it). Dynamic suffixes (`:nitro`, `:floor`, `:exacto`) only change routing.
 */
function resolveEntry(index: CatalogIndex, requestedId: string): { model: CatalogModel; variant: EndpointVariant; alias?: string; endpoints: CatalogEndpoint[] } {
  const router = routerNamed(index, requestedId);
  if (router === 'none') throw new NotFoundError(`Model "${requestedId}" has no available endpoints: the catalog has no model it can pick`, { model: requestedId });
  if (router) return { model: router.model, variant: 'standard', endpoints: router.endpoints };
  const resolved = index.resolveModel(requestedId);
  if (!resolved) throw new NotFoundError(`Model "${requestedId}" not found`, { model: requestedId });
  const all = index.endpointsOf(resolved.model.id);
  let endpoints = all.filter((endpoint) => endpoint.variant === resolved.variant);
  if (endpoints.length === 0 && resolved.variant === 'thinking' && resolved.model.reasoning) endpoints = all.filter((endpoint) => endpoint.variant === 'standard');
  const alias = resolved.viaAlias && resolved.variant === 'standard' && !resolved.dynamic ? resolved.viaAlias : undefined;
  return { model: resolved.model, variant: resolved.variant, alias, endpoints };
}

/** `GET /api/v1/model/{author}/{slug}` (variants and `~…-latest` aliases accepted): `{ data: model }`. */
export function renderModelDetail(index: CatalogIndex, requestedId: string): { data: OpenRouterModel } {
  const { model, variant, alias, endpoints } = resolveEntry(index, requestedId);
  if (endpoints.length === 0) throw new NotFoundError(`Model "${requestedId}" has no available endpoints`, { model: requestedId });
  const listed = listingEntries(index).find((candidate) => (alias ? candidate.alias === alias : candidate.model.id === model.id && candidate.variant === variant && !candidate.alias));
  return { data: listed && listed.endpoints.length === endpoints.length ? listed.rendered : renderModel(model, endpoints, index, { variant, alias }) };
}

export interface ModelEndpointsResponse {
  data: {
    id: string;
    name: string;
    created: number;
    description: string;
    architecture: ReturnType<typeof renderArchitecture>;
    endpoints: OpenRouterPublicEndpoint[];
  };
}

/**
 * `GET /api/v1/models/{author}/{slug}/endpoints`: every endpoint serving the model (variant and alias aware),
 * healthy ones first, then by effective price, with uptime, latency and throughput from the routing table (null
 * when unknown). Unknown model: 404.
 */
export function renderModelEndpoints(index: CatalogIndex, modelId: string, routingTable: RoutingTable, options: { now?: number } = {}): ModelEndpointsResponse {
  const { model, variant, endpoints } = resolveEntry(index, modelId);
  if (endpoints.length === 0 && variant !== 'standard') throw new NotFoundError(`Model "${modelId}" has no available endpoints`, { model: modelId });
  const now = options.now ?? Date.now();
  return {
    data: {
      id: listedId(model.id, variant),
      name: variant === 'standard' ? model.name : `${model.name} (${variant})`,
      created: model.created,
      description: model.description,
      architecture: renderArchitecture(model),
      endpoints: publicEndpoints(index, model, endpoints, routingTable, now),
    },
  };
}

/** A model's endpoints as public endpoint objects: healthy first, then by effective price, then by tag. */
function publicEndpoints(index: CatalogIndex, model: CatalogModel, endpoints: readonly CatalogEndpoint[], routingTable: RoutingTable, now: number): OpenRouterPublicEndpoint[] {
  return endpoints
    .map((endpoint) => ({ endpoint, public: renderPublicEndpoint(endpoint, model, index.provider(endpoint.providerSlug), routingTable, now), prices: effectivePrices(endpoint) }))
    .sort(
      (a, b) =>
        b.public.status - a.public.status ||
        a.prices.prompt.plus(a.prices.completion).comparedTo(b.prices.prompt.plus(b.prices.completion)) ||
        compareIds(a.endpoint.tag, b.endpoint.tag),
    )
    .map((entry) => entry.public);
}

/**
 * `GET /api/v1/endpoints/zdr`: what is left when zero data retention is enforced — every active endpoint of every
 * active model whose provider retains nothing (the planner's ZDR rule, `dataPolicy.zdr`), as public endpoint
 * objects with the routing table's figures, by model id, then healthy first and by price as for one model.
 */
export function renderZdrEndpoints(index: CatalogIndex, routingTable: RoutingTable, options: { now?: number } = {}): { data: OpenRouterPublicEndpoint[] } {
  const now = options.now ?? Date.now();
  const models = index.snapshot.models.filter((model) => index.model(model.id) === model).sort((a, b) => compareIds(a.id, b.id));
  const data: OpenRouterPublicEndpoint[] = [];
  for (const model of models) {
    const endpoints = index.endpointsOf(model.id).filter((endpoint) => index.provider(endpoint.providerSlug)?.dataPolicy.zdr === true);
    data.push(...publicEndpoints(index, model, endpoints, routingTable, now));
  }
  return { data };
}

export interface OpenRouterProvider {
  name: string;
  slug: string;
  privacy_policy_url: string | null;
  terms_of_service_url: string | null;
  status_page_url: string | null;
  headquarters: string | null;
  datacenters: string[];
}

/** `GET /api/v1/providers`: every active provider, by name. */
export function renderProviders(index: CatalogIndex): { data: OpenRouterProvider[] } {
  const providers = index.snapshot.providers.filter((provider) => index.provider(provider.slug) === provider);
  return {
    data: providers
      .map((provider) => ({
        name: provider.name,
        slug: provider.slug,
        privacy_policy_url: provider.privacyPolicyUrl,
        terms_of_service_url: provider.termsOfServiceUrl,
        status_page_url: provider.statusPageUrl,
        headquarters: provider.headquarters,
        datacenters: [...provider.datacenters],
      }))
      .sort((a, b) => a.name.localeCompare(b.name, 'en') || compareIds(a.slug, b.slug)),
  };
}
