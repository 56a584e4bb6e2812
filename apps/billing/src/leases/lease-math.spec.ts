import fc from 'fast-check';
import { Decimal, formatMoney } from '@switchyard/money';
import { type LeaseInput, type LeaseRow, accountLeasesOutstanding, planLease } from './lease-math.js';

const NOW = 1_000_000;
const TTL = 1_000;

function input(overrides: Partial<LeaseInput>): LeaseInput {
  return { now: NOW, ttlMs: TTL, replicaId: 'r1', requested: '1', newLeaseId: 'lease-new', balance: '10', overdraft: '0', accountDisabled: false, key: null, leases: [], ...overrides };
}

function row(overrides: Partial<LeaseRow>): LeaseRow {
  return { rowId: '1', keyId: null, replicaId: 'r1', leaseId: 'lease-a', granted: '0', debited: '0', expiresAt: NOW + 500, ...overrides };
}

describe('planLease', () => {
  it('grants what is asked when the balance allows, starting a new epoch', () => {
    const decision = planLease(input({ requested: '3' }));
    expect(decision).toMatchObject({ leaseId: 'lease-new', grantedNow: '3', granted: '3', grantedTotal: '3', debitedTotal: '0', keyGranted: null, expiresAt: NOW + TTL });
    expect(decision.accountLease).toMatchObject({ rowId: null, keyId: null, replicaId: 'r1', granted: '3', debited: '0' });
  });

  it('never grants beyond balance + overdraft minus what every other active lease holds', () => {
    const leases = [row({ rowId: '7', replicaId: 'r2', leaseId: 'lease-b', granted: '6', debited: '1' })]; // r2 holds 5
    expect(planLease(input({ requested: '100', leases })).grantedNow).toBe('5');
    expect(planLease(input({ requested: '100', leases, overdraft: '2.5' })).grantedNow).toBe('7.5');
    expect(planLease(input({ requested: '100', leases, balance: '3' })).grantedNow).toBe('0');
    expect(planLease(input({ requested: '100', balance: '-4', overdraft: '1' })).grantedNow).toBe('0');
  });

  it('adds to the replica’s own outstanding and reports it as granted', () => {
    const leases = [row({ granted: '4', debited: '1.5' })]; // own outstanding 2.5
    const decision = planLease(input({ requested: '5', leases }));
    expect(decision).toMatchObject({ leaseId: 'lease-a', grantedNow: '5', granted: '7.5', grantedTotal: '9', debitedTotal: '1.5' });
    expect(planLease(input({ requested: '50', leases })).grantedNow).toBe('7.5'); // 10 − 2.5
  });

  it('renews with requested 0: same epoch, new expiry, current outstanding', () => {
    const leases = [row({ granted: '4', debited: '1' })];
    expect(planLease(input({ requested: '0', leases }))).toMatchObject({ leaseId: 'lease-a', grantedNow: '0', granted: '3', expiresAt: NOW + TTL });
  });

  it('stops counting expired leases, and a replica whose lease expired starts a fresh epoch', () => {
    const leases = [row({ rowId: '1', replicaId: 'r2', leaseId: 'lease-b', granted: '9', expiresAt: NOW }), row({ rowId: '2', granted: '5', debited: '1', expiresAt: NOW - 1 })];
    const decision = planLease(input({ requested: '10', leases }));
    expect(decision).toMatchObject({ leaseId: 'lease-new', grantedNow: '10', granted: '10', grantedTotal: '10', debitedTotal: '0' });
    expect(decision.accountLease.rowId).toBe('2');
  });

  it('grants nothing to a disabled account or an unusable key', () => {
    expect(planLease(input({ accountDisabled: true })).grantedNow).toBe('0');
    expect(planLease(input({ key: { id: 'k', usable: false, limitRemaining: null } })).grantedNow).toBe('0');
  });

  it('bounds a key with a limit by its remaining limit minus other replicas’ key leases, and grows both leases alike', () => {
    const leases = [row({ rowId: '5', keyId: 'k', replicaId: 'r2', leaseId: 'lease-b', granted: '2', debited: '0.5' })];
    const decision = planLease(input({ requested: '5', key: { id: 'k', usable: true, limitRemaining: '3' }, leases }));
    expect(decision).toMatchObject({ grantedNow: '1.5', granted: '1.5', keyGranted: '1.5', keyGrantedTotal: '1.5', keyDebitedTotal: '0' });
    expect(decision.keyLease).toMatchObject({ rowId: null, keyId: 'k', replicaId: 'r1', leaseId: 'lease-new' });
    expect(planLease(input({ requested: '5', key: { id: 'k', usable: true, limitRemaining: '-1' } })).grantedNow).toBe('0');
    expect(planLease(input({ requested: '5', key: { id: 'k', usable: true, limitRemaining: null } })).keyGranted).toBeNull();
  });

  it('gives room back with shrinkTo (never below what was debited) before granting', () => {
    const leases = [row({ rowId: '1', granted: '6', debited: '1' }), row({ rowId: '2', keyId: 'k1', granted: '6', debited: '0.5' }), row({ rowId: '3', replicaId: 'r2', leaseId: 'lease-b', granted: '4' })];
    const shrunk = planLease(input({ requested: '0', shrinkTo: '2', leases }));
    expect(shrunk).toMatchObject({ leaseId: 'lease-a', granted: '1', grantedTotal: '2', debitedTotal: '1', renewedKeyLeaseRowIds: [] });
    expect(shrunk.shrunkKeyLeases).toEqual([expect.objectContaining({ rowId: '2', granted: '2', debited: '0.5' })]);
    expect(planLease(input({ requested: '0', shrinkTo: '0', leases })).grantedTotal).toBe('1'); // the debited part stays
    expect(planLease(input({ requested: '0', shrinkTo: '9', leases })).grantedTotal).toBe('6'); // never grows
    // Room given back is available at once: 10 − 4 (r2) − 1 (r1 outstanding after shrinking) = 5.
    expect(planLease(input({ requested: '100', shrinkTo: '2', leases })).grantedNow).toBe('5');
  });

  it('renews the replica’s other key leases of the same epoch', () => {
    const leases = [row({ rowId: '1', granted: '2' }), row({ rowId: '2', keyId: 'k1', granted: '1' }), row({ rowId: '3', keyId: 'k2', granted: '1' }), row({ rowId: '4', keyId: 'k3', replicaId: 'r2', granted: '1' })];
    expect(planLease(input({ requested: '0', leases })).renewedKeyLeaseRowIds).toEqual(['2', '3']);
  });
});

