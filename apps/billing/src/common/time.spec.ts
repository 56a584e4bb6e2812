import fc from 'fast-check';
import { DAY_MS, addUtcMonths, isoDay, nextWindowStart, utcDayStart, utcMonthStart, utcWeekStart, windowStart } from './time.js';

const at = (iso: string) => Date.parse(iso);

describe('UTC limit windows', () => {
  it('starts a day at midnight UTC, whatever the time of day', () => {
    expect(utcDayStart(at('2025-03-14T23:59:59.999Z'))).toBe(at('2025-03-14T00:00:00Z'));
    expect(utcDayStart(at('2025-03-15T00:00:00Z'))).toBe(at('2025-03-15T00:00:00Z'));
    expect(isoDay(at('2025-03-14T23:59:59.999Z'))).toBe('2025-03-14');
  });

  it('starts weeks on Monday, including for a Sunday and across a month and year boundary', () => {
    expect(utcWeekStart(at('2025-03-16T12:00:00Z'))).toBe(at('2025-03-10T00:00:00Z')); // Sunday → previous Monday
    expect(utcWeekStart(at('2025-03-17T00:00:00Z'))).toBe(at('2025-03-17T00:00:00Z')); // Monday itself
    expect(utcWeekStart(at('2025-01-01T08:00:00Z'))).toBe(at('2024-12-30T00:00:00Z')); // Wednesday
  });

  it('starts months on the 1st and knows the next reset of each window', () => {
    expect(utcMonthStart(at('2024-02-29T10:00:00Z'))).toBe(at('2024-02-01T00:00:00Z'));
    expect(windowStart('monthly', at('2024-02-29T10:00:00Z'))).toBe(at('2024-02-01T00:00:00Z'));
    expect(nextWindowStart('daily', at('2025-03-14T10:00:00Z'))).toBe(at('2025-03-15T00:00:00Z'));
    expect(nextWindowStart('weekly', at('2025-03-16T10:00:00Z'))).toBe(at('2025-03-17T00:00:00Z'));
    expect(nextWindowStart('monthly', at('2025-12-31T10:00:00Z'))).toBe(at('2026-01-01T00:00:00Z'));
  });

  it('always places now inside [windowStart, nextWindowStart), every window starting on a UTC midnight (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: at('2000-01-01T00:00:00Z'), max: at('2100-01-01T00:00:00Z') }), fc.constantFrom('daily', 'weekly', 'monthly') as fc.Arbitrary<'daily' | 'weekly' | 'monthly'>, (now, reset) => {
        const start = windowStart(reset, now);
        const next = nextWindowStart(reset, now);
        return start <= now && now < next && start % DAY_MS === 0 && next % DAY_MS === 0 && (reset !== 'weekly' || new Date(start).getUTCDay() === 1);
      }),
    );
  });
});

describe('addUtcMonths', () => {
  it('adds calendar months and clamps to the end of shorter months', () => {
    expect(addUtcMonths(at('2025-03-14T10:20:30.400Z'), 12)).toBe(at('2026-03-14T10:20:30.400Z'));
    expect(addUtcMonths(at('2024-02-29T12:00:00Z'), 12)).toBe(at('2025-02-28T12:00:00Z'));
    expect(addUtcMonths(at('2025-01-31T00:00:00Z'), 1)).toBe(at('2025-02-28T00:00:00Z'));
    expect(addUtcMonths(at('2025-11-30T00:00:00Z'), 3)).toBe(at('2026-02-28T00:00:00Z'));
  });

  it('a year later is 365 or 366 days later (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: at('2000-01-01T00:00:00Z'), max: at('2100-01-01T00:00:00Z') }), (now) => {
        const days = (addUtcMonths(now, 12) - now) / DAY_MS;
        return days >= 365 && days <= 366;
      }),
    );
  });
});
