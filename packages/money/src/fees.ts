import { Decimal, type DecimalInput, roundMoney, toDecimal } from './decimal.js';

export interface FeeRule {
  /** Fraction of the amount, e.g. "0.055" for 5.5 %. */
  rate: DecimalInput;
  /** Smallest fee charged, in USD. */
  minimum?: DecimalInput;
}

/** The fee on an amount: rate × amount, at least the minimum, rounded to cents' fraction of the money scale. */
export function feeFor(amount: DecimalInput, rule: FeeRule): Decimal {
  const base = toDecimal(amount);
  if (base.lte(0)) return new Decimal(0);
  const proportional = base.times(toDecimal(rule.rate));
  const minimum = rule.minimum === undefined ? new Decimal(0) : toDecimal(rule.minimum);
  return roundMoney(Decimal.max(proportional, minimum));
}

/** Applies a fractional discount (0.01 = 1 % off) to an amount. */
export function applyDiscount(amount: DecimalInput, fraction: DecimalInput): Decimal {
  return roundMoney(toDecimal(amount).times(new Decimal(1).minus(toDecimal(fraction))));
}
