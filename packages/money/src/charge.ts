import { Decimal, type DecimalInput, roundMoney, toDecimal } from './decimal.js';
import { type BillableUsage, type CostBreakdown, type TokenPricing, usageCost } from './pricing.js';

export interface ChargeRules {
  /** Fraction off usage for accounts that opted in to prompt logging (OpenRouter: 0.01). */
  promptLoggingDiscount?: DecimalInput;
  /** BYOK fee as a fraction of the list-price cost (OpenRouter: 0.05). */
  byokFeeRate?: DecimalInput;
}

export interface ChargeInput {
  usage: BillableUsage;
  pricing: TokenPricing;
  /** Normalised finish reason; null when the stream ended without one. */
  finishReason: string | null | undefined;
  /** The account opted in to prompt logging. */
  promptLogging?: boolean;
  /** Served with the account's own provider key. */
  isByok?: boolean;
  /** BYOK usage still inside the monthly free allowance: no fee. */
  byokFeeWaived?: boolean;
}

export interface Charge {
  /** What the account is charged, USD. */
  cost: Decimal;
  /** The list-price cost of the tokens (what the provider charges; for BYOK, what the account's key paid). */
  listCost: Decimal;
  breakdown: CostBreakdown;
  /** Zero-completion insurance applied: no completion tokens and an empty or error finish reason. */
  insured: boolean;
}

export const DEFAULT_CHARGE_RULES = { promptLoggingDiscount: '0.01', byokFeeRate: '0.05' } as const;

/**
 * The one charging rule, shared by ingress (which reports `usage.cost`), metering and billing so all three agree
 * to the last digit: list price of the tokens; nothing for an insured empty response; for BYOK only the fee
 * (waived inside the allowance); otherwise the list price less the prompt-logging discount.
 */
export function chargeFor(input: ChargeInput, rules: ChargeRules = DEFAULT_CHARGE_RULES): Charge {
  const breakdown = usageCost(input.usage, input.pricing);
  const listCost = breakdown.total;
  const finish = input.finishReason ?? '';
  const insured = input.usage.completionTokens === 0 && (finish === '' || finish === 'error');
  let cost: Decimal;
  if (insured) cost = new Decimal(0);
  else if (input.isByok) cost = input.byokFeeWaived ? new Decimal(0) : roundMoney(listCost.times(toDecimal(rules.byokFeeRate ?? DEFAULT_CHARGE_RULES.byokFeeRate)));
  else if (input.promptLogging) cost = roundMoney(listCost.times(new Decimal(1).minus(toDecimal(rules.promptLoggingDiscount ?? DEFAULT_CHARGE_RULES.promptLoggingDiscount))));
  else cost = listCost;
  return { cost, listCost, breakdown, insured };
}
