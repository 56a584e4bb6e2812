import { Decimal, MONEY_SCALE, formatMoney, toDecimal } from '@switchyard/money';
import { z } from 'zod';

/** Largest absolute amount accepted anywhere (a trillion dollars): keeps typos and overflow out. */
const MAX_ABS = new Decimal('1000000000000');

/**
 * A money amount from JSON: a decimal string ("10.5") or a number (10.5, read through its shortest decimal form),
 * normalised to a canonical decimal string. At most 12 decimal places; never exponents in the output.
 */
export const signedMoneySchema = z.union([z.string(), z.number()]).transform((value, context) => {
  let decimal: Decimal;
  try {
    decimal = toDecimal(typeof value === 'string' ? value.trim() : value);
  } catch {
    context.addIssue({ code: 'custom', message: 'expected a decimal amount such as "10.50"' });
    return z.NEVER;
  }
  if (!decimal.isFinite() || decimal.abs().gt(MAX_ABS)) {
    context.addIssue({ code: 'custom', message: 'amount out of range' });
    return z.NEVER;
  }
  if (decimal.decimalPlaces() > MONEY_SCALE) {
    context.addIssue({ code: 'custom', message: `at most ${MONEY_SCALE} decimal places` });
    return z.NEVER;
  }
  return formatMoney(decimal);
});

export const nonNegativeMoneySchema = signedMoneySchema.refine((value) => !value.startsWith('-'), { message: 'must not be negative' });

export const positiveMoneySchema = signedMoneySchema.refine((value) => new Decimal(value).gt(0), { message: 'must be greater than 0' });
