import { moneyToNumber, toDecimal } from '@switchyard/money';

/** A `generations` row as Postgres returns it (numeric → string, timestamptz → Date, jsonb → parsed). */
export interface StoredGeneration {
  id: string;
  request_id: string | null;
  account_id: string;
  key_id: string | null;
  key_hash: string | null;
  lease_id: string | null;
  api_type: string;
  model: string;
  requested_model: string | null;
  endpoint_id: string | null;
  provider_slug: string | null;
  provider_name: string | null;
  upstream_id: string | null;
  is_byok: boolean;
  streamed: boolean;
  cancelled: boolean;
  created_at: Date;
  recorded_at: Date;
  latency_ms: number | null;
  generation_time_ms: number | null;
  overhead_ms: number | null;
  ttft_ms: number | null;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  reasoning_tokens: number;
  cached_tokens: number;
  cache_write_tokens: number;
  prompt_images: number | null;
  usage_estimated: boolean;
  usage_raw: unknown;
  cost: string | null;
  upstream_cost: string | null;
  cache_discount: string | null;
  pricing: unknown;
  finish_reason: string | null;
  native_finish_reason: string | null;
  attempts: unknown;
  session_id: string | null;
  external_user: string | null;
  app_title: string | null;
  http_referer: string | null;
  user_agent: string | null;
  reconciled: boolean;
  needs_pricing: boolean;
  has_content: boolean;
  /** Null for generations a provider served and for rows stored before the column existed. */
  response_cache_source_id: string | null;
  /** The preset the request named; null without one and for rows stored before the column existed. */
  preset: string | null;
}

/** One entry of OpenRouter's `provider_responses`. */
export interface ProviderResponseView {
  id: string | null;
  endpoint_id: string | null;
  model_permaslug: string | null;
  provider_name: string | null;
  status: number | null;
  latency: number | null;
  is_byok: boolean;
}

