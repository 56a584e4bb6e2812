import fc from 'fast-check';
import { Decimal, formatMoney } from './decimal.js';
import { applyDiscount, feeFor } from './fees.js';

describe('feeFor', () => {
  const card = { rate: '0.055', minimum: '0.80' };

  it('charges the rate above the minimum and the minimum below it', () => {
    expect(formatMoney(feeFor('100', card))).toBe('5.5');
    expect(formatMoney(feeFor('10', card))).toBe('0.8');
    expect(formatMoney(feeFor('0', card))).toBe('0');
  });

  it('is never below the minimum nor below the rate (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), (cents) => {
        const amount = new Decimal(cents).dividedBy(100);
        const fee = feeFor(amount, card);
        return fee.gte('0.80') && fee.gte(amount.times('0.055').toDecimalPlaces(12));
      }),
    );
  });
});

describe('applyDiscount', () => {
  it('takes 1 % off exactly', () => {
    expect(formatMoney(applyDiscount('0.0005253', '0.01'))).toBe('0.000520047');
  });
});
