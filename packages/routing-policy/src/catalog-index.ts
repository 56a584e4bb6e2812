import { type CatalogEndpoint, type CatalogModel, type CatalogProvider, type CatalogSnapshot, type EndpointVariant, isEmbeddingModel, isRerankModel } from '@switchyard/llm-spec';
import { Decimal, toDecimal } from '@switchyard/money';

/** The static variants that select endpoints (`:free`, `:extended`, `:thinking`); "standard" when none is given. */
export type ModelVariant = EndpointVariant;
/** The dynamic variants that only change routing (`:nitro`, `:floor`, `:exacto`). */
export type DynamicVariant = 'nitro' | 'floor' | 'exacto';

export interface ResolvedModel {
  model: CatalogModel;
  /** The id exactly as the request spelled it ("~anthropic/claude-opus-latest:nitro"). */
  requestedId: string;
  variant: ModelVariant;
  dynamic?: DynamicVariant;
  /** The alias the model was reached through ("~anthropic/claude-opus-latest"). */
  viaAlias?: string;
  /** The router that picked the model ("openrouter/free"). */
  viaRouter?: string;
}

/** `openrouter/free` (reference §3.9): a random free model that supports the request's features. */
export const FREE_ROUTER_ID = 'openrouter/free';

/** Whether a requested model id names the free router (any case, surrounding spaces ignored). */
export function isFreeRouter(id: string): boolean {
  return id.trim().toLowerCase() === FREE_ROUTER_ID;
}

/** A model `openrouter/auto` may pick, with the price that ranks it. */
export interface AutoRouterCandidate {
  readonly modelId: string;
  /** USD per prompt token + per completion token of its cheapest paid standard endpoint. */
  readonly price: Decimal;
}

/**
 * One active endpoint with everything the planner needs precomputed once per catalog version: lower-cased names
 * for `only`/`order`/`ignore` matching, exact decimal prices, a parameter set.
 * @internal Shape may change; use `CatalogIndex.endpointsOf` outside this package.
 */
export interface IndexedEndpoint {
  readonly endpoint: CatalogEndpoint;
  readonly model: CatalogModel;
  readonly provider: CatalogProvider;
  /** Provider slug, lower case ("deepinfra"). */
  readonly slug: string;
  /** Full tag, lower case ("deepinfra/turbo"). */
  readonly tag: string;
  /** Provider display name, lower case ("deepinfra", "together ai"). */
  readonly name: string;
  /** Display name with the tag's suffix ("together ai/turbo"); equals `name` for a base tag. */
  readonly nameTag: string;
  /** A flex or priority service-tier endpoint: admitted only when asked for. */
  readonly isServiceTier: boolean;
  /** Effective USD per token after the endpoint's discount. */
  readonly promptPrice: Decimal;
  readonly completionPrice: Decimal;
  readonly requestPrice: Decimal;
  readonly imagePrice: Decimal;
  /** promptPrice + completionPrice: the key of `sort: price` and of load-balancing weights. */
  readonly totalPrice: Decimal;
  readonly isFree: boolean;
  /** 1 / totalPrice² as a float (a weight, never compared as a price); 0 for free endpoints. */
  readonly inversePriceSquared: number;
  readonly supportedParameters: ReadonlySet<string>;
  /** Prompt caching that makes stickiness pay: implicit caching, or a cache-read price below the prompt price. */
  readonly cachesPrompts: boolean;
}

const STATIC_SUFFIXES: ReadonlySet<string> = new Set(['free', 'extended', 'thinking']);
const DYNAMIC_SUFFIXES: ReadonlySet<string> = new Set(['nitro', 'floor', 'exacto']);
const IGNORED_SUFFIXES: ReadonlySet<string> = new Set(['online']);
const EMPTY: readonly IndexedEndpoint[] = Object.freeze([]);
const EMPTY_ENDPOINTS: readonly CatalogEndpoint[] = Object.freeze([]);

/**
 * Lookup structures over one catalog snapshot, built once per catalog version. Disabled providers, models and
 * endpoints are left out: for routing they do not exist.
 */
