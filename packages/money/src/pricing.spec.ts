import fc from 'fast-check';
import { Decimal, formatMoney, MONEY_SCALE, moneyToNumber, roundMoney, sumMoney } from './decimal.js';
import { affordableCompletionTokens, perMillionToPerToken, usageCost } from './pricing.js';

describe('usageCost', () => {
  it('multiplies tokens by per-token prices exactly, with no float drift', () => {
    const cost = usageCost({ promptTokens: 1234, completionTokens: 567, requests: 1 }, { prompt: '0.00000015', completion: '0.0000006' });
    // 1234 × 0.00000015 + 567 × 0.0000006 = 0.0001851 + 0.0003402
    expect(formatMoney(cost.total)).toBe('0.0005253');
  });

  it('bills cached and cache-write tokens at their own prices and reports the cache discount', () => {
    const cost = usageCost(
      { promptTokens: 1000, completionTokens: 10, cachedTokens: 600, cacheWriteTokens: 100 },
      { prompt: '0.000003', completion: '0.000015', input_cache_read: '0.0000003', input_cache_write: '0.00000375' },
    );
    expect(cost.prompt.toString()).toBe('0.0009'); // 300 plain tokens
    expect(cost.cacheRead.toString()).toBe('0.00018');
    expect(cost.cacheWrite.toString()).toBe('0.000375');
    expect(formatMoney(cost.total)).toBe('0.001605');
    expect(formatMoney(cost.cacheDiscount)).toBe('-0.001545');
  });

  it('adds request and image prices and applies the endpoint discount', () => {
    const cost = usageCost(
      { promptTokens: 10, completionTokens: 10, requests: 1, images: 2 },
      { prompt: '0.000001', completion: '0.000002', request: '0.005', image: '0.001', discount: 0.5 },
    );
    expect(formatMoney(cost.total)).toBe('0.003515');
  });

  it('rejects fractional or negative token counts', () => {
    expect(() => usageCost({ promptTokens: 1.5, completionTokens: 0 }, { prompt: '0', completion: '0' })).toThrow(RangeError);
    expect(() => usageCost({ promptTokens: 1, completionTokens: -1 }, { prompt: '0', completion: '0' })).toThrow(RangeError);
  });

  it('is additive: the cost of a sum of usages equals the sum of their costs (property)', () => {
    const price = fc.integer({ min: 0, max: 10_000_000 }).map((micro) => new Decimal(micro).dividedBy(1e12).toString());
    fc.assert(
      fc.property(price, price, fc.nat(200_000), fc.nat(200_000), fc.nat(200_000), fc.nat(200_000), (p, c, a1, b1, a2, b2) => {
        const pricing = { prompt: p, completion: c };
        const one = usageCost({ promptTokens: a1, completionTokens: b1 }, pricing).total;
        const two = usageCost({ promptTokens: a2, completionTokens: b2 }, pricing).total;
        const both = usageCost({ promptTokens: a1 + a2, completionTokens: b1 + b2 }, pricing).total;
        return both.equals(one.plus(two));
      }),
    );
  });

  it('survives the JSON number round trip exactly for any realistic cost (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000_000 }), fc.nat(1_000_000), (microPrice, tokens) => {
        const pricePerToken = new Decimal(microPrice).dividedBy(1e12);
        const cost = usageCost({ promptTokens: tokens, completionTokens: 0 }, { prompt: pricePerToken.toString(), completion: '0' }).total;
        return formatMoney(moneyToNumber(cost)) === formatMoney(cost);
      }),
    );
  });
});

describe('price units', () => {
  it('converts USD per million tokens to USD per token', () => {
    expect(perMillionToPerToken('2.5').toString()).toBe('0.0000025');
  });

  it('rounds to the money scale half-to-even, and leaves an amount already at it as it is (property)', () => {
    expect(formatMoney('0.0000000000005')).toBe('0');
    expect(formatMoney('0.0000000000015')).toBe('0.000000000002');
    expect(roundMoney('1.0000000000025').toString()).toBe('1.000000000002');
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.integer({ min: 0, max: 24 }), (digits, scale) => {
        const amount = new Decimal(digits.toString()).dividedBy(new Decimal(10).pow(scale));
        const expected = amount.toDecimalPlaces(MONEY_SCALE, Decimal.ROUND_HALF_EVEN);
        expect(roundMoney(amount).eq(expected)).toBe(true);
        if (scale <= MONEY_SCALE) expect(roundMoney(amount)).toBe(amount);
        expect(formatMoney(amount)).toBe(expected.isZero() ? '0' : expected.toString());
      }),
    );
  });

  it('prints tiny prices as plain decimals, never exponents', () => {
    expect(formatMoney(new Decimal('0.0000001'))).toBe('0.0000001');
    expect(sumMoney(['0.1', '0.2']).toString()).toBe('0.3');
  });
});

describe('affordableCompletionTokens', () => {
  it('floors what remains after the prompt by the completion price', () => {
    expect(affordableCompletionTokens('0.01', '0.002', '0.000015')).toBe(533);
    expect(affordableCompletionTokens('0.001', '0.002', '0.000015')).toBe(0);
  });
});
