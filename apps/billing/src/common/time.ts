import type { LimitReset } from '@switchyard/contracts';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Midnight UTC of the day containing `ms`. */
export function utcDayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** Monday 00:00 UTC of the week containing `ms` (weeks start on Monday, as OpenRouter's windows). */
export function utcWeekStart(ms: number): number {
  const day = utcDayStart(ms);
  const weekday = new Date(day).getUTCDay(); // 0 = Sunday
  const sinceMonday = (weekday + 6) % 7;
  return day - sinceMonday * DAY_MS;
}

/** The first of the month, 00:00 UTC. */
export function utcMonthStart(ms: number): number {
  const date = new Date(ms);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

/** Start of the current limit window. */
export function windowStart(reset: LimitReset, ms: number): number {
  switch (reset) {
    case 'daily':
      return utcDayStart(ms);
    case 'weekly':
      return utcWeekStart(ms);
    case 'monthly':
      return utcMonthStart(ms);
  }
}

/** When the current limit window ends (the next reset), epoch ms. */
export function nextWindowStart(reset: LimitReset, ms: number): number {
  switch (reset) {
    case 'daily':
      return utcDayStart(ms) + DAY_MS;
    case 'weekly':
      return utcWeekStart(ms) + 7 * DAY_MS;
    case 'monthly':
      return addUtcMonths(utcMonthStart(ms), 1);
  }
}

/** "YYYY-MM-DD" of the UTC day containing `ms` (the key of daily aggregates). */
export function isoDay(ms: number): string {
  return new Date(utcDayStart(ms)).toISOString().slice(0, 10);
}

/**
 * `months` calendar months later, same time of day; the day is clamped to the target month's length
 * (Feb 29 + 12 months = Feb 28), so a credit bought on the 31st never expires in the month after next.
 */
export function addUtcMonths(ms: number, months: number): number {
  const date = new Date(ms);
  const targetMonth = date.getUTCMonth() + months;
  const year = date.getUTCFullYear() + Math.floor(targetMonth / 12);
  const month = ((targetMonth % 12) + 12) % 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(date.getUTCDate(), lastDay);
  return Date.UTC(year, month, day, date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds(), date.getUTCMilliseconds());
}
