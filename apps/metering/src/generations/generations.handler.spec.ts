import { BadRequestError } from '@switchyard/contracts';
import { activityWindow } from './generations.handler.js';

describe('activityWindow', () => {
  const now = Date.parse('2026-11-25T13:45:00Z');

  it('is the last 30 completed UTC days without a date: from 30 days before today, up to today 00:00 (excluded)', () => {
    expect(activityWindow(now, undefined)).toEqual({ from: new Date('2026-10-26T00:00:00Z'), to: new Date('2026-11-25T00:00:00Z') });
  });

  it('is one day with a date inside that window, its first and last days included', () => {
    expect(activityWindow(now, '2026-11-24')).toEqual({ from: new Date('2026-11-24T00:00:00Z'), to: new Date('2026-11-25T00:00:00Z') });
    expect(activityWindow(now, '2026-10-26')).toEqual({ from: new Date('2026-10-26T00:00:00Z'), to: new Date('2026-10-27T00:00:00Z') });
  });

  it('refuses today, the future, days before the window and days that do not exist with a 400 naming the window', () => {
    for (const date of ['2026-11-25', '2026-12-01', '2026-10-25', '2026-02-30', '2026-13-01']) {
      expect(() => activityWindow(now, date)).toThrow(BadRequestError);
    }
    expect(() => activityWindow(now, '2026-11-25')).toThrow('last 30 completed UTC days (2026-10-26 to 2026-11-24)');
  });
});
