import { z } from 'zod';
import { errorTypeSchema } from './error-types.js';

/**
 * A failed upstream call, typed: what adapters produce from a provider's error body and what providers sends back
 * to ingress. `retryable` decides failover (connect errors, timeouts, 408, 429, 5xx); `retryAfterMs` comes from
 * the provider's Retry-After.
 */
export const upstreamErrorSchema = z.object({
  status: z.number().int(),
  errorType: errorTypeSchema,
  message: z.string(),
  retryable: z.boolean(),
  /** The provider's own error code, when it sent one (e.g. "rate_limit_error", "RESOURCE_EXHAUSTED"). */
  providerCode: z.string().optional(),
  retryAfterMs: z.number().nonnegative().optional(),
  /** The upstream body, truncated; never shown to clients for 5xx. */
  raw: z.string().optional(),
  /** Where it failed: before any response (connect), waiting for the first token, between tokens, or the status. */
  phase: z.enum(['connect', 'first-token', 'idle', 'status', 'body', 'cancelled']).optional(),
});
export type UpstreamError = z.infer<typeof upstreamErrorSchema>;

/** Whether an HTTP status from upstream should move the request to the next provider. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
}
