import { baseConfigSchema, envBoolean, envPort } from '@switchyard/nest-kit';
import { z } from 'zod';

const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().nonnegative();
const ratio = z.coerce.number().min(0).max(1);

/**
 * The routing service's environment, parsed once at boot (every bad key listed). Durations are milliseconds.
 * See README.md for what each knob does.
 */
export const routingConfigSchema = baseConfigSchema
  .extend({
    PORT: envPort.default(9081),
    DB_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'a lower-case Postgres identifier').default('routing'),

    /** Periodic full-table publication, so uptime/latency figures refresh on every ingress. */
    TABLE_PUBLISH_INTERVAL_MS: positiveInt.default(5_000),
    /** State changes are coalesced into at most one publication per this interval. */
    TABLE_MIN_PUBLISH_INTERVAL_MS: nonNegativeInt.default(100),
    /**
     * Largest message of the table, bytes of JSON (capped below the NATS server's max_payload): a larger table is
     * announced on table-updated by its version and served by the table RPC in pages of this size.
     */
    TABLE_PAGE_BYTES: positiveInt.min(256).default(512 * 1024),

    /** Rolling window over which the breaker counts failures. */
    BREAKER_WINDOW_MS: positiveInt.min(1_000).default(30_000),
    /** Open when the window holds at least this many failures... */
    BREAKER_MIN_FAILURES: positiveInt.default(5),
    /** ...and failures are at least this share of the window's outcomes. */
    BREAKER_ERROR_RATE: ratio.default(0.5),
    /** Or open after this many consecutive failures, whatever the window says (0 disables the rule). */
    BREAKER_CONSECUTIVE_FAILURES: nonNegativeInt.default(10),
    /** First cool-down before half-open; doubled on every re-opening, capped at the maximum. */
    BREAKER_COOL_DOWN_MS: positiveInt.default(10_000),
    BREAKER_MAX_COOL_DOWN_MS: positiveInt.default(300_000),
    /** Successful trials (probes or real attempts) needed in half-open to close. */
    BREAKER_HALF_OPEN_SUCCESSES: positiveInt.default(1),
    /** How often open breakers are checked for the end of their cool-down (and probes scheduled). */
    BREAKER_TICK_MS: positiveInt.default(250),

    /** Send active probes to half-open endpoints. */
    PROBE_ENABLED: envBoolean.default(true),
    /** Minimum time between two probes of one endpoint from this replica. */
    PROBE_INTERVAL_MS: positiveInt.default(2_000),
    /** First-token and idle timeout of a probe (connect timeout: the smaller of this and 5 s). */
    PROBE_TIMEOUT_MS: positiveInt.default(10_000),
    /** A providers replica that sends nothing for this long fails the probe (not counted against the endpoint). */
    PROBE_LIVENESS_MS: positiveInt.default(3_500),
    /** The account id probes carry (providers uses the platform key: probes are never BYOK). */
    PROBE_ACCOUNT_ID: z.string().min(1).default('switchyard-routing-probe'),

    /** Load-balancing weight of an endpoint whose 5-minute error rate is degraded (healthy: 1). */
    WEIGHT_DEGRADED: z.coerce.number().min(0).max(1).default(0.5),
    WEIGHT_DEGRADED_ERROR_RATE: ratio.default(0.1),
    /** Outcomes needed in the 5-minute window before its error rate changes the weight. */
    WEIGHT_MIN_SAMPLES: positiveInt.default(10),

    /** Compact snapshot of the rolling stats and breakers saved to Postgres (also on shutdown). */
    STATS_SNAPSHOT_INTERVAL_MS: positiveInt.default(30_000),
    /** Safety-net reload of drains from Postgres (LISTEN/NOTIFY is the primary path). */
    DRAIN_SYNC_INTERVAL_MS: positiveInt.default(10_000),
    /** Endpoints tracked at most (events for unknown endpoints beyond this are dropped). */
    MAX_TRACKED_ENDPOINTS: positiveInt.default(20_000),

    CATALOG_REFRESH_INTERVAL_MS: positiveInt.default(30_000),
    /** Timeout of the billing key-snapshot lookup that gives explain an account's routing policy. */
    ACCOUNT_LOOKUP_TIMEOUT_MS: positiveInt.default(1_500),
    /** How long a fetched key snapshot serves explain requests. */
    ACCOUNT_CACHE_TTL_MS: nonNegativeInt.default(10_000),
  })
  .superRefine((config, context) => {
    if (config.BREAKER_MAX_COOL_DOWN_MS < config.BREAKER_COOL_DOWN_MS) {
      context.addIssue({ code: 'custom', path: ['BREAKER_MAX_COOL_DOWN_MS'], message: 'must be at least BREAKER_COOL_DOWN_MS' });
    }
  });

export type RoutingConfig = z.infer<typeof routingConfigSchema>;

export const ROUTING_CONFIG = Symbol('ROUTING_CONFIG');
