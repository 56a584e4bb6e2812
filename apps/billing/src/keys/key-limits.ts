import type { LimitReset } from '@switchyard/contracts';
import { Decimal, formatMoney, toDecimal } from '@switchyard/money';

/** Usage of one key per window, decimal strings (UTC days; weeks start on Monday). */
export interface UsageWindows {
  usage: string;
  usageDaily: string;
  usageWeekly: string;
  usageMonthly: string;
  byokUsage: string;
  byokUsageDaily: string;
  byokUsageWeekly: string;
  byokUsageMonthly: string;
}

export const ZERO_WINDOWS: UsageWindows = Object.freeze({
  usage: '0',
  usageDaily: '0',
  usageWeekly: '0',
  usageMonthly: '0',
  byokUsage: '0',
  byokUsageDaily: '0',
  byokUsageWeekly: '0',
  byokUsageMonthly: '0',
});

export interface KeyLimit {
  limit: string | null;
  limitReset: LimitReset | null;
  includeByokInLimit: boolean;
}

/** What the key used of its limit in the current window (BYOK usage only when the key includes it). */
export function usageAgainstLimit(key: KeyLimit, windows: UsageWindows): Decimal {
  const pick = (credits: string, byok: string) => (key.includeByokInLimit ? toDecimal(credits).plus(toDecimal(byok)) : toDecimal(credits));
  switch (key.limitReset) {
    case 'daily':
      return pick(windows.usageDaily, windows.byokUsageDaily);
    case 'weekly':
      return pick(windows.usageWeekly, windows.byokUsageWeekly);
    case 'monthly':
      return pick(windows.usageMonthly, windows.byokUsageMonthly);
    default:
      return pick(windows.usage, windows.byokUsage);
  }
}

/** limit − usage in the current window; null when unlimited. Negative when debits overshot the limit. */
export function limitRemaining(key: KeyLimit, windows: UsageWindows): string | null {
  if (key.limit === null) return null;
  return formatMoney(new Decimal(key.limit).minus(usageAgainstLimit(key, windows)));
}

/** Per-day usage of one key as a debit batch adds it (UTC day, decimal strings). */
export interface DayUsage {
  day: string;
  usage: string;
  byokUsage: string;
}

/**
 * The usage windows at `now` (as RecordsRepository.windows computes them) that a batch's day rows and totals make
 * up: what the batch added to each window.
 */
export function windowsOfBatch(days: readonly DayUsage[], totals: { usage: string; byokUsage: string }, starts: { day: string; week: string; month: string }): UsageWindows {
  const sum = (since: string, field: 'usage' | 'byokUsage') => formatMoney(days.filter((entry) => entry.day >= since).reduce((total, entry) => total.plus(toDecimal(entry[field])), new Decimal(0)));
  return {
    usage: formatMoney(totals.usage),
    usageDaily: sum(starts.day, 'usage'),
    usageWeekly: sum(starts.week, 'usage'),
    usageMonthly: sum(starts.month, 'usage'),
    byokUsage: formatMoney(totals.byokUsage),
    byokUsageDaily: sum(starts.day, 'byokUsage'),
    byokUsageWeekly: sum(starts.week, 'byokUsage'),
    byokUsageMonthly: sum(starts.month, 'byokUsage'),
  };
}

/**
 * Whether the batch took the key to its limit: below it before the batch (`after` minus what the batch added), at or
 * past it after. Once per window: later batches start at or past it.
 */
export function reachedLimit(key: KeyLimit, after: UsageWindows, batch: UsageWindows): { used: string } | null {
  if (key.limit === null) return null;
  const limit = toDecimal(key.limit);
  const used = usageAgainstLimit(key, after);
  const before = used.minus(usageAgainstLimit(key, batch));
  return before.lt(limit) && used.gte(limit) ? { used: formatMoney(used) } : null;
}
