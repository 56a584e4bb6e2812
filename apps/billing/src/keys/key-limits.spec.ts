import { ZERO_WINDOWS, limitRemaining, reachedLimit, windowsOfBatch } from './key-limits.js';

const windows = { ...ZERO_WINDOWS, usage: '9', usageDaily: '1', usageWeekly: '3', usageMonthly: '5', byokUsage: '90', byokUsageDaily: '10', byokUsageWeekly: '30', byokUsageMonthly: '50' };

describe('limitRemaining', () => {
  it('is null for unlimited keys', () => {
    expect(limitRemaining({ limit: null, limitReset: 'daily', includeByokInLimit: false }, windows)).toBeNull();
  });

  it('subtracts the usage of the current window, or of all time without a reset', () => {
    expect(limitRemaining({ limit: '10', limitReset: 'daily', includeByokInLimit: false }, windows)).toBe('9');
    expect(limitRemaining({ limit: '10', limitReset: 'weekly', includeByokInLimit: false }, windows)).toBe('7');
    expect(limitRemaining({ limit: '10', limitReset: 'monthly', includeByokInLimit: false }, windows)).toBe('5');
    expect(limitRemaining({ limit: '10', limitReset: null, includeByokInLimit: false }, windows)).toBe('1');
  });

  it('counts BYOK usage only when the key includes it, and goes negative when debits overshoot', () => {
    expect(limitRemaining({ limit: '20', limitReset: 'daily', includeByokInLimit: true }, windows)).toBe('9');
    expect(limitRemaining({ limit: '20', limitReset: 'weekly', includeByokInLimit: true }, windows)).toBe('-13');
  });
});

describe('reachedLimit and windowsOfBatch', () => {
  const starts = { day: '2026-11-25', week: '2026-11-23', month: '2026-11-01' };
  const monthly = { limit: '10', limitReset: 'monthly' as const, includeByokInLimit: false };

  it('sums what a batch added to each window from its day rows (days before a window left out of it)', () => {
    const batch = windowsOfBatch(
      [
        { day: '2026-11-25', usage: '1.5', byokUsage: '0' },
        { day: '2026-11-24', usage: '2', byokUsage: '7' },
        { day: '2026-10-31', usage: '4', byokUsage: '0' },
      ],
      { usage: '7.5', byokUsage: '7' },
      starts,
    );
    expect(batch).toEqual({ usage: '7.5', usageDaily: '1.5', usageWeekly: '3.5', usageMonthly: '3.5', byokUsage: '7', byokUsageDaily: '0', byokUsageWeekly: '7', byokUsageMonthly: '7' });
  });

  it('says the batch reached the limit only when it crossed it: below before, at or past after', () => {
    const after = (usageMonthly: string) => ({ ...ZERO_WINDOWS, usageMonthly });
    const batch = (usageMonthly: string) => ({ ...ZERO_WINDOWS, usageMonthly });
    expect(reachedLimit(monthly, after('10.2'), batch('0.5'))).toEqual({ used: '10.2' });
    expect(reachedLimit(monthly, after('10'), batch('0.5'))).toEqual({ used: '10' });
    // Already past before this batch, or still below after it: nothing new.
    expect(reachedLimit(monthly, after('10.7'), batch('0.5'))).toBeNull();
    expect(reachedLimit(monthly, after('9.99'), batch('0.5'))).toBeNull();
    expect(reachedLimit({ ...monthly, limit: null }, after('99'), batch('99'))).toBeNull();
    // BYOK usage counts only for keys that include it.
    const byok = { ...ZERO_WINDOWS, usageMonthly: '9', byokUsageMonthly: '2' };
    expect(reachedLimit({ ...monthly, includeByokInLimit: true }, byok, { ...ZERO_WINDOWS, byokUsageMonthly: '2' })).toEqual({ used: '11' });
    expect(reachedLimit(monthly, byok, { ...ZERO_WINDOWS, byokUsageMonthly: '2' })).toBeNull();
  });
});
