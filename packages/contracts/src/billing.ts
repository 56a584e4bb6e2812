import { decimalStringSchema } from '@switchyard/llm-spec';
import { z } from 'zod';

/** Signed decimal string (balances can go negative by the overdraft). */
export const signedDecimalSchema = z.string().regex(/^-?\d+(\.\d+)?$/);

export const limitResetSchema = z.enum(['daily', 'weekly', 'monthly']);
export type LimitReset = z.infer<typeof limitResetSchema>;

export const GUARDRAIL_DETECTORS = ['api_key', 'aws_access_key', 'private_key', 'credit_card', 'email'] as const;
export const guardrailDetectorSchema = z.enum(GUARDRAIL_DETECTORS);

/** What guardrails do with what they find: refuse the request (OpenRouter's 403 block) or redact it and go on. */
export const GUARDRAIL_ACTIONS = ['block', 'redact'] as const;
export const guardrailActionSchema = z.enum(GUARDRAIL_ACTIONS);

/**
 * An account's guardrails (Switchyard's, after OpenRouter's guardrail blocks): a request whose messages contain what
 * one of the `detectors` finds, or one of the `keywords` (case-insensitive), is refused with a 403 before it reaches
 * any provider (`action: "block"`), or sent on with each finding replaced by a `[REDACTED …]` marker (`"redact"`).
 */
export const guardrailsSchema = z.object({
  detectors: z.array(guardrailDetectorSchema).default([]),
  keywords: z.array(z.string()).default([]),
  action: guardrailActionSchema.default('block'),
});
export type Guardrails = z.infer<typeof guardrailsSchema>;

/** What ingress holds in memory per API key (looked up by the SHA-256 hash of the presented key). */
export const keyRecordSchema = z.object({
  hash: z.string(),
  keyId: z.string(),
  accountId: z.string(),
  name: z.string(),
  /** Masked key for display: "sk-sy-v1-0e6...1c96". */
  label: z.string(),
  kind: z.enum(['inference', 'management']),
  disabled: z.boolean(),
  /** Why billing disabled the key (the runaway stop), for the 401's message; null otherwise. */
  disabledReason: z.string().nullable().default(null),
  expiresAt: z.string().nullable(),
  /** USD limit of the key in its window, null = unlimited. */
  limit: decimalStringSchema.nullable(),
  limitReset: limitResetSchema.nullable(),
  includeByokInLimit: z.boolean().default(false),
  /** What is left of the limit in the current window, null = unlimited. */
  limitRemaining: signedDecimalSchema.nullable(),
  /**
   * The models the key may use (`author/slug` patterns, `*` a wildcard: "anthropic/*", "openai/gpt-4o*"); null =
   * every model. Ingress refuses a request none of whose planned models matches (403).
   */
  allowedModels: z.array(z.string()).nullable().default(null),
  /** The key's own guardrails, applied with its account's (either may block; redactions add up); null = none. */
  guardrails: guardrailsSchema.nullable().default(null),
});
export type KeyRecord = z.infer<typeof keyRecordSchema>;

export const privacySettingsSchema = z.object({
  /** Allow providers that may train on prompts (OpenRouter: off by default for paid models). */
  allowTraining: z.boolean().default(false),
  /** Allow providers that retain prompts. */
  allowRetention: z.boolean().default(true),
  /** Only zero-data-retention endpoints. */
  requireZdr: z.boolean().default(false),
  /** Store prompts and completions (off by default); opting in gives 1 % off usage. */
  logPrompts: z.boolean().default(false),
});
export type PrivacySettings = z.infer<typeof privacySettingsSchema>;

/** What a guardrail can find in a prompt (ingress's detectors): keys and secrets, card numbers, email addresses. */

