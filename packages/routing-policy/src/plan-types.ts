import type { CanonicalChatRequest, CatalogEndpoint, CatalogModel, CatalogProvider, RoutingTable } from '@switchyard/llm-spec';
import type { CatalogIndex } from './catalog-index.js';

/** The account's standing routing policy (privacy settings, provider lists, BYOK keys). */
export interface AccountPolicy {
  /** Default false: providers whose dataPolicy.training is true are excluded unless true. */
  allowTraining: boolean;
  /** Default true; false excludes providers with retainsPrompts. */
  allowRetention: boolean;
  /** Default false. */
  requireZdr: boolean;
  /** Account-wide ceiling for `only`. */
  allowedProviders?: string[];
  /** Merged with the request's `ignore`. */
  ignoredProviders?: string[];
  /** Provider slugs where the account has its own key: their endpoints go first (after privacy filtering). */
  byokProviders?: string[];
}

export const defaultAccountPolicy: Readonly<AccountPolicy> = Object.freeze({ allowTraining: false, allowRetention: true, requireZdr: false });

export interface PlanInput {
  request: CanonicalChatRequest;
  catalog: CatalogIndex;
  /**
   * Provider slugs with no usable platform key (as the providers service reports them): their endpoints are tried
   * last, like an open circuit, unless the account brings its own key for the provider.
   */
  uncredentialedProviders?: ReadonlySet<string>;
  routingTable: RoutingTable;
  account: AccountPolicy;
  /** The x-session-id header (body session_id wins, then this, then prompt_cache_key, then a conversation hash). */
  sessionKey?: string | null;
  /** Prompt token estimate; default estimatePromptTokens(request) (which serialises `tools`: pass it if known). */
  promptTokens?: number;
  /** Epoch ms. */
  now: number;
  /** Uniform [0, 1) source for load balancing; default Math.random. */
  random?: () => number;
  /** The calling key's model allowlist: `openrouter/auto` picks only among the models it allows. */
  keyAllowedModels?: readonly string[] | null;
}

export interface PlannedAttempt {
  endpoint: CatalogEndpoint;
  model: CatalogModel;
  provider: CatalogProvider;
  isByok: boolean;
  sticky: boolean;
  /** Why this attempt is where it is ("byok; load-balance", "sticky (session_id)", "order #1; circuit open: last resort"). */
  reason: string;
}

export type PlanStrategy = 'load-balance' | 'ordered' | 'sorted' | 'sticky';

export type PlanErrorCode = 'model_not_found' | 'no_endpoints' | 'privacy_restricted' | 'constraint_filtered' | 'free_variant_ended';

export interface PlanError {
  status: 400 | 404;
  code: PlanErrorCode;
  message: string;
  /** Reasons endpoints were dropped (reference §9.5 vocabulary plus ignored_providers, max_tokens, tool_use). */
  excludedBy: string[];
  requestedModels: string[];
  /** The constraint that filtered every endpoint; for `context_length`, `limit` is the largest context left. */
  constraint?: { field: string; detail: string; limit?: number };
}

export type PlanResult =
  | {
      ok: true;
      attempts: PlannedAttempt[];
      /** The model of the first attempt. */
      model: CatalogModel;
      strategy: PlanStrategy;
      /** Requested models (primary or fallbacks) that did not resolve and were skipped. */
      unresolvedModels?: string[];
    }
  | { ok: false; error: PlanError };

export interface PlanStep {
  endpointId: string;
  kept: boolean;
  reason: string;
}
