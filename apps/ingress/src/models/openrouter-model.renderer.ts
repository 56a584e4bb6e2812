import type { CatalogEndpoint, CatalogModel, CatalogProvider, EndpointHealth, EndpointVariant, RoutingTable } from '@switchyard/llm-spec';
import { Decimal, toDecimal } from '@switchyard/money';
import type { CatalogIndex } from '@switchyard/routing-policy';

/**
 * OpenRouter's public model objects (reference §6.1, §6.2), rendered from the catalog snapshot. Pure functions:
 * ingress calls them with its in-memory CatalogIndex and RoutingTable; nothing here does I/O.
 */

export interface OpenRouterPricing {
  prompt: string;
  completion: string;
  request?: string;
  image?: string;
  input_cache_read?: string;
  input_cache_write?: string;
  internal_reasoning?: string;
  /** Fraction taken off (0.2 = 20 % off): what is paid is price × (1 − discount). */
  discount?: number;
}

export interface OpenRouterArchitecture {
  modality: string;
  input_modalities: string[];
  output_modalities: string[];
  tokenizer: string;
  instruct_type: string | null;
}

export interface OpenRouterModel {
  id: string;
  canonical_slug: string;
  hugging_face_id: string | null;
  name: string;
  created: number;
  description: string;
  context_length: number | null;
  architecture: OpenRouterArchitecture;
  pricing: OpenRouterPricing;
  top_provider: { context_length: number | null; max_completion_tokens: number | null; is_moderated: boolean };
  per_request_limits: null;
  supported_parameters: string[];
  default_parameters: Record<string, number | null> | null;
  reasoning?: { supported_efforts: string[] | null; default_effort: string | null; default_enabled: boolean; supports_max_tokens: boolean; mandatory: boolean };
  knowledge_cutoff: string | null;
  expiration_date: string | null;
  links: { details: string };
  supported_voices: null;
  alias_target?: { slug: string; name: string };
}

export interface OpenRouterPublicEndpoint {
  name: string;
  model_id: string;
  model_name: string;
  provider_name: string;
  tag: string;
  context_length: number;
  max_completion_tokens: number | null;
  max_prompt_tokens: number | null;
  pricing: OpenRouterPricing;
  quantization: string | null;
  supported_parameters: string[];
  supports_implicit_caching: boolean;
  /** See `endpointStatus`. */
  status: number;
  uptime_last_5m: number | null;
  uptime_last_30m: number | null;
  uptime_last_1d: number | null;
  latency_last_30m: Percentiles | null;
  throughput_last_30m: Percentiles | null;
  supports_voice_cloning: boolean;
}

interface Percentiles {
  p50: number;
  p75: number;
  p90: number;
  p99: number;
}

export interface RenderModelOptions {
  /** The static variant the entry stands for: "standard" → `<id>`, "free" → `<id>:free`, ... (default standard). */
  variant?: EndpointVariant;
  /** Render the entry of an alias ("~anthropic/claude-opus-latest") that points at `model`. */
  alias?: string;
  /** Prices of `-1`: the entry is a router whose price is the picked model's (OpenRouter's openrouter/auto). */
  variablePricing?: boolean;
}

/** The order OpenRouter lists supported parameters in (reference §6.1); others follow alphabetically. */
const PARAMETER_ORDER = [
  'temperature',
  'top_p',
  'top_k',
  'min_p',
  'top_a',
  'frequency_penalty',
  'presence_penalty',
  'repetition_penalty',
  'max_tokens',
  'max_completion_tokens',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'prediction',
  'seed',
  'response_format',
  'structured_outputs',
  'stop',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'include_reasoning',
  'reasoning',
  'reasoning_effort',
  'web_search_options',
  'verbosity',
];
const PARAMETER_RANK = new Map(PARAMETER_ORDER.map((name, index) => [name, index]));

const VARIANT_LABEL: Record<Exclude<EndpointVariant, 'standard'>, string> = { free: 'free', extended: 'extended', thinking: 'thinking' };

/** `<model id>` or `<model id>:<variant>`. */
export function listedId(modelId: string, variant: EndpointVariant = 'standard'): string {
  return variant === 'standard' ? modelId : `${modelId}:${variant}`;
}

/** Effective USD-per-token prices of an endpoint: list price × (1 − discount), exact. */
export function effectivePrices(endpoint: CatalogEndpoint): { prompt: Decimal; completion: Decimal } {
  const keep = endpoint.pricing.discount ? new Decimal(1).minus(toDecimal(endpoint.pricing.discount)) : new Decimal(1);
  return { prompt: toDecimal(endpoint.pricing.prompt).times(keep), completion: toDecimal(endpoint.pricing.completion).times(keep) };
}

