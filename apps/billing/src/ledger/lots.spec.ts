import fc from 'fast-check';
import { Decimal, formatMoney } from '@switchyard/money';
import { applyCredit, consumeLots, expiryPlan, lotExpiresAt, refundDecision, topUpQuote } from './lots.js';

const rules = { card: { rate: '0.055', minimum: '0.80' }, crypto: { rate: '0.05', minimum: '0' } };
const cents = fc.integer({ min: 0, max: 100_000_00 }).map((value) => new Decimal(value).dividedBy(100).toString());

describe('top-up fees', () => {
  it('charges card 5.5 % with a $0.80 minimum, crypto 5 %, grants nothing — on top of the credits', () => {
    expect(topUpQuote('100', 'card', rules)).toEqual({ amount: '100', fee: '5.5', total: '105.5' });
    expect(topUpQuote('10', 'card', rules)).toEqual({ amount: '10', fee: '0.8', total: '10.8' });
    expect(topUpQuote('14.54', 'card', rules)).toEqual({ amount: '14.54', fee: '0.8', total: '15.34' }); // 0.7997 → minimum
    expect(topUpQuote('100', 'crypto', rules)).toEqual({ amount: '100', fee: '5', total: '105' });
    expect(topUpQuote('1', 'crypto', rules)).toEqual({ amount: '1', fee: '0.05', total: '1.05' });
    expect(topUpQuote('100', 'grant', rules)).toEqual({ amount: '100', fee: '0', total: '100' });
  });

  it('always charges exactly credits + fee, the fee never below the rate nor the minimum (property)', () => {
    fc.assert(
      fc.property(cents.filter((value) => value !== '0'), fc.constantFrom('card', 'crypto') as fc.Arbitrary<'card' | 'crypto'>, (amount, method) => {
        const quote = topUpQuote(amount, method, rules);
        const fee = new Decimal(quote.fee);
        const rule = rules[method];
        return new Decimal(quote.total).equals(new Decimal(amount).plus(fee)) && fee.gte(rule.minimum) && fee.gte(new Decimal(amount).times(rule.rate).toDecimalPlaces(12));
      }),
    );
  });
});

describe('lot consumption', () => {
  it('takes from the oldest lot first, then the next, and reports what no lot covers', () => {
    const lots = [
      { id: 'old', remaining: '1' },
      { id: 'mid', remaining: '2' },
      { id: 'new', remaining: '5' },
    ];
    expect(consumeLots(lots, '0.4')).toEqual({ changes: [{ id: 'old', remaining: '0.6', taken: '0.4' }], uncovered: '0' });
    expect(consumeLots(lots, '2.5')).toEqual({
      changes: [
        { id: 'old', remaining: '0', taken: '1' },
        { id: 'mid', remaining: '0.5', taken: '1.5' },
      ],
      uncovered: '0',
    });
    expect(consumeLots(lots, '9').uncovered).toBe('1');
    expect(consumeLots([], '0.25')).toEqual({ changes: [], uncovered: '0.25' });
  });

  it('conserves money: taken + uncovered = amount, nothing goes negative, lots drain in order (property)', () => {
    fc.assert(
      fc.property(fc.array(cents, { maxLength: 6 }), cents, (remainders, amount) => {
        const lots = remainders.map((remaining, index) => ({ id: `lot${index}`, remaining }));
        const result = consumeLots(lots, amount);
        const taken = result.changes.reduce((sum, change) => sum.plus(change.taken), new Decimal(0));
        const inOrder = result.changes.every((change, index) => index === result.changes.length - 1 || change.remaining === '0');
        return taken.plus(result.uncovered).equals(amount) && result.changes.every((change) => new Decimal(change.remaining).gte(0)) && inOrder;
      }),
    );
  });

  it('pays the debt first from new credits', () => {
    expect(applyCredit('10', '3.25')).toEqual({ remaining: '6.75', debtPaid: '3.25', debt: '0' });
    expect(applyCredit('1', '3')).toEqual({ remaining: '0', debtPaid: '1', debt: '2' });
    expect(applyCredit('5', '0')).toEqual({ remaining: '5', debtPaid: '0', debt: '0' });
  });
});