/** What ingress holds in memory per account. */
export const accountRecordSchema = z.object({
  accountId: z.string(),
  name: z.string(),
  /** Credits left: purchased − used − expired + adjustments, as billing last computed it. */
  balance: signedDecimalSchema,
  /** How far spend may go past the balance, USD (default 0). */
  overdraft: decimalStringSchema,
  privacy: privacySettingsSchema,
  allowedProviders: z.array(z.string()).nullable().default(null),
  ignoredProviders: z.array(z.string()).default([]),
  /** Providers for which the account stored its own key (BYOK). */
  byokProviders: z.array(z.string()).default([]),
  /** Total credits ever bought, USD (1000 free requests/day once $10 was bought). */
  totalPurchased: decimalStringSchema.default('0'),
  disabled: z.boolean().default(false),
  /** BYOK usage this month is still inside the free allowance: no BYOK fee (chargeFor's byokFeeWaived). */
  byokFeeWaived: z.boolean().default(false),
  byokUsageMonthly: decimalStringSchema.default('0'),
  byokRequestsMonthly: z.number().int().nonnegative().default(0),
  guardrails: guardrailsSchema.default({ detectors: [], keywords: [], action: 'block' }),
});
export type AccountRecord = z.infer<typeof accountRecordSchema>;

/** `sy.billing.key-snapshot.v1` reply: every key and account, versioned. */
export const keySnapshotSchema = z.object({
  version: z.number().int().nonnegative(),
  keys: z.array(keyRecordSchema),
  accounts: z.array(accountRecordSchema),
});
export type KeySnapshot = z.infer<typeof keySnapshotSchema>;
/** The arrays a key snapshot is split across when it travels in pages (thousands of keys). */
export const keySnapshotPagedArrays = ['keys', 'accounts'] as const;

/**
 * `sy.billing.keys-changed.v1` (core NATS): records that changed since `version - 1`. A cache that missed a
 * version (gap) fetches a full snapshot instead of applying it.
 */
export const keysChangedSchema = z.object({
  version: z.number().int().nonnegative(),
  keys: z.array(keyRecordSchema).default([]),
  accounts: z.array(accountRecordSchema).default([]),
  removedKeyHashes: z.array(z.string()).default([]),
});
export type KeysChanged = z.input<typeof keysChangedSchema>;

/**
 * End users at their spend limit on a key (`user_limit`, Switchyard's per-end-user budget): the request's `user`
 * (chat and responses `user`, messages `metadata.user_id`) has spent at least the key's `user_limit` in its current
 * window, so ingress refuses that user's requests on that key (402) until `until` (null: the limit never resets).
 */
export const userLimitBlockSchema = z.object({
  keyHash: z.string(),
  user: z.string(),
  /** When the window ends (ISO), null for a limit that never resets. */
  until: z.string().nullable(),
  limit: decimalStringSchema,
  limitReset: limitResetSchema.nullable(),
});
export type UserLimitBlock = z.infer<typeof userLimitBlockSchema>;

/** `sy.billing.user-limits.v1`: every block of the current windows (in pages past one NATS message). */
export const userLimitsSnapshotSchema = z.object({ blocks: z.array(userLimitBlockSchema) });
export type UserLimitsSnapshot = z.infer<typeof userLimitsSnapshotSchema>;
export const userLimitsPagedArrays = ['blocks'] as const;

/** `sy.billing.user-limits-changed.v1` (core NATS): a key's blocks changed (a user reached the limit, the limit changed). */
export const userLimitsChangedSchema = z.object({ keyHash: z.string() });

/**
 * `sy.billing.key-lookup.v1`: one key by its hash, with its account, as of snapshot `version`. Ingress asks it for a
 * well-formed key its table does not hold (created a moment ago, its `keys-changed` still on the way), so a new key
 * works at once on every replica; `key` is null for a key billing does not have either.
 */
