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
