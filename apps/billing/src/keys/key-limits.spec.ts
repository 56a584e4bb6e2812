import { ZERO_WINDOWS, limitRemaining } from './key-limits.js';

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