/**
 * The money invariant, by simulation: several replicas take leases, spend only within what they hold (and only
 * while the lease has at least SAFETY ms left), publish each spend as a debit that reaches billing within LAG ms
 * (LAG < SAFETY), while billing applies grants, debits, top-ups, refunds/expiries (limited to the free room) and
 * lease expiry in any interleaving. Total spend never exceeds credits + overdraft, nor a key's spend its limit.
 */
describe('lease invariant (property)', () => {
  const SAFETY = 200;
  const LAG = 150;
  const REPLICAS = 3;

  type Op =
    | { kind: 'lease'; replica: number; cents: number }
    | { kind: 'spend'; replica: number; fraction: number }
    | { kind: 'deliver'; index: number }
    | { kind: 'tick'; ms: number }
    | { kind: 'topUp'; cents: number }
    | { kind: 'remove'; cents: number }
    | { kind: 'release'; replica: number };

  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('lease' as const), replica: fc.nat(REPLICAS - 1), cents: fc.nat(2_000) }),
    fc.record({ kind: fc.constant('spend' as const), replica: fc.nat(REPLICAS - 1), fraction: fc.double({ min: 0.2, max: 1, noNaN: true }) }),
    fc.record({ kind: fc.constant('deliver' as const), index: fc.nat(20) }),
    fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 400 }) }),
    fc.record({ kind: fc.constant('topUp' as const), cents: fc.nat(500) }),
    fc.record({ kind: fc.constant('remove' as const), cents: fc.nat(500) }),
    fc.record({ kind: fc.constant('release' as const), replica: fc.nat(REPLICAS - 1) }),
  );

  it('never lets the replicas spend more than credits + overdraft (or a key more than its limit)', () => {
    fc.assert(
      fc.property(fc.nat(2_000), fc.nat(300), fc.option(fc.nat(1_500), { nil: null }), fc.array(op, { minLength: 10, maxLength: 150 }), (startCents, overdraftCents, keyLimitCents, ops) => {
        let now = 0;
        let credits = new Decimal(startCents).dividedBy(100);
        const overdraft = new Decimal(overdraftCents).dividedBy(100);
        const keyLimit = keyLimitCents === null ? null : new Decimal(keyLimitCents).dividedBy(100);
        let debited = new Decimal(0);
        let keyDebited = new Decimal(0);
        let spent = new Decimal(0);
        let rows: LeaseRow[] = [];
        let nextRowId = 1;
        let nextLeaseId = 1;
        const replicas = Array.from({ length: REPLICAS }, () => ({ leaseId: '', grantedTotal: new Decimal(0), keyGrantedTotal: null as Decimal | null, spent: new Decimal(0), expiresAt: 0 }));
        const pending: Array<{ leaseId: string; amount: Decimal; at: number }> = [];

        const deliver = (index: number) => {
          const [debit] = pending.splice(index, 1);
          if (!debit) return;
          debited = debited.plus(debit.amount);
          keyDebited = keyDebited.plus(debit.amount);
          rows = rows.map((candidate) => (candidate.leaseId === debit.leaseId ? { ...candidate, debited: formatMoney(new Decimal(candidate.debited).plus(debit.amount)) } : candidate));
        };

        for (const step of ops) {
          switch (step.kind) {
            case 'lease':
            case 'release': {
              const replicaId = `r${step.replica}`;
              const releasing = step.kind === 'release';
              if (releasing && replicas[step.replica]!.leaseId === '') break;
              const decision = planLease({
                shrinkTo: releasing ? replicas[step.replica]!.spent : null,
                now,
                ttlMs: 1_000,
                replicaId,
                requested: step.kind === 'lease' ? new Decimal(step.cents).dividedBy(100) : 0,
                newLeaseId: `L${nextLeaseId++}`,
                balance: credits.minus(debited),
                overdraft,
                accountDisabled: false,
                key: keyLimit === null ? null : { id: 'k', usable: true, limitRemaining: formatMoney(keyLimit.minus(keyDebited)) },
                leases: rows,
              });
              if (new Decimal(decision.grantedNow).lt(0)) return false;
              for (const written of [decision.accountLease, decision.keyLease, ...decision.shrunkKeyLeases]) {
                if (!written) continue;
                if (written.rowId === null) rows.push({ ...written, rowId: String(nextRowId++) });
                else rows = rows.map((candidate) => (candidate.rowId === written.rowId ? written : candidate));
              }
              rows = rows.map((candidate) => (decision.renewedKeyLeaseRowIds.includes(candidate.rowId!) ? { ...candidate, expiresAt: decision.expiresAt } : candidate));
              const replica = replicas[step.replica]!;
              if (replica.leaseId !== decision.leaseId) replica.spent = new Decimal(0);
              replica.leaseId = decision.leaseId;
              replica.grantedTotal = new Decimal(decision.grantedTotal);
              replica.keyGrantedTotal = decision.keyGrantedTotal === null ? null : new Decimal(decision.keyGrantedTotal);
              replica.expiresAt = decision.expiresAt;
              break;
            }
            case 'spend': {
              // Spend on the chosen replica, or on the next one that holds a lease.
              const replica = [0, 1, 2].map((offset) => replicas[(step.replica + offset) % REPLICAS]!).find((candidate) => candidate.leaseId !== '') ?? replicas[step.replica]!;
              if (!replica.leaseId || now > replica.expiresAt - SAFETY) break;
              let room = replica.grantedTotal.minus(replica.spent);
              if (replica.keyGrantedTotal !== null) room = Decimal.min(room, replica.keyGrantedTotal.minus(replica.spent));
              const amount = room.times(step.fraction).toDecimalPlaces(6, Decimal.ROUND_DOWN);
              if (amount.lte(0)) break;
              replica.spent = replica.spent.plus(amount);
              spent = spent.plus(amount);
              pending.push({ leaseId: replica.leaseId, amount, at: now });
              break;
            }
            case 'deliver':
              deliver(step.index % Math.max(1, pending.length));
              break;
            case 'tick': {
              // Debits reach billing within LAG: deliver the ones that would be late before time moves on.
              for (let index = pending.length - 1; index >= 0; index--) if (pending[index]!.at + LAG <= now + step.ms) deliver(index);
              now += step.ms;
              break;
            }
            case 'topUp':
              credits = credits.plus(new Decimal(step.cents).dividedBy(100));
              break;
            case 'remove': {
              // A refund or an expiry: only the room no active lease holds.
              const room = Decimal.max(0, credits.minus(debited).minus(accountLeasesOutstanding(rows, now)));
              credits = credits.minus(Decimal.min(room, new Decimal(step.cents).dividedBy(100)));
              break;
            }
          }
          if (spent.gt(credits.plus(overdraft))) return false;
          if (keyLimit !== null && spent.gt(keyLimit)) return false;
        }
        return true;
      }),
      { numRuns: 400 },
    );
  });
});