describe('refund eligibility', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');
  const card = { method: 'card' as const, remaining: '10', refunded: '0', refundableUntil: now + 1000 };

  it('refunds the unused credits of a card purchase within the window', () => {
    expect(refundDecision(card, now, '50', 24)).toEqual({ ok: true, amount: '10', partial: false });
    expect(refundDecision({ ...card, remaining: '3.5' }, now, '50', 24)).toEqual({ ok: true, amount: '3.5', partial: false });
  });

  it('never refunds crypto, grants or adjustments', () => {
    expect(refundDecision({ ...card, method: 'crypto' }, now, '50', 24)).toMatchObject({ ok: false, status: 400, reason: 'crypto_not_refundable' });
    expect(refundDecision({ ...card, method: 'grant' }, now, '50', 24)).toMatchObject({ ok: false, status: 400, reason: 'not_a_purchase' });
    expect(refundDecision({ ...card, method: 'adjustment' }, now, '50', 24)).toMatchObject({ ok: false, status: 400, reason: 'not_a_purchase' });
  });

  it('refuses after the window, and when nothing is left', () => {
    expect(refundDecision({ ...card, refundableUntil: now - 1 }, now, '50', 24)).toMatchObject({ ok: false, status: 400, reason: 'refund_window_closed', message: 'Purchases can be refunded only within 24 hours' });
    expect(refundDecision({ ...card, refundableUntil: null }, now, '50', 24)).toMatchObject({ ok: false, reason: 'refund_window_closed' });
    expect(refundDecision({ ...card, remaining: '0' }, now, '50', 24)).toMatchObject({ ok: false, status: 409, reason: 'nothing_to_refund', message: 'All credits of this purchase were used' });
    expect(refundDecision({ ...card, remaining: '0', refunded: '10' }, now, '50', 24)).toMatchObject({ ok: false, status: 409, message: 'This purchase was already refunded' });
  });

  it('keeps credits that leases reserve: a partial refund, or none', () => {
    expect(refundDecision(card, now, '4', 24)).toEqual({ ok: true, amount: '4', partial: true });
    expect(refundDecision(card, now, '0', 24)).toMatchObject({ ok: false, status: 409, reason: 'reserved_by_leases' });
    expect(refundDecision(card, now, '-2', 24)).toMatchObject({ ok: false, reason: 'reserved_by_leases' });
  });
});

describe('credit expiry', () => {
  it('expires a year after purchase', () => {
    expect(new Date(lotExpiresAt(Date.parse('2025-06-01T12:00:00Z'), 12)).toISOString()).toBe('2026-06-01T12:00:00.000Z');
  });

  it('expires the remaining credits of due lots, oldest first, but never what leases reserve', () => {
    const lots = [
      { id: 'a', remaining: '2' },
      { id: 'b', remaining: '3' },
    ];
    expect(expiryPlan(lots, '100')).toEqual([
      { id: 'a', expire: '2', remaining: '0' },
      { id: 'b', expire: '3', remaining: '0' },
    ]);
    expect(expiryPlan(lots, '4')).toEqual([
      { id: 'a', expire: '2', remaining: '0' },
      { id: 'b', expire: '2', remaining: '1' },
    ]);
    expect(expiryPlan(lots, '0')).toEqual([]);
  });

  it('expired + left = remaining per lot, and the total never exceeds the free room (property)', () => {
    fc.assert(
      fc.property(fc.array(cents, { maxLength: 6 }), fc.integer({ min: -1000_00, max: 1000_00 }).map((value) => new Decimal(value).dividedBy(100).toString()), (remainders, room) => {
        const lots = remainders.map((remaining, index) => ({ id: `lot${index}`, remaining }));
        const plan = expiryPlan(lots, room);
        const total = plan.reduce((sum, item) => sum.plus(item.expire), new Decimal(0));
        const conserved = plan.every((item) => new Decimal(item.expire).plus(item.remaining).equals(lots.find((lot) => lot.id === item.id)!.remaining));
        return conserved && total.lte(Decimal.max(0, room)) && plan.every((item) => new Decimal(item.expire).gt(0));
      }),
    );
  });

  it('formats amounts canonically', () => {
    expect(formatMoney(consumeLots([{ id: 'x', remaining: '1.10' }], '0.1').changes[0]!.remaining)).toBe('1');
  });
});

