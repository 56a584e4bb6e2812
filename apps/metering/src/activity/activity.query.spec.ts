import { activityQuerySchema, resolveWindow, usageExportQuerySchema } from './activity.query.js';

describe('activity query parameters', () => {
  it('defaults to grouping by day and accepts a valid window and filters', () => {
    expect(activityQuerySchema.parse({})).toEqual({ group_by: 'day' });
    expect(activityQuerySchema.parse({ group_by: 'key', from: '2025-01-01', to: '2025-01-31', account_id: 'a', key_id: 'k' })).toEqual({
      group_by: 'key',
      from: '2025-01-01',
      to: '2025-01-31',
      account_id: 'a',
      key_id: 'k',
    });
  });

  it.each([
    [{ group_by: 'user' }, 'group_by'],
    [{ from: '2025-02-30' }, 'from'],
    [{ from: '01/02/2025' }, 'from'],
    [{ from: '2025-02-02', to: '2025-02-01' }, 'from'],
    [{ groupby: 'day' }, ''],
    [{ account_id: '' }, 'account_id'],
    [{ from: ['2025-01-01', '2025-01-02'] }, 'from'],
  ])('rejects %j', (query, path) => {
    const result = activityQuerySchema.safeParse(query);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((issue) => issue.path.join('.'))).toContain(path);
  });

  it('export parameters reject unknown keys', () => {
    expect(usageExportQuerySchema.safeParse({ group_by: 'day' }).success).toBe(false);
  });

  it('resolves the default window: the 30 days up to today, or 30 days up to `to`', () => {
    expect(resolveWindow(undefined, undefined, new Date('2025-03-15T18:00:00Z'))).toEqual({ from: '2025-02-14', to: '2025-03-15' });
    expect(resolveWindow(undefined, '2025-01-30')).toEqual({ from: '2025-01-01', to: '2025-01-30' });
    expect(resolveWindow('2024-12-01', undefined, new Date('2025-01-01T00:00:00Z'))).toEqual({ from: '2024-12-01', to: '2025-01-01' });
  });
});