export class CatalogIndex {
  readonly version: number;
  readonly snapshot: CatalogSnapshot;
  private readonly providersBySlug = new Map<string, CatalogProvider>();
  private readonly modelsByLowerId = new Map<string, CatalogModel>();
  private readonly endpointsById = new Map<string, CatalogEndpoint>();
  private readonly indexedByModel = new Map<string, readonly IndexedEndpoint[]>();
  private readonly endpointsByModel = new Map<string, readonly CatalogEndpoint[]>();
  private readonly aliasesByLowerName = new Map<string, string>();
  /** Models with an active `:free` endpoint, sorted: what `openrouter/free` picks from. */
  readonly freeModelIds: readonly string[];
  /**
   * What `openrouter/auto` picks from: chat models (text out) with a paid standard endpoint, cheapest first (by
   * their cheapest such endpoint's prompt + completion price; ties by id).
   */
  readonly autoRouterCandidates: readonly AutoRouterCandidate[];

  private constructor(snapshot: CatalogSnapshot) {
    this.version = snapshot.version;
    this.snapshot = snapshot;
    for (const provider of snapshot.providers) {
      if (provider.status !== 'disabled') this.providersBySlug.set(provider.slug.toLowerCase(), provider);
    }
    for (const model of snapshot.models) {
      const key = model.id.toLowerCase();
      if (model.status !== 'disabled' && !this.modelsByLowerId.has(key)) this.modelsByLowerId.set(key, model);
    }
    const indexed = new Map<string, IndexedEndpoint[]>();
    for (const endpoint of snapshot.endpoints) {
      if (endpoint.status === 'disabled') continue;
      const model = this.modelsByLowerId.get(endpoint.modelId.toLowerCase());
      const provider = this.providersBySlug.get(endpoint.providerSlug.toLowerCase());
      if (!model || !provider || this.endpointsById.has(endpoint.id)) continue;
      this.endpointsById.set(endpoint.id, endpoint);
      let list = indexed.get(model.id);
      if (!list) indexed.set(model.id, (list = []));
      list.push(indexEndpoint(endpoint, model, provider));
    }
    for (const [modelId, list] of indexed) {
      this.indexedByModel.set(modelId, Object.freeze(list));
      this.endpointsByModel.set(modelId, Object.freeze(list.map((entry) => entry.endpoint)));
    }
    const free: string[] = [];
    for (const [modelId, list] of indexed) if (list.some((entry) => entry.endpoint.variant === 'free')) free.push(modelId);
    this.freeModelIds = Object.freeze(free.sort());
    const candidates: AutoRouterCandidate[] = [];
    for (const [modelId, list] of indexed) {
      const model = list[0]!.model;
      if (isEmbeddingModel(model) || isRerankModel(model) || !model.outputModalities.includes('text')) continue;
      let price: Decimal | undefined;
      for (const entry of list) {
        if (entry.endpoint.variant !== 'standard' || entry.isServiceTier || entry.isFree) continue;
        if (!price || entry.totalPrice.lt(price)) price = entry.totalPrice;
      }
      if (price) candidates.push({ modelId, price });
    }
    this.autoRouterCandidates = Object.freeze(candidates.sort((a, b) => a.price.cmp(b.price) || (a.modelId < b.modelId ? -1 : 1)));
    for (const [alias, target] of Object.entries(snapshot.aliases ?? {})) {
      this.aliasesByLowerName.set(alias.toLowerCase(), target);
    }
  }

  static build(snapshot: CatalogSnapshot): CatalogIndex {
    return new CatalogIndex(snapshot);
  }

  /** An active model by id (case-insensitive), without variant suffixes or aliases. */
  model(id: string): CatalogModel | undefined {
    return this.modelsByLowerId.get(id.toLowerCase());
  }

  /** An active provider by slug (case-insensitive). */
  provider(slug: string): CatalogProvider | undefined {
    return this.providersBySlug.get(slug.toLowerCase());
  }

  /** An active endpoint by its id ("openai/gpt-4o-mini@openai"). */
  endpoint(id: string): CatalogEndpoint | undefined {
    return this.endpointsById.get(id);
  }

  /** Active endpoints (of active providers) serving a model, every variant and tier. Frozen: do not mutate. */
  endpointsOf(modelId: string): CatalogEndpoint[] {
    const model = this.model(modelId);
    return (model ? (this.endpointsByModel.get(model.id) ?? EMPTY_ENDPOINTS) : EMPTY_ENDPOINTS) as CatalogEndpoint[];
  }

  /** @internal The planner's view of a model's endpoints. */
  indexedEndpointsOf(modelId: string): readonly IndexedEndpoint[] {
    return this.indexedByModel.get(modelId) ?? EMPTY;
  }