/**
 * The endpoint whose prices a model entry shows. Rule: among the entry's default-tier endpoints (flex and
 * priority tiers only when there is nothing else), the cheapest by effective prompt + completion price per
 * token (after discount) — the one the default price-weighted load balancing favours; ties go to the longer
 * context, then the tag in alphabetical order. Deterministic, so every ingress replica shows the same price.
 */
export function pricingEndpoint(endpoints: readonly CatalogEndpoint[]): CatalogEndpoint {
  if (endpoints.length === 0) throw new Error('a model entry needs at least one endpoint');
  const defaults = endpoints.filter((endpoint) => endpoint.serviceTier === 'default');
  const candidates = defaults.length > 0 ? defaults : endpoints;
  let best = candidates[0]!;
  let bestTotal = total(best);
  for (const endpoint of candidates.slice(1)) {
    const candidateTotal = total(endpoint);
    const order = candidateTotal.comparedTo(bestTotal);
    if (order < 0 || (order === 0 && (endpoint.contextLength > best.contextLength || (endpoint.contextLength === best.contextLength && endpoint.tag < best.tag)))) {
      best = endpoint;
      bestTotal = candidateTotal;
    }
  }
  return best;
}

function total(endpoint: CatalogEndpoint): Decimal {
  const prices = effectivePrices(endpoint);
  return prices.prompt.plus(prices.completion);
}

/** Prices as OpenRouter lists them: decimal strings, USD per token; optional ones only when the endpoint has them. */
export function renderPricing(endpoint: CatalogEndpoint): OpenRouterPricing {
  const pricing = endpoint.pricing;
  const rendered: OpenRouterPricing = { prompt: pricing.prompt, completion: pricing.completion };
  if (pricing.request !== undefined) rendered.request = pricing.request;
  if (pricing.image !== undefined) rendered.image = pricing.image;
  if (pricing.input_cache_read !== undefined) rendered.input_cache_read = pricing.input_cache_read;
  if (pricing.input_cache_write !== undefined) rendered.input_cache_write = pricing.input_cache_write;
  if (pricing.internal_reasoning !== undefined) rendered.internal_reasoning = pricing.internal_reasoning;
  if (pricing.discount !== undefined && pricing.discount !== 0) rendered.discount = pricing.discount;
  return rendered;
}

export function renderArchitecture(model: CatalogModel): OpenRouterArchitecture {
  return {
    modality: `${model.inputModalities.join('+')}->${model.outputModalities.join('+')}`,
    input_modalities: [...model.inputModalities],
    output_modalities: [...model.outputModalities],
    tokenizer: model.tokenizer,
    instruct_type: model.instructType,
  };
}

/** Union of the endpoints' supported parameters, in OpenRouter's order. */
export function unionParameters(endpoints: readonly CatalogEndpoint[]): string[] {
  const names = new Set<string>();
  for (const endpoint of endpoints) for (const name of endpoint.supportedParameters) names.add(name);
  return sortParameters(names);
}

function sortParameters(names: Iterable<string>): string[] {
  return [...names].sort((left, right) => {
    const a = PARAMETER_RANK.get(left) ?? Infinity;
    const b = PARAMETER_RANK.get(right) ?? Infinity;
    return a !== b ? a - b : left < right ? -1 : left > right ? 1 : 0;
  });
}

/**
 * One OpenRouter model object (reference §6.1) for `model` served by `endpoints` (already narrowed to the
 * entry's variant): pricing from `pricingEndpoint`, `top_provider` from that same endpoint, parameters the union
 * over the endpoints, `reasoning` only for reasoning models. A `:free`/`:extended`/`:thinking` entry has its own
 * id, name suffix and context; an alias entry carries `alias_target`.
 */
