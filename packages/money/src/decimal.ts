import { Decimal as DecimalBase } from 'decimal.js';

/**
 * One Decimal constructor for the whole gateway: 40 significant digits, banker's rounding, and never exponent
 * notation in strings (prices such as 0.0000001 must print as plain decimals, the way OpenRouter lists them).
 */
export const Decimal = DecimalBase.clone({
  precision: 40,
  rounding: DecimalBase.ROUND_HALF_EVEN,
  toExpNeg: -40,
  toExpPos: 40,
});
export type Decimal = InstanceType<typeof Decimal>;
export type DecimalInput = Decimal | string | number;

/** Decimal places kept for any money amount (USD). 1e-12 USD is far below any price on the market. */
export const MONEY_SCALE = 12;

const DECIMAL_PATTERN = /^-?(\d+)(\.\d+)?$/;

/** True when the string is a plain decimal number ("0.000003", "12", "-1.5"); no exponents, no blanks. */
export function isDecimalString(value: string): boolean {
  return DECIMAL_PATTERN.test(value);
}

export function toDecimal(value: DecimalInput): Decimal {
  if (value instanceof Decimal) return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
    // String(number) is the shortest round-trip representation, so 0.1 stays 0.1 and not 0.1000000000000000055.
    return new Decimal(String(value));
  }
  const trimmed = value.trim();
  if (!isDecimalString(trimmed) && !/^-?\d+(\.\d+)?e[+-]?\d+$/i.test(trimmed)) {
    throw new RangeError(`not a decimal number: ${JSON.stringify(value)}`);
  }
  return new Decimal(trimmed);
}

/** Rounds to the money scale and prints a canonical plain decimal string without trailing zeros ("0.00014"). */
export function formatMoney(value: DecimalInput): string {
  const rounded = roundMoney(value);
  return rounded.isZero() ? '0' : rounded.toString();
}

/** Rounds to the money scale, keeping a Decimal. */
export function roundMoney(value: DecimalInput): Decimal {
  const decimal = toDecimal(value);
  // Already at the money scale (every per-token price times a token count is): nothing to round, nothing to allocate.
  return decimal.decimalPlaces() <= MONEY_SCALE ? decimal : decimal.toDecimalPlaces(MONEY_SCALE, Decimal.ROUND_HALF_EVEN);
}

/**
 * The JSON number for a money amount (OpenRouter's `usage.cost` is a number). A money string has at most
 * 12 decimal places and far fewer than 15 significant digits for any real cost, so Number() round-trips exactly:
 * `formatMoney(moneyToNumber(x)) === formatMoney(x)`.
 */
export function moneyToNumber(value: DecimalInput): number {
  return Number(formatMoney(value));
}

export function sumMoney(values: Iterable<DecimalInput>): Decimal {
  let total = new Decimal(0);
  for (const value of values) total = total.plus(toDecimal(value));
  return total;
}
