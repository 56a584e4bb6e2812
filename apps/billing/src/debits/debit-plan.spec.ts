import { isBillable, planDebits, type DebitEvent } from './debit-plan.js';

const base: DebitEvent = { id: 'gen-1', accountId: 'acc', keyId: 'key', leaseId: 'L1', isByok: false, cost: '0.001', upstreamCost: '0.001', createdAt: '2025-06-02T10:00:00Z' };

describe('debit planning', () => {
  it('records costs and BYOK usage, but nothing for free non-BYOK generations', () => {
    expect(isBillable(base)).toBe(true);
    expect(isBillable({ ...base, cost: '0' })).toBe(false);
    expect(isBillable({ ...base, cost: '0', isByok: true, upstreamCost: '0.2' })).toBe(true);
    expect(isBillable({ ...base, cost: '0', isByok: true, upstreamCost: '0' })).toBe(false);
  });

  it('groups a batch into per-account totals, per key×day usage, BYOK months and lease debits', () => {
    const plan = planDebits(
      [
        base,
        { ...base, id: 'gen-2', cost: '0.0005' },
        { ...base, id: 'gen-3', createdAt: '2025-06-01T23:59:59Z', leaseId: null },
        { ...base, id: 'gen-4', accountId: 'other', keyId: 'k2', isByok: true, cost: '0.00005', upstreamCost: '0.001', leaseId: 'L2' },
        { ...base, id: 'gen-5', accountId: 'other', keyId: 'k2', isByok: true, cost: '0', upstreamCost: '0.002', createdAt: 'not a date' },
      ],
      Date.parse('2025-07-01T00:00:01Z'),
    );
    expect(Object.fromEntries(plan.accountTotals)).toEqual({ acc: '0.0025', other: '0.00005' });
    expect(plan.keyDays).toEqual(
      expect.arrayContaining([
        { keyId: 'key', day: '2025-06-02', usage: '0.0015', byokUsage: '0', requests: 2 },
        { keyId: 'key', day: '2025-06-01', usage: '0.001', byokUsage: '0', requests: 1 },
        { keyId: 'k2', day: '2025-06-02', usage: '0.00005', byokUsage: '0.001', requests: 1 },
        { keyId: 'k2', day: '2025-07-01', usage: '0', byokUsage: '0.002', requests: 1 },
      ]),
    );
    expect(plan.keyTotals).toEqual(expect.arrayContaining([{ keyId: 'key', usage: '0.0025', byokUsage: '0' }, { keyId: 'k2', usage: '0.00005', byokUsage: '0.003' }]));
    expect(plan.byokMonths).toEqual(
      expect.arrayContaining([
        { accountId: 'other', month: '2025-06-01', usage: '0.001', requests: 1 },
        { accountId: 'other', month: '2025-07-01', usage: '0.002', requests: 1 },
      ]),
    );
    expect(plan.leaseDebits).toEqual(expect.arrayContaining([{ leaseId: 'L1', keyId: 'key', amount: '0.0015' }, { leaseId: 'L2', keyId: 'k2', amount: '0.00005' }]));
    expect(plan.leaseDebits).toHaveLength(2);
  });
});