describe('fee, expiry and refund arithmetic (properties)', () => {
  const DAY = 86_400_000;
  const positiveCents = fc.integer({ min: 1, max: 100_000_00 }).map((value) => new Decimal(value).dividedBy(100));
  /** Purchase times between 2020 and 2030, to the millisecond. */
  const instant = fc.integer({ min: Date.parse('2020-01-01T00:00:00Z'), max: Date.parse('2030-01-01T00:00:00Z') });

  it('card fee is exactly max(5.5 % of the credits, $0.80); crypto exactly 5 %; both on top of the credits', () => {
    fc.assert(
      fc.property(positiveCents, (amount) => {
        const card = topUpQuote(amount.toString(), 'card', rules);
        const crypto = topUpQuote(amount.toString(), 'crypto', rules);
        const cardFee = Decimal.max(amount.times('0.055'), '0.80');
        return (
          card.fee === formatMoney(cardFee) &&
          card.total === formatMoney(amount.plus(cardFee)) &&
          crypto.fee === formatMoney(amount.times('0.05')) &&
          crypto.total === formatMoney(amount.times('1.05')) &&
          card.amount === formatMoney(amount)
        );
      }),
    );
  });

  it('a lot expires exactly one calendar year later, at the same UTC time of day (365 or 366 days), in purchase order', () => {
    fc.assert(
      fc.property(instant, instant, (first, second) => {
        const expiry = lotExpiresAt(first, 12);
        const days = (expiry - first) / DAY;
        const sameTime = new Date(expiry).toISOString().slice(11) === new Date(first).toISOString().slice(11);
        const ordered = first <= second ? lotExpiresAt(first, 12) <= lotExpiresAt(second, 12) : lotExpiresAt(first, 12) >= lotExpiresAt(second, 12);
        return (days === 365 || days === 366) && sameTime && ordered;
      }),
    );
  });

  it('with usage taken oldest lot first, what expires at any moment is exactly the unused part of the lots over a year old', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(instant, positiveCents), { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 200_000_00 }), instant, (purchases, usedCents, now) => {
        const lots = [...purchases].sort((left, right) => left[0] - right[0]).map(([purchasedAt, amount], index) => ({ id: `lot${index}`, purchasedAt, amount }));
        const total = lots.reduce((sum, lot) => sum.plus(lot.amount), new Decimal(0));
        const used = Decimal.min(new Decimal(usedCents).dividedBy(100), total);
        const consumption = consumeLots(lots.map((lot) => ({ id: lot.id, remaining: lot.amount.toString() })), used);
        const remaining = new Map(lots.map((lot) => [lot.id, lot.amount.toString()]));
        for (const change of consumption.changes) remaining.set(change.id, change.remaining);
        const due = lots.filter((lot) => lotExpiresAt(lot.purchasedAt, 12) <= now);
        const plan = expiryPlan(due.map((lot) => ({ id: lot.id, remaining: remaining.get(lot.id)! })), total);
        const expired = plan.reduce((sum, item) => sum.plus(item.expire), new Decimal(0));
        // Due lots are the oldest ones, and usage ate the oldest first: what is left of them is what they held beyond the usage.
        const dueTotal = due.reduce((sum, lot) => sum.plus(lot.amount), new Decimal(0));
        return consumption.uncovered === '0' && expired.equals(Decimal.max(0, dueTotal.minus(used)));
      }),
    );
  });

  it('refunds exactly the unused credits of a card purchase inside the window (never the fee, never more than leases leave); crypto and late purchases never', () => {
    const now = Date.parse('2025-06-01T12:00:00Z');
    fc.assert(
      fc.property(positiveCents, fc.integer({ min: 0, max: 100 }), fc.integer({ min: -1_000_00, max: 100_000_00 }), fc.integer({ min: -48, max: 48 }), (amount, usedPercent, roomCents, hoursLeft) => {
        const remaining = amount.times(100 - usedPercent).dividedBy(100).toDecimalPlaces(2);
        const room = new Decimal(roomCents).dividedBy(100);
        const refundableUntil = now + hoursLeft * 3_600_000;
        const card = refundDecision({ method: 'card', remaining: remaining.toString(), refunded: '0', refundableUntil }, now, room.toString(), 24);
        const crypto = refundDecision({ method: 'crypto', remaining: remaining.toString(), refunded: '0', refundableUntil }, now, room.toString(), 24);
        if (crypto.ok) return false;
        if (hoursLeft < 0) return !card.ok && card.reason === 'refund_window_closed';
        if (remaining.isZero()) return !card.ok && card.reason === 'nothing_to_refund';
        if (room.lte(0)) return !card.ok && card.reason === 'reserved_by_leases';
        if (!card.ok) return false;
        const refunded = new Decimal(card.amount);
        return refunded.equals(Decimal.min(remaining, room)) && refunded.lte(amount) && card.partial === refunded.lt(remaining);
      }),
    );
  });
});
