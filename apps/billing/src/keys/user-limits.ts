import type { LimitReset } from '@switchyard/contracts';
import { Decimal, formatMoney, toDecimal } from '@switchyard/money';
import { nextWindowStart, windowStart } from '../common/time.js';

/** The longest end-user id tracked (what ingress accepts as `user`). */
export const MAX_USER_LENGTH = 512;

/** A key with a per-end-user budget (`user_limit`, USD per `user_limit_reset` window; null reset = for good). */
export interface UserLimitedKey {
  id: string;
  hash: string;
  user_limit: string;
  user_limit_reset: LimitReset | null;
}

/** What one end user spent through one key in one window (the window's start, epoch ms; 0 for a limit that never resets). */
export interface UserSpend {
  keyId: string;
  user: string;
  windowStart: number;
  spend: string;
}

/** The start of the window containing `ms` (0, the epoch, for a limit that never resets). */
export function userWindowStart(reset: LimitReset | null, ms: number): number {
  return reset === null ? 0 : windowStart(reset, ms);
}

/** When the window starting at `start` ends; null for a limit that never resets. */
export function userWindowEnd(reset: LimitReset | null, start: number): number | null {
  return reset === null ? null : nextWindowStart(reset, start);
}

/**
 * What a debit batch adds per key, end user and window: the cost of each event that names a user (`user`, kept as
 * `externalUser`) on a key with a user limit, in the window of when it happened. Sorted (one lock order).
 */
export function userSpendOfBatch(events: ReadonlyArray<{ keyId: string; externalUser?: string | null; cost: string; at: number }>, keys: ReadonlyMap<string, UserLimitedKey>): UserSpend[] {
  const totals = new Map<string, UserSpend & { total: Decimal }>();
  for (const event of events) {
    const key = keys.get(event.keyId);
    // Ingress takes `user` up to 512 characters; a longer one (a foreign publisher) would not fit the table's index
    // and fail the whole debit batch, so it is not tracked.
    if (!key || !event.externalUser || event.externalUser.length > MAX_USER_LENGTH) continue;
    const start = userWindowStart(key.user_limit_reset, event.at);
    const id = JSON.stringify([event.keyId, event.externalUser, start]);
    const entry = totals.get(id) ?? { keyId: event.keyId, user: event.externalUser, windowStart: start, spend: '0', total: new Decimal(0) };
    entry.total = entry.total.plus(toDecimal(event.cost));
    totals.set(id, entry);
  }
  return [...totals.values()]
    .filter((entry) => entry.total.gt(0))
    .map(({ total, ...entry }) => ({ ...entry, spend: formatMoney(total) }))
    .sort((a, b) => (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : a.user < b.user ? -1 : a.user > b.user ? 1 : a.windowStart - b.windowStart));
}

/** Whether adding `added` took a user's spend from below `limit` to at or past it (`after` includes it). */
export function reachedUserLimit(after: string, added: string, limit: string): boolean {
  const total = toDecimal(after);
  return total.gte(toDecimal(limit)) && total.minus(toDecimal(added)).lt(toDecimal(limit));
}
