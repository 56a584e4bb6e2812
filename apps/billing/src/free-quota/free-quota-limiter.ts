import type { FreeQuotaReply } from '@switchyard/contracts';
import { DAY_MS, MINUTE_MS, isoDay, utcDayStart } from '../common/time.js';

interface AccountQuota {
  /** Times (epoch ms) of the requests allowed in the last minute, oldest first: a sliding window. */
  minute: number[];
  /** UTC day the daily counter belongs to ("YYYY-MM-DD"). */
  day: string;
  /** The day's count as last read from / written to Postgres (every replica's requests). */
  persisted: number;
  /** Requests allowed here and not yet persisted. */
  pending: number;
}

export interface PendingCount {
  accountId: string;
  day: string;
  delta: number;
}

/**
 * In-memory `:free` model quota of every account: a sliding one-minute window (the last `perMinute` request times)
 * and a fixed UTC-day counter. Refused requests do not count. The daily counts are persisted in batches
 * (`drainPending` → write → `confirm`), so they survive a restart; the minute window is memory only, and counts
 * the other replicas' requests too (`observe`).
 */
export class FreeQuotaLimiter {
  private readonly accounts = new Map<string, AccountQuota>();
  /** Counts of a day that ended before they were persisted. */
  private carried: PendingCount[] = [];

  constructor(private readonly perMinute: number) {}

  /** Takes one request of the account's quota, or says which window refuses it and for how long. */
  take(accountId: string, dayLimit: number, now: number): FreeQuotaReply {
    const quota = this.quotaFor(accountId, now);
    while (quota.minute.length > 0 && quota.minute[0]! <= now - MINUTE_MS) quota.minute.shift();
    const dayUsed = quota.persisted + quota.pending;
    const dayResetAt = utcDayStart(now) + DAY_MS;
    if (dayUsed >= dayLimit) {
      return { allowed: false, window: 'day', limit: dayLimit, remaining: 0, resetAt: dayResetAt, retryAfterSeconds: Math.max(1, Math.ceil((dayResetAt - now) / 1000)) };
    }
    if (quota.minute.length >= this.perMinute) {
      const resetAt = quota.minute[0]! + MINUTE_MS;
      return { allowed: false, window: 'minute', limit: this.perMinute, remaining: 0, resetAt, retryAfterSeconds: Math.max(1, Math.ceil((resetAt - now) / 1000)) };
    }
    quota.minute.push(now);
    quota.pending += 1;
    const minuteRemaining = this.perMinute - quota.minute.length;
    const dayRemaining = dayLimit - dayUsed - 1;
    if (minuteRemaining <= dayRemaining) {
      return { allowed: true, window: 'minute', limit: this.perMinute, remaining: minuteRemaining, resetAt: quota.minute[0]! + MINUTE_MS, retryAfterSeconds: 0 };
    }
    return { allowed: true, window: 'day', limit: dayLimit, remaining: dayRemaining, resetAt: dayResetAt, retryAfterSeconds: 0 };
  }

  /**
   * A request another replica allowed at `at`: it counts in this account's minute window here too (kept in time
   * order), not in the daily count (that one converges through Postgres).
   */
  observe(accountId: string, at: number, now: number): void {
    if (at <= now - MINUTE_MS) return;
    const window = this.quotaFor(accountId, now).minute;
    let index = window.length;
    while (index > 0 && window[index - 1]! > at) index -= 1;
    window.splice(index, 0, at);
  }

  /** Requests in the account's current minute window, every replica's (for the admin view). */
  usedThisMinute(accountId: string, now: number): number {
    const window = this.accounts.get(accountId)?.minute ?? [];
    let used = 0;
    for (const at of window) if (at > now - MINUTE_MS) used += 1;
    return used;
  }

  /** What the account used today (persisted + pending), for the admin view. */
  usedToday(accountId: string, now: number): number {
    const quota = this.accounts.get(accountId);
    return quota && quota.day === isoDay(now) ? quota.persisted + quota.pending : 0;
  }

  /** Loads a persisted daily count (at start). */
  seed(accountId: string, day: string, count: number, now: number): void {
    if (day !== isoDay(now)) return;
    const quota = this.quotaFor(accountId, now);
    quota.persisted = Math.max(quota.persisted, count);
  }

  /** Takes every count not yet persisted (the caller writes them, then calls `confirm` or `restore`). */
  drainPending(): PendingCount[] {
    const drained = this.carried;
    this.carried = [];
    for (const [accountId, quota] of this.accounts) {
      if (quota.pending === 0) continue;
      drained.push({ accountId, day: quota.day, delta: quota.pending });
      quota.persisted += quota.pending;
      quota.pending = 0;
    }
    return drained;
  }

  /** After a write: the day's total in Postgres, which includes other replicas' requests. */
  confirm(accountId: string, day: string, total: number): void {
    const quota = this.accounts.get(accountId);
    if (quota && quota.day === day) quota.persisted = Math.max(quota.persisted, total);
  }

  /** A write failed: the counts go back to pending. */
  restore(counts: readonly PendingCount[]): void {
    for (const count of counts) {
      const quota = this.accounts.get(count.accountId);
      if (quota && quota.day === count.day) {
        quota.persisted -= count.delta;
        quota.pending += count.delta;
      } else {
        this.carried.push(count);
      }
    }
  }

  /** Forgets accounts with nothing to remember (idle for a minute, nothing pending, counted on an earlier day). */
  prune(now: number): void {
    const today = isoDay(now);
    for (const [accountId, quota] of this.accounts) {
      const idle = quota.minute.length === 0 || quota.minute[quota.minute.length - 1]! <= now - MINUTE_MS;
      if (idle && quota.pending === 0 && quota.day !== today) this.accounts.delete(accountId);
    }
  }

  get size(): number {
    return this.accounts.size;
  }

  private quotaFor(accountId: string, now: number): AccountQuota {
    const today = isoDay(now);
    let quota = this.accounts.get(accountId);
    if (!quota) {
      quota = { minute: [], day: today, persisted: 0, pending: 0 };
      this.accounts.set(accountId, quota);
    } else if (quota.day !== today) {
      if (quota.pending > 0) this.carried.push({ accountId, day: quota.day, delta: quota.pending });
      quota.day = today;
      quota.persisted = 0;
      quota.pending = 0;
    }
    return quota;
  }
}