export const keyLookupRequestSchema = z.object({ hash: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 hash in hex') });
export const keyLookupReplySchema = z.object({
  version: z.number().int().nonnegative(),
  key: keyRecordSchema.nullable(),
  account: accountRecordSchema.nullable(),
});
export type KeyLookupReply = z.infer<typeof keyLookupReplySchema>;

/** `sy.billing.key-info.v1`: the data of `GET /api/v1/key` for the calling key. */
export const keyInfoRequestSchema = z.object({ hash: z.string() });
export const usageWindowsSchema = z.object({
  usage: z.number(),
  usage_daily: z.number(),
  usage_weekly: z.number(),
  usage_monthly: z.number(),
  byok_usage: z.number(),
  byok_usage_daily: z.number(),
  byok_usage_weekly: z.number(),
  byok_usage_monthly: z.number(),
});
export const keyInfoSchema = usageWindowsSchema.extend({
  label: z.string(),
  name: z.string().optional(),
  limit: z.number().nullable(),
  limit_remaining: z.number().nullable(),
  limit_reset: limitResetSchema.nullable(),
  include_byok_in_limit: z.boolean(),
  is_free_tier: z.boolean(),
  is_management_key: z.boolean(),
  is_provisioning_key: z.boolean(),
  creator_user_id: z.string().nullable(),
  expires_at: z.string().nullable(),
  rate_limit: z.object({ requests: z.number(), interval: z.string(), note: z.string() }),
  account_byok_usage_monthly: z.number().optional(),
  account_byok_requests_monthly: z.number().optional(),
  byok_fee_waived: z.boolean().optional(),
  /** Switchyard's runaway stop: the most the key may spend in any trailing hour, USD (null = none). */
  max_spend_per_hour: z.number().nullable().optional(),
  /** Switchyard's model allowlist of the key (null = every model). */
  allowed_models: z.array(z.string()).nullable().optional(),
  /** Switchyard's per-end-user budget: what each `user` may spend through the key per window, USD (null = none). */
  user_limit: z.number().nullable().optional(),
  user_limit_reset: limitResetSchema.nullable().optional(),
});
export type KeyInfo = z.infer<typeof keyInfoSchema>;

/** `sy.billing.credits.v1`: `GET /api/v1/credits`. */
export const creditsRequestSchema = z.object({ accountId: z.string() });
export const creditsSchema = z.object({ total_credits: z.number(), total_usage: z.number() });
export type Credits = z.infer<typeof creditsSchema>;

/**
 * `sy.billing.lease.v1`: an ingress replica asks for (more) spending room on an account. Billing grants at most
 * what the balance + overdraft leaves after every other outstanding lease, so the sum of what all replicas may
 * spend never exceeds it. `requested: "0"` renews; `shrinkTo` hands unused room back.
 */
export const leaseRequestSchema = z.object({
  accountId: z.string(),
  keyHash: z.string().optional(),
  replicaId: z.string(),
  /** Amount wanted on top of what the replica holds, USD. */
  requested: decimalStringSchema,
  /** Give back room: the replica's outstanding grant becomes at most this (never below what billing has not yet debited of its spend). */
  shrinkTo: decimalStringSchema.optional(),
});
export type LeaseRequest = z.infer<typeof leaseRequestSchema>;
export const leaseReplySchema = z.object({
  accountId: z.string(),
  leaseId: z.string(),
  /** Total the replica may now spend (its outstanding grant), USD. */
  granted: decimalStringSchema,
  /** The same for the key's limit (null when the key is unlimited). */
  keyGranted: decimalStringSchema.nullable().default(null),
  expiresAt: z.number(),
  /**
   * Cumulative totals of this lease: everything ever granted to the replica on it, and everything billing has
   * debited from it. The replica may spend up to `grantedTotal` in total (counting its own completed spend); the
   * difference to `debitedTotal` is what billing still holds back for it.
   */
  /** What this call added. */
  grantedNow: decimalStringSchema.optional(),
  grantedTotal: decimalStringSchema.optional(),
  debitedTotal: decimalStringSchema.optional(),
  keyGrantedTotal: decimalStringSchema.nullable().optional(),
  keyDebitedTotal: decimalStringSchema.nullable().optional(),
});
export type LeaseReply = z.infer<typeof leaseReplySchema>;

/** `sy.billing.keys.v1`: the key-management API (OpenRouter's /api/v1/keys), proxied by ingress. */
export const keyManagementRequestSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('list'), accountId: z.string(), offset: z.number().int().nonnegative().default(0), includeDisabled: z.boolean().default(false) }),
  z.object({ op: z.literal('get'), accountId: z.string(), hash: z.string() }),
  z.object({ op: z.literal('create'), accountId: z.string(), body: z.record(z.string(), z.unknown()) }),
  z.object({ op: z.literal('update'), accountId: z.string(), hash: z.string(), body: z.record(z.string(), z.unknown()) }),
  z.object({ op: z.literal('delete'), accountId: z.string(), hash: z.string() }),
  /** The key's end users by spend in its user limit's current window (`GET /api/v1/keys/{hash}/users`). */
  z.object({ op: z.literal('users'), accountId: z.string(), hash: z.string(), offset: z.number().int().nonnegative().default(0) }),
]);
export type KeyManagementRequest = z.input<typeof keyManagementRequestSchema>;

