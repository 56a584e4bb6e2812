import { toDecimal } from '@switchyard/money';

export interface ByokAllowance {
  /** List-price BYOK usage per month without the fee, USD (used when `requests` is null). */
  usd: string;
  /** When set, the allowance counts BYOK requests per month instead. */
  requests: number | null;
}

/**
 * Whether the account's next BYOK generation is still inside the monthly free allowance (no 5 % fee). Ingress
 * passes this as `byokFeeWaived` to `chargeFor`.
 */
export function byokFeeWaived(allowance: ByokAllowance, usageThisMonth: string, requestsThisMonth: number): boolean {
  if (allowance.requests !== null) return requestsThisMonth < allowance.requests;
  return toDecimal(usageThisMonth).lt(toDecimal(allowance.usd));
}
