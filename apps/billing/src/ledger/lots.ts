import { Decimal, type DecimalInput, type FeeRule, feeFor, formatMoney, toDecimal } from '@switchyard/money';
import { addUtcMonths } from '../common/time.js';

/**
 * The pure rules of credit lots: which lot usage consumes (the oldest first), what a new credit pays (the debt
 * first), top-up fees, refund eligibility and expiry. No I/O: the ledger service loads rows, asks these functions,
 * and writes the answer in one transaction.
 */

export type TopUpMethod = 'card' | 'crypto' | 'grant';
export type LotMethod = TopUpMethod | 'adjustment';

export interface OpenLot {
  id: string;
  /** Credits left in the lot, decimal string. */
  remaining: string;
}

export interface LotChange {
  id: string;
  /** The lot's new remaining amount. */
  remaining: string;
  /** What was taken from it. */
  taken: string;
}

export interface Consumption {
  changes: LotChange[];
  /** The part no lot covered: it becomes debt (a negative balance). */
  uncovered: string;
}

/** Takes `amount` from `lots`, which the caller orders oldest first; what they cannot cover is returned as uncovered. */
export function consumeLots(lots: readonly OpenLot[], amount: DecimalInput): Consumption {
  let left = toDecimal(amount);
  if (left.lt(0)) throw new RangeError('cannot consume a negative amount');
  const changes: LotChange[] = [];
  for (const lot of lots) {
    if (left.isZero()) break;
    const remaining = toDecimal(lot.remaining);
    if (remaining.lte(0)) continue;
    const taken = Decimal.min(remaining, left);
    left = left.minus(taken);
    changes.push({ id: lot.id, remaining: formatMoney(remaining.minus(taken)), taken: formatMoney(taken) });
  }
  return { changes, uncovered: formatMoney(left) };
}

/** A new credit first pays down the debt; the rest is what the new lot holds. */
export function applyCredit(amount: DecimalInput, debt: DecimalInput): { remaining: string; debtPaid: string; debt: string } {
  const credit = toDecimal(amount);
  const owed = toDecimal(debt);
  const paid = Decimal.min(credit, owed);
  return { remaining: formatMoney(credit.minus(paid)), debtPaid: formatMoney(paid), debt: formatMoney(owed.minus(paid)) };
}

export interface TopUpFeeRules {
  card: FeeRule;
  crypto: FeeRule;
}

/** What a top-up costs the customer: the credits plus the fee of the method (grants are free). */
export function topUpQuote(amount: DecimalInput, method: TopUpMethod, rules: TopUpFeeRules): { amount: string; fee: string; total: string } {
  const credits = toDecimal(amount);
  const fee = method === 'grant' ? new Decimal(0) : feeFor(credits, rules[method]);
  return { amount: formatMoney(credits), fee: formatMoney(fee), total: formatMoney(credits.plus(fee)) };
}

/** When a lot bought at `purchasedAt` expires: `months` calendar months later (12 = one year). */
export function lotExpiresAt(purchasedAt: number, months: number): number {
  return addUtcMonths(purchasedAt, months);
}

export interface RefundCandidate {
  method: LotMethod;
  remaining: string;
  refunded: string;
  /** Epoch ms, null when the lot was never refundable. */
  refundableUntil: number | null;
}

export type RefundDecision =
  | { ok: true; amount: string; partial: boolean }
  | { ok: false; status: 400 | 409; reason: 'crypto_not_refundable' | 'not_a_purchase' | 'refund_window_closed' | 'nothing_to_refund' | 'reserved_by_leases'; message: string };

/**
 * Whether (and how much of) a purchase can be refunded now: only card purchases, only within the refund window,
 * only their unused credits, and never credits that outstanding credit leases reserve (`freeRoom` = balance − what
 * leases hold): refunding those could let ingress replicas spend money the account no longer has.
 */
export function refundDecision(lot: RefundCandidate, now: number, freeRoom: DecimalInput, windowHours: number): RefundDecision {
  if (lot.method === 'crypto') return { ok: false, status: 400, reason: 'crypto_not_refundable', message: 'Crypto purchases are not refundable' };
  if (lot.method !== 'card') return { ok: false, status: 400, reason: 'not_a_purchase', message: `Only card purchases can be refunded; this credit is a ${lot.method}` };
  if (lot.refundableUntil === null || now > lot.refundableUntil) {
    return { ok: false, status: 400, reason: 'refund_window_closed', message: `Purchases can be refunded only within ${windowHours} hours` };
  }
  const remaining = toDecimal(lot.remaining);
  if (remaining.lte(0)) {
    const message = toDecimal(lot.refunded).gt(0) ? 'This purchase was already refunded' : 'All credits of this purchase were used';
    return { ok: false, status: 409, reason: 'nothing_to_refund', message };
  }
  const room = Decimal.max(0, toDecimal(freeRoom));
  if (room.lte(0)) {
    return { ok: false, status: 409, reason: 'reserved_by_leases', message: 'The unused credits are reserved by requests in flight; retry in a few minutes' };
  }
  const amount = Decimal.min(remaining, room);
  return { ok: true, amount: formatMoney(amount), partial: amount.lt(remaining) };
}

/**
 * What an expiry sweep takes from lots that are past their expiry, oldest first: their remaining credits, but
 * never what outstanding leases reserve (`freeRoom`); a reserved remainder expires at a later sweep.
 */
export function expiryPlan(dueLots: readonly OpenLot[], freeRoom: DecimalInput): Array<{ id: string; expire: string; remaining: string }> {
  let room = Decimal.max(0, toDecimal(freeRoom));
  const plan: Array<{ id: string; expire: string; remaining: string }> = [];
  for (const lot of dueLots) {
    const remaining = toDecimal(lot.remaining);
    const expire = Decimal.min(remaining, room);
    if (expire.lte(0)) continue;
    room = room.minus(expire);
    plan.push({ id: lot.id, expire: formatMoney(expire), remaining: formatMoney(remaining.minus(expire)) });
  }
  return plan;
}