/**
 * `sy.billing.spend-alert.v1` (core NATS, after the debit that raised it commits): an account's balance dropped below
 * its `balanceBelow` threshold, its spend of a UTC day passed `dailySpendAbove`, or the runaway stop disabled one of
 * its keys (more than its `max_spend_per_hour` in the trailing hour), or one of its keys reached its `limit` in the
 * current window (the key is refused from then on until the window resets or the limit is raised). Also kept in billing (`GET
 * /admin/accounts/:id/alerts`, `GET /api/v1/alerts`), counted in `switchyard_billing_spend_alerts_total` and
 * delivered to the operator's webhook when one is configured.
 */
export const spendAlertSchema = z.object({
  id: z.string(),
  accountId: z.string(),
  kind: z.enum(['low_balance', 'daily_spend', 'runaway_stop', 'key_limit']),
  threshold: signedDecimalSchema,
  /**
   * The balance after the debit (low_balance), the day's spend (daily_spend), the key's last hour (runaway_stop), the
   * key's usage in its limit window (key_limit).
   */
  value: signedDecimalSchema,
  day: z.string().nullable(),
  /** The key a runaway stop disabled, or that reached its limit: its hash (`PATCH /api/v1/keys/{hash}`) and name. */
  keyHash: z.string().nullable().default(null),
  keyName: z.string().nullable().default(null),
  at: z.string(),
});
export type SpendAlert = z.infer<typeof spendAlertSchema>;

/**
 * `sy.billing.alerts.v1`: the account holder's side of spend alerts. `get` (`GET /api/v1/alerts`) and `update`
 * (`PATCH /api/v1/alerts` with `{balance_below?, daily_spend_above?}`, null clears one) → `{data: {balance_below,
 * daily_spend_above, recent: [{id, kind, threshold, value, day, created_at}]}}`.
 */
export const alertsRequestSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('get'), accountId: z.string() }),
  z.object({ op: z.literal('update'), accountId: z.string(), body: z.record(z.string(), z.unknown()) }),
]);
export type AlertsRequest = z.input<typeof alertsRequestSchema>;

/**
 * `sy.billing.auth-codes.v1`: OpenRouter's OAuth PKCE for ingress. `create` (`POST /api/v1/auth/keys/code`, by an
 * account's key) → `{data: {id, app_id, created_at}}`, `id` being the code; `exchange` (`POST /api/v1/auth/keys`,
 * no key) → `{key, user_id}`, a new key of the code's account.
 */
export const authCodeRequestSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('create'), accountId: z.string(), body: z.record(z.string(), z.unknown()) }),
  z.object({ op: z.literal('exchange'), body: z.record(z.string(), z.unknown()) }),
]);
export type AuthCodeRequest = z.input<typeof authCodeRequestSchema>;

/** OpenRouter's response-cache lifetimes (reference §12.6): 300 s unless a request or preset asks for 1 s to a day. */
export const DEFAULT_CACHE_TTL_SECONDS = 300;
export const MAX_CACHE_TTL_SECONDS = 86_400;
const cacheTtlSchema = z.number().int().min(1).max(MAX_CACHE_TTL_SECONDS);

/** A preset's slug: lower-case letters, digits and dashes (OpenRouter's `@preset/<slug>`). */
export const presetSlugSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a preset slug is 1-64 lower-case letters, digits and dashes, starting with a letter or digit');

/**
 * One version of an account's preset (OpenRouter's presets): request fields a request names with `@preset/<slug>`
 * (as its model, or after one: `openai/gpt-4o@preset/<slug>`) or with `preset: "<slug>"`. `config` holds chat request
 * fields (no messages; ingress validated them when the version was made), `system_prompt` a system message put
 * first. Versions only grow: a change is a new version, and requests use the latest.
 */
