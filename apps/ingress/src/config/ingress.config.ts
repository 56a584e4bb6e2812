import { baseConfigSchema, envBoolean, envPort } from '@switchyard/nest-kit';
import { z } from 'zod';

export const ingressConfigSchema = baseConfigSchema.extend({
  /** The public OpenRouter-compatible API. */
  PORT: envPort.default(8080),
  /** /admin/health and /metrics, behind ADMIN_TOKEN. */
  ADMIN_PORT: envPort.default(9080),
  /** Largest accepted request body, bytes (413 above it). */
  BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(8 * 1024 * 1024),
  /** Upstream timeouts passed to providers with every attempt, ms. */
  UPSTREAM_CONNECT_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  UPSTREAM_FIRST_TOKEN_TIMEOUT_MS: z.coerce.number().int().positive().default(120_000),
  UPSTREAM_IDLE_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  /** Heartbeat interval asked of providers while an upstream is quiet, ms. */
  PROVIDER_HEARTBEAT_MS: z.coerce.number().int().positive().default(1_000),
  /** A providers replica silent for this long is presumed dead (the attempt is retried elsewhere), ms. */
  PROVIDER_LIVENESS_MS: z.coerce.number().int().positive().default(3_500),
  /** Most attempts (providers × fallback models) tried for one request. */
  MAX_ATTEMPTS: z.coerce.number().int().positive().default(6),
  /** While a stream waits for its first token, an SSE comment is sent this often, ms (first one after this delay). */
  SSE_KEEPALIVE_MS: z.coerce.number().int().positive().default(1_000),
  /** Output tokens reserved when a request sets no max_tokens and the endpoint declares no maximum. */
  DEFAULT_RESERVED_OUTPUT_TOKENS: z.coerce.number().int().positive().default(4_096),
  /** Smallest credit lease asked of billing per account, USD. */
  LEASE_CHUNK_USD: z.string().regex(/^\d+(\.\d+)?$/).default('1'),
  /** Lease renewal interval, ms (billing expires leases after LEASE_TTL_MS, default 5 min: renew well inside it). */
  LEASE_RENEW_MS: z.coerce.number().int().positive().default(60_000),
  /** No admission under a lease this close to its expiry unless renewed: longer than the longest request + the debit lag, ms. */
  LEASE_SAFETY_MS: z.coerce.number().int().positive().default(60_000),
  /** An account idle this long gives its unused lease room back to other replicas, ms. */
  LEASE_IDLE_MS: z.coerce.number().int().positive().default(30_000),
  /**
   * A key this replica's table does not hold is asked of billing (a key created a moment ago works at once); at
   * most this many such lookups a second, so a flood of made-up keys cannot turn into a flood of billing queries.
   */
  KEY_LOOKUPS_PER_SECOND: z.coerce.number().int().nonnegative().default(50),
  KEY_LOOKUP_TIMEOUT_MS: z.coerce.number().int().positive().default(1_000),
  /**
   * Response caching (OpenRouter's `X-OpenRouter-Cache: true`): stored responses live in a JetStream stream shared
   * by every replica, at most this many bytes (the oldest go first) and this many bytes per response (a larger one
   * is served but not stored). A lookup that takes longer than the timeout is a miss.
   */
  RESPONSE_CACHE_ENABLED: envBoolean.default(true),
  RESPONSE_CACHE_MAX_BYTES: z.coerce.number().int().positive().default(256 * 1024 * 1024),
  RESPONSE_CACHE_MAX_ENTRY_BYTES: z.coerce.number().int().positive().max(1024 * 1024).default(512 * 1024),
  RESPONSE_CACHE_LOOKUP_TIMEOUT_MS: z.coerce.number().int().positive().default(500),
  /** How often ingress asks providers which providers have no platform key (their endpoints are planned last), ms. */
  PROVIDER_STATUS_REFRESH_MS: z.coerce.number().int().positive().default(30_000),
  /** How long a replica trusts its copy of a preset without a change event (a safety net: changes are announced), ms. */
  PRESET_CACHE_TTL_MS: z.coerce.number().int().positive().default(60_000),
  /** Replica id, for credit leases (default: hostname + pid). */
  REPLICA_ID: z.string().optional(),
});
export type IngressConfig = z.infer<typeof ingressConfigSchema>;

export const INGRESS_CONFIG = Symbol('INGRESS_CONFIG');