/** The `data` of OpenRouter's `GET /api/v1/generation` (reference §7), plus the gateway's own overhead. */
export interface OpenRouterGeneration {
  id: string;
  request_id: string | null;
  upstream_id: string | null;
  session_id: string | null;
  preset_id: string | null;
  app_id: number | null;
  workspace_id: string | null;
  external_user: string | null;
  model: string;
  provider_name: string | null;
  router: string | null;
  provider_responses: ProviderResponseView[] | null;
  service_tier: string | null;
  data_region: string | null;
  is_byok: boolean;
  api_type: string;
  created_at: string;
  latency: number | null;
  generation_time: number | null;
  moderation_latency: number | null;
  streamed: boolean;
  cancelled: boolean;
  tokens_prompt: number;
  tokens_completion: number;
  native_tokens_prompt: number;
  native_tokens_completion: number;
  native_tokens_reasoning: number;
  native_tokens_cached: number;
  native_tokens_completion_images: number | null;
  num_media_prompt: number | null;
  num_media_completion: number | null;
  num_input_audio_prompt: number | null;
  num_search_results: number | null;
  num_fetches: number | null;
  web_search_engine: string | null;
  total_cost: number;
  usage: number;
  upstream_inference_cost: number | null;
  cache_discount: number | null;
  finish_reason: string | null;
  native_finish_reason: string | null;
  response_cache_source_id: string | null;
  origin: string | null;
  http_referer: string | null;
  user_agent: string | null;
  /** Switchyard: latency minus the upstream time of every attempt, ms. */
  gateway_overhead_ms: number | null;
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function roundedMs(value: number | null): number | null {
  return value === null ? null : Math.round(value);
}

/** The origin (scheme://host[:port]) of a referer URL; the referer itself when it is not a URL. */
export function originOf(referer: string | null): string | null {
  if (!referer) return null;
  try {
    const origin = new URL(referer).origin;
    return origin === 'null' ? referer : `${origin}/`;
  } catch {
    return referer;
  }
}

/** The model id of an endpoint id ("openai/gpt-4o-mini@openai" → "openai/gpt-4o-mini"). */
export function modelOfEndpoint(endpointId: string): string {
  const at = endpointId.lastIndexOf('@');
  return at > 0 ? endpointId.slice(0, at) : endpointId;
}

/** The provider slug of an endpoint id ("m@deepinfra/turbo" → "deepinfra"); null when the id has no tag. */
export function providerOfEndpoint(endpointId: string): string | null {
  const at = endpointId.lastIndexOf('@');
  if (at < 0 || at === endpointId.length - 1) return null;
  return endpointId.slice(at + 1).split('/')[0] || null;
}

/** Stored attempts (generation-completed attempt records, or reconciled attempt usage) → `provider_responses`. */
export function providerResponses(stored: StoredGeneration): ProviderResponseView[] {
  if (!Array.isArray(stored.attempts)) return [];
  return stored.attempts.map((entry: unknown) => {
    const attempt = (entry ?? {}) as Record<string, unknown>;
    const endpointId = stringOrNull(attempt.endpointId);
    const ok = attempt.ok === true;
    const served = ok && endpointId !== null && endpointId === stored.endpoint_id;
    return {
      id: served ? stored.upstream_id : null,
      endpoint_id: endpointId,
      model_permaslug: stringOrNull(attempt.modelId) ?? (endpointId ? modelOfEndpoint(endpointId) : null),
      provider_name: stringOrNull(attempt.providerName) ?? stringOrNull(attempt.providerSlug),
      status: numberOrNull(attempt.status),
      latency: roundedMs(numberOrNull(attempt.latencyMs)),
      is_byok: attempt.isByok === true,
    };
  });
}

/**
 * A stored generation in the exact shape of OpenRouter's `GET /api/v1/generation` `data`: snake_case, token counts
 * as numbers, money as JSON numbers converted from the exact decimals. Switchyard counts tokens with the
 * provider's own tokenizer only, so `tokens_*` equal `native_tokens_*`. A reconciled placeholder whose price is
 * unknown reports a cost of 0: nothing was charged for it.
 */
export function toOpenRouterGeneration(stored: StoredGeneration): OpenRouterGeneration {
  const cost = stored.cost === null ? 0 : moneyToNumber(stored.cost);
  return {
    id: stored.id,
    request_id: stored.request_id,
    upstream_id: stored.upstream_id,
    session_id: stored.session_id,
    preset_id: stored.preset ?? null,
    app_id: null,
    workspace_id: null,
    external_user: stored.external_user,
    model: stored.model,
    provider_name: stored.provider_name,
    router: routerOf(stored.requested_model),
    provider_responses: providerResponses(stored),
    service_tier: null,
    data_region: null,
    is_byok: stored.is_byok,
    api_type: stored.api_type,
    created_at: stored.created_at.toISOString(),
    latency: roundedMs(stored.latency_ms),
    generation_time: roundedMs(stored.generation_time_ms),
    moderation_latency: null,
    streamed: stored.streamed,
    cancelled: stored.cancelled,
    tokens_prompt: stored.prompt_tokens,
    tokens_completion: stored.completion_tokens,
    native_tokens_prompt: stored.prompt_tokens,
    native_tokens_completion: stored.completion_tokens,
    native_tokens_reasoning: stored.reasoning_tokens,
    native_tokens_cached: stored.cached_tokens,
    native_tokens_completion_images: null,
    num_media_prompt: stored.prompt_images,
    num_media_completion: null,
    num_input_audio_prompt: null,
    num_search_results: null,
    num_fetches: null,
    web_search_engine: null,
    total_cost: cost,
    usage: cost,
    upstream_inference_cost: stored.upstream_cost === null ? null : moneyToNumber(stored.upstream_cost),
    cache_discount: stored.cache_discount === null ? null : moneyToNumber(stored.cache_discount),
    finish_reason: stored.finish_reason,
    native_finish_reason: stored.native_finish_reason,
    response_cache_source_id: stored.response_cache_source_id,
    origin: originOf(stored.http_referer),
    http_referer: stored.http_referer,
    user_agent: stored.user_agent,
    gateway_overhead_ms: stored.overhead_ms === null ? null : Math.round(stored.overhead_ms * 1000) / 1000,
  };
}

/** A decimal string without trailing zeros ("0.000140" → "0.00014"), exact (no rounding). */
export function canonicalDecimal(value: string): string;
export function canonicalDecimal(value: string | null): string | null;
export function canonicalDecimal(value: string | null): string | null {
  return value === null ? null : toDecimal(value).toString();
}

/** The operator's view of a generation (admin API): every stored field, money as exact decimal strings. */
export function toAdminGeneration(stored: StoredGeneration, content?: { input: unknown; output: unknown } | null): Record<string, unknown> {
  return {
    id: stored.id,
    request_id: stored.request_id,
    account_id: stored.account_id,
    key_id: stored.key_id,
    key_hash: stored.key_hash,
    lease_id: stored.lease_id,
    api_type: stored.api_type,
    model: stored.model,
    requested_model: stored.requested_model,
    endpoint_id: stored.endpoint_id,
    provider_slug: stored.provider_slug,
    provider_name: stored.provider_name,
    upstream_id: stored.upstream_id,
    is_byok: stored.is_byok,
    streamed: stored.streamed,
    cancelled: stored.cancelled,
    created_at: stored.created_at.toISOString(),
    recorded_at: stored.recorded_at.toISOString(),
    latency_ms: stored.latency_ms,
    generation_time_ms: stored.generation_time_ms,
    gateway_overhead_ms: stored.overhead_ms,
    ttft_ms: stored.ttft_ms,
    usage: {
      prompt_tokens: stored.prompt_tokens,
      completion_tokens: stored.completion_tokens,
      total_tokens: stored.total_tokens,
      reasoning_tokens: stored.reasoning_tokens,
      cached_tokens: stored.cached_tokens,
      cache_write_tokens: stored.cache_write_tokens,
      prompt_images: stored.prompt_images,
      estimated: stored.usage_estimated,
      raw: stored.usage_raw ?? null,
    },
    cost: canonicalDecimal(stored.cost),
    upstream_cost: canonicalDecimal(stored.upstream_cost),
    cache_discount: canonicalDecimal(stored.cache_discount),
    pricing: stored.pricing ?? null,
    finish_reason: stored.finish_reason,
    native_finish_reason: stored.native_finish_reason,
    attempts: stored.attempts ?? [],
    session_id: stored.session_id,
    external_user: stored.external_user,
    app_title: stored.app_title,
    http_referer: stored.http_referer,
    user_agent: stored.user_agent,
    reconciled: stored.reconciled,
    needs_pricing: stored.needs_pricing,
    has_content: stored.has_content,
    response_cache_source_id: stored.response_cache_source_id,
    ...(content === undefined ? {} : { content }),
  };
}

/** The routers whose slug a request names as its model ("openrouter/free"): `/generation`'s `router`. */
const ROUTERS: ReadonlySet<string> = new Set(['openrouter/free', 'openrouter/auto', 'openrouter/auto-beta']);

function routerOf(requestedModel: string | null): string | null {
  const slug = requestedModel?.trim().toLowerCase();
  return slug !== undefined && ROUTERS.has(slug) ? slug : null;
}