export const presetSchema = z.object({
  slug: presetSlugSchema,
  version: z.number().int().positive(),
  name: z.string(),
  description: z.string().nullable(),
  system_prompt: z.string().nullable(),
  config: z.record(z.string(), z.unknown()),
  /**
   * Response caching for requests that use the preset (reference §12.6): true caches them as `X-OpenRouter-Cache:
   * true` would, false never caches them, whatever the request's header says; null leaves it to the header.
   */
  cache_enabled: z.boolean().nullable().default(null),
  /** How long their responses stay cached (1-86400 s) when the request names no `X-OpenRouter-Cache-TTL`; null = 300. */
  cache_ttl_seconds: cacheTtlSchema.nullable().default(null),
  created_at: z.string(),
});
export type Preset = z.infer<typeof presetSchema>;

/**
 * `sy.billing.presets.v1`: an account's presets. `list` → `{data: Preset[]}` (the latest version of each), `get` →
 * `{data: Preset}` (the latest, or `version`), `versions` → `{data: Preset[]}` (newest first), `create` → `{data:
 * Preset}` (a new version, the first when the slug is new), `delete` → `{deleted: true}` (every version). An unknown
 * slug or version is a 404.
 */
export const presetsRequestSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('list'), accountId: z.string() }),
  z.object({ op: z.literal('get'), accountId: z.string(), slug: presetSlugSchema, version: z.number().int().positive().optional() }),
  z.object({ op: z.literal('versions'), accountId: z.string(), slug: presetSlugSchema }),
  z.object({
    op: z.literal('create'),
    accountId: z.string(),
    slug: presetSlugSchema,
    name: z.string().min(1).max(200).optional(),
    description: z.string().max(2_000).nullable().optional(),
    system_prompt: z.string().max(200_000).nullable().optional(),
    config: z.record(z.string(), z.unknown()),
    cache_enabled: z.boolean().nullable().optional(),
    cache_ttl_seconds: cacheTtlSchema.nullable().optional(),
  }),
  z.object({ op: z.literal('delete'), accountId: z.string(), slug: presetSlugSchema }),
]);
export type PresetsRequest = z.input<typeof presetsRequestSchema>;

/** `sy.billing.presets-changed.v1` (core NATS, after the change committed): ingress forgets its copy of the preset. */
export const presetChangedSchema = z.object({ accountId: z.string(), slug: presetSlugSchema, version: z.number().int().positive().nullable() });
export type PresetChanged = z.infer<typeof presetChangedSchema>;

/**
 * `sy.billing.guardrails.v1`: the account holder's guardrails. `get` (`GET /api/v1/guardrails`) and `update`
 * (`PATCH /api/v1/guardrails` with `{detectors?, keywords?, action?}`, each list replacing its list) → `{data:
 * {detectors, keywords, action}}`.
 */
export const guardrailsRequestSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('get'), accountId: z.string() }),
  z.object({ op: z.literal('update'), accountId: z.string(), body: z.record(z.string(), z.unknown()) }),
]);
export type GuardrailsRequest = z.input<typeof guardrailsRequestSchema>;

/** `sy.billing.free-quota.v1`: consume one `:free` request of the account (20/min, 50/day, 1000/day after $10 bought). */
export const freeQuotaRequestSchema = z.object({ accountId: z.string(), modelId: z.string() });
export type FreeQuotaRequest = z.infer<typeof freeQuotaRequestSchema>;
export const freeQuotaReplySchema = z.object({
  allowed: z.boolean(),
  /** Which window refused (or the tighter one when allowed). */
  window: z.enum(['minute', 'day']),
  limit: z.number().int(),
  remaining: z.number().int(),
  /** Epoch ms when the window resets. */
  resetAt: z.number(),
  retryAfterSeconds: z.number().int().nonnegative().default(0),
});
export type FreeQuotaReply = z.infer<typeof freeQuotaReplySchema>;

/**
 * `sy.billing.free-quota-taken.v1` (core NATS, every billing replica): a `:free` request a replica allowed, so the
 * others count it in the account's one-minute window too (the daily count converges through Postgres).
 */
export const freeQuotaTakenSchema = z.object({ replicaId: z.string(), accountId: z.string(), at: z.number().int().nonnegative() });
export type FreeQuotaTaken = z.infer<typeof freeQuotaTakenSchema>;
