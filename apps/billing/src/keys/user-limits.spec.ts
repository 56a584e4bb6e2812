import fc from 'fast-check';
import { Decimal, formatMoney } from '@switchyard/money';
import { reachedUserLimit, type UserLimitedKey, userSpendOfBatch, userWindowEnd, userWindowStart } from './user-limits.js';

const daily: UserLimitedKey = { id: 'k-daily', hash: 'h1', user_limit: '1', user_limit_reset: 'daily' };
const lifetime: UserLimitedKey = { id: 'k-life', hash: 'h2', user_limit: '5', user_limit_reset: null };
const keys = new Map([daily, lifetime].map((key) => [key.id, key]));
const at = Date.parse('2026-11-25T10:00:00Z');

describe('per-end-user spend of a debit batch', () => {
  it('adds each named user’s costs per key and window, exactly, and ignores unnamed users and keys without a user limit', () => {
    const spend = userSpendOfBatch(
      [
        { keyId: 'k-daily', externalUser: 'alice', cost: '0.1', at },
        { keyId: 'k-daily', externalUser: 'alice', cost: '0.2', at: at + 3_600_000 },
        { keyId: 'k-daily', externalUser: 'alice', cost: '0.3', at: Date.parse('2026-11-24T23:59:59Z') },
        { keyId: 'k-daily', externalUser: 'bob', cost: '0.000001', at },
        { keyId: 'k-daily', externalUser: null, cost: '9', at },
        { keyId: 'k-daily', cost: '9', at },
        { keyId: 'k-daily', externalUser: 'carol', cost: '0', at },
        { keyId: 'k-daily', externalUser: 'x'.repeat(513), cost: '1', at },
        { keyId: 'k-other', externalUser: 'alice', cost: '9', at },
        { keyId: 'k-life', externalUser: 'alice', cost: '0.7', at },
      ],
      keys,
    );
    expect(spend).toEqual([
      { keyId: 'k-daily', user: 'alice', windowStart: Date.parse('2026-11-24T00:00:00Z'), spend: '0.3' },
      { keyId: 'k-daily', user: 'alice', windowStart: Date.parse('2026-11-25T00:00:00Z'), spend: '0.3' },
      { keyId: 'k-daily', user: 'bob', windowStart: Date.parse('2026-11-25T00:00:00Z'), spend: '0.000001' },
      { keyId: 'k-life', user: 'alice', windowStart: 0, spend: '0.7' },
    ]);
  });

  it('windows: UTC days, Monday weeks, calendar months, and for good when the limit never resets', () => {
    expect(userWindowStart('weekly', at)).toBe(Date.parse('2026-11-23T00:00:00Z'));
    expect(userWindowEnd('weekly', userWindowStart('weekly', at))).toBe(Date.parse('2026-11-30T00:00:00Z'));
    expect(userWindowEnd('monthly', userWindowStart('monthly', at))).toBe(Date.parse('2026-12-01T00:00:00Z'));
    expect(userWindowStart(null, at)).toBe(0);
    expect(userWindowEnd(null, 0)).toBeNull();
  });

  it('reports reaching the limit exactly once, on the debit that takes the user from below it to at or past it', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 50_000 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 200_000 }), (micros, limitMicros) => {
        const limit = formatMoney(new Decimal(limitMicros).div(1_000_000));
        let total = new Decimal(0);
        let reached = 0;
        for (const amount of micros) {
          const added = new Decimal(amount).div(1_000_000);
          total = total.plus(added);
          if (reachedUserLimit(formatMoney(total), formatMoney(added), limit)) reached++;
        }
        expect(reached).toBe(total.gte(limit) ? 1 : 0);
      }),
    );
  });
});