export function renderModel(model: CatalogModel, endpoints: readonly CatalogEndpoint[], catalogIndex: CatalogIndex, options: RenderModelOptions = {}): OpenRouterModel {
  const variant = options.variant ?? 'standard';
  const priced = pricingEndpoint(endpoints);
  const provider = catalogIndex.provider(priced.providerSlug);
  const id = options.alias ?? listedId(model.id, variant);
  const contextLength = variant === 'standard' ? model.contextLength : Math.max(...endpoints.map((endpoint) => endpoint.contextLength));
  const rendered: OpenRouterModel = {
    id,
    canonical_slug: options.alias ?? model.canonicalSlug,
    hugging_face_id: model.huggingFaceId,
    name: options.alias ? aliasName(options.alias, model) : variant === 'standard' ? model.name : `${model.name} (${VARIANT_LABEL[variant]})`,
    created: model.created,
    description: options.alias ? `${aliasDescription(options.alias, model)} ${model.description}`.trim() : model.description,
    context_length: contextLength,
    architecture: renderArchitecture(model),
    pricing: options.variablePricing ? { prompt: '-1', completion: '-1' } : renderPricing(priced),
    top_provider: { context_length: priced.contextLength, max_completion_tokens: priced.maxCompletionTokens, is_moderated: provider?.dataPolicy.moderated ?? false },
    per_request_limits: null,
    supported_parameters: unionParameters(endpoints),
    default_parameters: model.defaultParameters ? { ...model.defaultParameters } : null,
    knowledge_cutoff: model.knowledgeCutoff,
    expiration_date: model.expirationDate,
    links: { details: `/api/v1/models/${id}/endpoints` },
    supported_voices: null,
  };
  if (model.reasoning) {
    rendered.reasoning = {
      supported_efforts: model.reasoning.supportedEfforts ? [...model.reasoning.supportedEfforts] : null,
      default_effort: model.reasoning.defaultEffort,
      default_enabled: variant === 'thinking' ? true : model.reasoning.defaultEnabled,
      supports_max_tokens: model.reasoning.supportsMaxTokens,
      mandatory: model.reasoning.mandatory,
    };
  }
  if (options.alias) rendered.alias_target = { slug: model.id, name: model.name };
  return rendered;
}

/** "~anthropic/claude-opus-latest" → "Anthropic: Claude Opus Latest" (casing borrowed from the target's name). */
export function aliasName(alias: string, target: CatalogModel): string {
  const [author = '', slug = ''] = alias.replace(/^~/, '').split('/');
  const colon = target.name.indexOf(': ');
  const authorLabel = colon > 0 ? target.name.slice(0, colon) : author;
  const known = new Map(target.name.split(/[\s:/-]+/).filter(Boolean).map((word) => [word.toLowerCase(), word]));
  const words = slug.split('-').filter(Boolean).map((word) => known.get(word.toLowerCase()) ?? word.charAt(0).toUpperCase() + word.slice(1));
  return `${authorLabel}: ${words.join(' ')}`;
}

function aliasDescription(alias: string, target: CatalogModel): string {
  return `${alias} always points at the newest model of its family; it currently resolves to ${target.name} (${target.id}).`;
}

// -------------------------------------------------------------------------------------------------------------
// Public endpoints (reference §6.2)

/**
 * `status` of a public endpoint, from the routing table's health (OpenRouter publishes the codes 0, −1, −2, −3,
 * −5, −10 without their meaning; ours):
 *   0   healthy (or no data yet)
 *   −1  degraded: circuit half-open (probing), or an attempt failed in the last 30 s
 *   −2  down: circuit open
 *   −3  rate-limited: the provider asked us to back off (Retry-After still running)
 *   −5  drained by an operator
 * Disabled endpoints (−10) are not in the snapshot, so they are never listed.
 */
export function endpointStatus(health: EndpointHealth | undefined, now: number): number {
  if (!health) return 0;
  if (health.state === 'drained') return -5;
  if (health.state === 'open') return -2;
  if (health.retryAfterUntil !== null && health.retryAfterUntil > now) return -3;
  if (health.state === 'half-open' || (health.lastFailureAt !== null && now - health.lastFailureAt < 30_000)) return -1;
  return 0;
}

export function renderPublicEndpoint(endpoint: CatalogEndpoint, model: CatalogModel, provider: CatalogProvider | undefined, routingTable: RoutingTable, now: number): OpenRouterPublicEndpoint {
  const health = routingTable.endpoints[endpoint.id];
  const providerName = provider?.name ?? endpoint.providerSlug;
  const slash = endpoint.tag.indexOf('/');
  const suffix = slash < 0 ? '' : ` (${endpoint.tag.slice(slash + 1)})`;
  return {
    name: `${providerName}${suffix} | ${model.canonicalSlug}`,
    model_id: model.canonicalSlug,
    model_name: model.name,
    provider_name: providerName,
    tag: endpoint.tag,
    context_length: endpoint.contextLength,
    max_completion_tokens: endpoint.maxCompletionTokens,
    max_prompt_tokens: endpoint.maxPromptTokens,
    pricing: renderPricing(endpoint),
    quantization: endpoint.quantization,
    supported_parameters: sortParameters(endpoint.supportedParameters),
    supports_implicit_caching: endpoint.supportsImplicitCaching,
    status: endpointStatus(health, now),
    uptime_last_5m: health?.uptime5m ?? null,
    uptime_last_30m: health?.uptime30m ?? null,
    uptime_last_1d: health?.uptime1d ?? null,
    latency_last_30m: health?.latency30m ? { ...health.latency30m } : null,
    throughput_last_30m: health?.throughput30m ? { ...health.throughput30m } : null,
    supports_voice_cloning: false,
  };
}
