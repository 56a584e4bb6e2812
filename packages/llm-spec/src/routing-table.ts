import { z } from 'zod';

/** Circuit state of one endpoint, as the routing service's health monitor sees it. */
export const circuitStateSchema = z.enum(['closed', 'open', 'half-open', 'drained']);
export type CircuitState = z.infer<typeof circuitStateSchema>;

const percentilesSchema = z.object({ p50: z.number(), p75: z.number(), p90: z.number(), p99: z.number() });
export type Percentiles = z.infer<typeof percentilesSchema>;

export const endpointHealthSchema = z.object({
  state: circuitStateSchema.default('closed'),
  /** Load-balancing multiplier the routing service applies on top of price weighting (1 = neutral). */
  weight: z.number().nonnegative().default(1),
  /** Epoch ms of the last failed attempt; endpoints that failed in the last 30 s are tried last. */
  lastFailureAt: z.number().nullable().default(null),
  /** Epoch ms until which the endpoint asked not to be called (429 Retry-After). */
  retryAfterUntil: z.number().nullable().default(null),
  uptime5m: z.number().min(0).max(100).nullable().default(null),
  uptime30m: z.number().min(0).max(100).nullable().default(null),
  uptime1d: z.number().min(0).max(100).nullable().default(null),
  /** Time to first token over the last 30 min, ms. */
  latency30m: percentilesSchema.nullable().default(null),
  /** Tokens per second over the last 30 min. */
  throughput30m: percentilesSchema.nullable().default(null),
  /** Time to first token p50 over the last 5 min, ms (for preferred_max_latency). */
  latencyP50Last5m: z.number().nullable().default(null),
  /** Throughput p50 over the last 5 min, tokens/s (for preferred_min_throughput). */
  throughputP50Last5m: z.number().nullable().default(null),
  /** Share of tool-calling requests that succeeded (for :exacto), 0..1. */
  toolCallSuccessRate: z.number().min(0).max(1).nullable().default(null),
});
export type EndpointHealth = z.infer<typeof endpointHealthSchema>;

/** What the routing service pushes to every ingress. Endpoints missing from it are healthy with neutral weight. */
export const routingTableSchema = z.object({
  version: z.number().int().nonnegative(),
  generatedAt: z.string(),
  endpoints: z.record(z.string(), endpointHealthSchema),
});
export type RoutingTable = z.infer<typeof routingTableSchema>;

/** The routing table's field a snapshot reply pages when the table is larger than one NATS message (nest-kit snapshot-pages). */
export const routingTablePagedFields = ['endpoints'] as const;

export const defaultEndpointHealth: EndpointHealth = Object.freeze(endpointHealthSchema.parse({})) as EndpointHealth;

export function emptyRoutingTable(): RoutingTable {
  return { version: 0, generatedAt: new Date(0).toISOString(), endpoints: {} };
}