  /** The model id an alias points at ("~anthropic/claude-opus-latest" → "anthropic/claude-opus-4.5"). */
  aliasTarget(alias: string): string | undefined {
    return this.aliasesByLowerName.get(alias.toLowerCase());
  }

  /**
   * Resolves a requested model id (reference §3.9): "author/slug" (case-insensitive), with at most one static
   * variant (":free", ":extended", ":thinking") and one dynamic variant (":nitro", ":floor", ":exacto"); ":online"
   * is accepted and ignored (the web plugin is not the planner's business); "~author/family-latest" aliases.
   * Undefined when no active model matches.
   */
  resolveModel(id: string): ResolvedModel | undefined {
    return this.resolve(id.trim(), id, 0);
  }

  private resolve(text: string, requestedId: string, depth: number): ResolvedModel | undefined {
    let base = text;
    let variant: ModelVariant = 'standard';
    let dynamic: DynamicVariant | undefined;
    let online = false;
    for (;;) {
      const found = this.lookup(base, requestedId, depth);
      if (found) {
        const resolved: ResolvedModel = { model: found.model, requestedId, variant: variant !== 'standard' ? variant : found.variant };
        const resolvedDynamic = dynamic ?? found.dynamic;
        if (resolvedDynamic) resolved.dynamic = resolvedDynamic;
        if (found.viaAlias) resolved.viaAlias = found.viaAlias;
        return resolved;
      }
      const colon = base.lastIndexOf(':');
      if (colon <= 0) return undefined;
      const suffix = base.slice(colon + 1).toLowerCase();
      if (STATIC_SUFFIXES.has(suffix)) {
        if (variant !== 'standard') return undefined;
        variant = suffix as ModelVariant;
      } else if (DYNAMIC_SUFFIXES.has(suffix)) {
        if (dynamic) return undefined;
        dynamic = suffix as DynamicVariant;
      } else if (IGNORED_SUFFIXES.has(suffix)) {
        if (online) return undefined;
        online = true;
      } else {
        return undefined;
      }
      base = base.slice(0, colon);
    }
  }

  private lookup(base: string, requestedId: string, depth: number): ResolvedModel | undefined {
    if (base.startsWith('~')) {
      const target = this.aliasTarget(base);
      if (target === undefined || depth > 2 || target.startsWith('~')) return undefined;
      const resolved = this.resolve(target, requestedId, depth + 1);
      if (resolved) resolved.viaAlias = base;
      return resolved;
    }
    const model = this.modelsByLowerId.get(base.toLowerCase());
    return model ? { model, requestedId, variant: 'standard' } : undefined;
  }
}

function indexEndpoint(endpoint: CatalogEndpoint, model: CatalogModel, provider: CatalogProvider): IndexedEndpoint {
  const pricing = endpoint.pricing;
  const keep = pricing.discount ? new Decimal(1).minus(toDecimal(pricing.discount)) : undefined;
  const effective = (value: string | undefined): Decimal => {
    const price = value === undefined || value === '' ? new Decimal(0) : toDecimal(value);
    return keep ? price.times(keep) : price;
  };
  const promptPrice = effective(pricing.prompt);
  const completionPrice = effective(pricing.completion);
  const totalPrice = promptPrice.plus(completionPrice);
  const isFree = totalPrice.isZero();
  const slug = endpoint.providerSlug.toLowerCase();
  const tag = endpoint.tag.toLowerCase();
  const name = provider.name.toLowerCase();
  const suffix = tag.startsWith(slug) ? tag.slice(slug.length) : '';
  const cacheRead = pricing.input_cache_read === undefined ? undefined : toDecimal(pricing.input_cache_read);
  return {
    endpoint,
    model,
    provider,
    slug,
    tag,
    name,
    nameTag: name + suffix,
    isServiceTier: endpoint.serviceTier !== 'default',
    promptPrice,
    completionPrice,
    requestPrice: effective(pricing.request),
    imagePrice: effective(pricing.image),
    totalPrice,
    isFree,
    inversePriceSquared: isFree ? 0 : 1 / totalPrice.times(totalPrice).toNumber(),
    supportedParameters: new Set(endpoint.supportedParameters),
    cachesPrompts: endpoint.supportsImplicitCaching || (cacheRead !== undefined && cacheRead.lt(toDecimal(pricing.prompt))),
  };
}
