/**
 * How one attempt outcome counts for an endpoint's health:
 * - `success`: the provider answered;
 * - `failure`: a provider-side failure — 5xx, 408/429, timeouts, connect errors, or a stream that broke after a
 *   2xx status;
 * - `neutral`: says nothing about the provider — a 4xx caused by the request (bad parameters, context too long,
 *   authentication of a BYOK key) or a client cancel (499). Neither uptime nor the breaker counts it.
 */
export type AttemptClass = 'success' | 'failure' | 'neutral';

const PROVIDER_SIDE_ERROR_TYPES: ReadonlySet<string> = new Set(['timeout', 'provider_unavailable', 'provider_overloaded', 'server']);

/** Generation ids of the routing service's active probes start with this (providers' request schema has no probe flag). */
export const PROBE_GENERATION_PREFIX = 'probe-';

export function classifyAttempt(outcome: { ok: boolean; status: number; errorType?: string | null }): AttemptClass {
  if (outcome.ok) return 'success';
  const { status } = outcome;
  if (status === 499) return 'neutral';
  if (status >= 500 || status === 429 || status === 408 || status <= 0) return 'failure';
  if (status >= 200 && status < 300) return 'failure';
  if (outcome.errorType && PROVIDER_SIDE_ERROR_TYPES.has(outcome.errorType)) return 'failure';
  return 'neutral';
}

export function isProbeGeneration(generationId: string): boolean {
  return generationId.startsWith(PROBE_GENERATION_PREFIX);
}
