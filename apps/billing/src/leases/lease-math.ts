import { Decimal, type DecimalInput, formatMoney, toDecimal } from '@switchyard/money';

/**
 * The credit-lease rule as a pure function. The service calls it inside a transaction that holds the account's
 * balance row lock (every grant and every debit of the account is serialised by that lock), with every lease row of
 * the account, and writes back what it returns.
 */

export interface LeaseRow {
  /** Database row id, null for a row to insert. */
  rowId: string | null;
  /** null: the account lease of the replica; set: its lease on that key's limit. */
  keyId: string | null;
  replicaId: string;
  /** Epoch id; debits carrying it reduce the outstanding. */
  leaseId: string;
  granted: string;
  debited: string;
  expiresAt: number;
}

export interface LeaseKeyInput {
  id: string;
  /** false when the key is disabled or expired: nothing is granted for it. */
  usable: boolean;
  /** limit − usage of the current window; null when the key is unlimited. */
  limitRemaining: string | null;
}

export interface LeaseInput {
  now: number;
  ttlMs: number;
  replicaId: string;
  requested: DecimalInput;
  /** The id a new epoch gets (when the replica holds no active lease). */
  newLeaseId: string;
  balance: DecimalInput;
  overdraft: DecimalInput;
  accountDisabled: boolean;
  /**
   * Gives room back: caps this epoch's granted total (account and key leases of the replica) at this amount, never
   * below what was debited. The replica sends what it has spent plus what it still reserves, so it promises never
   * to spend more in this epoch. Applied before any new grant.
   */
  shrinkTo?: DecimalInput | null;
  key: LeaseKeyInput | null;
  /** Every lease row of the account (account and key leases of every replica). */
  leases: readonly LeaseRow[];
}

export interface LeaseDecision {
  leaseId: string;
  expiresAt: number;
  /** Added by this call. */
  grantedNow: string;
  /** The replica's outstanding on the account after the call (the reply's `granted`). */
  granted: string;
  /** The replica's outstanding on the key's limit (null when the key is unlimited or absent). */
  keyGranted: string | null;
  grantedTotal: string;
  debitedTotal: string;
  keyGrantedTotal: string | null;
  keyDebitedTotal: string | null;
  /** Rows to write: the account lease, the key lease (when the key has a limit), and key leases renewed in place. */
  accountLease: LeaseRow;
  keyLease: LeaseRow | null;
  renewedKeyLeaseRowIds: string[];
  /** The replica's other key leases of the epoch, capped by `shrinkTo` (empty without it). */
  shrunkKeyLeases: LeaseRow[];
}

export function leaseOutstanding(row: Pick<LeaseRow, 'granted' | 'debited'>): Decimal {
  return Decimal.max(0, toDecimal(row.granted).minus(toDecimal(row.debited)));
}

export function isLeaseActive(row: Pick<LeaseRow, 'expiresAt'>, now: number): boolean {
  return row.expiresAt > now;
}

/** Σ outstanding of the active rows matching `filter`. */
function activeOutstanding(rows: readonly LeaseRow[], now: number, filter: (row: LeaseRow) => boolean): Decimal {
  let total = new Decimal(0);
  for (const row of rows) if (filter(row) && isLeaseActive(row, now)) total = total.plus(leaseOutstanding(row));
  return total;
}

/** What the account's active leases hold in total (refunds and expiries never take these credits). */
export function accountLeasesOutstanding(rows: readonly LeaseRow[], now: number): Decimal {
  return activeOutstanding(rows, now, (row) => row.keyId === null);
}

/**
 * Grants `min(requested, balance + overdraft − Σ outstanding of every active account lease)` (never negative),
 * and for a key with a limit bounds it also by `limitRemaining − Σ outstanding of the key's active leases`. The
 * key lease grows by the same amount as the account lease, so neither holds room the other refused.
 * A request of 0 only renews: it extends the expiry and reports the outstanding. A replica whose lease expired
 * starts a new epoch (new lease id, totals from 0). `shrinkTo` gives unused room back first.
 */
export function planLease(input: LeaseInput): LeaseDecision {
  const { now, replicaId } = input;
  const expiresAt = now + input.ttlMs;
  const requested = Decimal.max(0, toDecimal(input.requested));

  const own = input.leases.find((row) => row.keyId === null && row.replicaId === replicaId);
  const ownActive = own !== undefined && isLeaseActive(own, now);
  const leaseId = ownActive ? own.leaseId : input.newLeaseId;
  const shrinkTo = input.shrinkTo === undefined || input.shrinkTo === null ? null : Decimal.max(0, toDecimal(input.shrinkTo));
  const shrink = (granted: Decimal, debited: Decimal) => (shrinkTo === null ? granted : Decimal.min(granted, Decimal.max(debited, shrinkTo)));
  const ownDebited = ownActive ? toDecimal(own.debited) : new Decimal(0);
  const ownGranted = ownActive ? shrink(toDecimal(own.granted), ownDebited) : new Decimal(0);
  const ownOutstanding = Decimal.max(0, ownGranted.minus(ownDebited));
  const othersOutstanding = activeOutstanding(input.leases, now, (row) => row.keyId === null && row.replicaId !== replicaId);
  let available = input.accountDisabled
    ? new Decimal(0)
    : Decimal.max(0, toDecimal(input.balance).plus(toDecimal(input.overdraft)).minus(othersOutstanding).minus(ownOutstanding));

  let keyState: { row: LeaseRow | undefined; granted: Decimal; debited: Decimal } | null = null;
  if (input.key) {
    if (!input.key.usable) available = new Decimal(0);
    if (input.key.limitRemaining !== null) {
      const keyId = input.key.id;
      const row = input.leases.find((candidate) => candidate.keyId === keyId && candidate.replicaId === replicaId);
      const rowCurrent = row !== undefined && isLeaseActive(row, now) && row.leaseId === leaseId;
      const debited = rowCurrent ? toDecimal(row.debited) : new Decimal(0);
      const granted = rowCurrent ? shrink(toDecimal(row.granted), debited) : new Decimal(0);
      const othersKey = activeOutstanding(input.leases, now, (candidate) => candidate.keyId === keyId && candidate.replicaId !== replicaId);
      const keyAvailable = Decimal.max(0, toDecimal(input.key.limitRemaining).minus(othersKey).minus(Decimal.max(0, granted.minus(debited))));
      available = Decimal.min(available, keyAvailable);
      keyState = { row, granted, debited };
    }
  }

  const grantedNow = Decimal.min(requested, available);
  const accountGranted = ownGranted.plus(grantedNow);
  const accountLease: LeaseRow = {
    rowId: own?.rowId ?? null,
    keyId: null,
    replicaId,
    leaseId,
    granted: formatMoney(accountGranted),
    debited: formatMoney(ownDebited),
    expiresAt,
  };

  let keyLease: LeaseRow | null = null;
  if (keyState && input.key) {
    const keyGranted = keyState.granted.plus(grantedNow);
    keyLease = {
      rowId: keyState.row?.rowId ?? null,
      keyId: input.key.id,
      replicaId,
      leaseId,
      granted: formatMoney(keyGranted),
      debited: formatMoney(keyState.debited),
      expiresAt,
    };
  }

  // Renewing the account lease keeps the replica's other key leases of the same epoch alive too (and shrinks them).
  const otherKeyLeases = ownActive
    ? input.leases.filter((row) => row.keyId !== null && row.replicaId === replicaId && row.leaseId === leaseId && row.keyId !== keyLease?.keyId && row.rowId !== null && isLeaseActive(row, now))
    : [];
  const shrunkKeyLeases =
    shrinkTo === null
      ? []
      : otherKeyLeases.map((row) => ({ ...row, granted: formatMoney(shrink(toDecimal(row.granted), toDecimal(row.debited))), expiresAt }));
  const renewedKeyLeaseRowIds = shrinkTo === null ? otherKeyLeases.map((row) => row.rowId as string) : [];

  return {
    leaseId,
    expiresAt,
    grantedNow: formatMoney(grantedNow),
    granted: formatMoney(leaseOutstanding(accountLease)),
    keyGranted: keyLease ? formatMoney(leaseOutstanding(keyLease)) : null,
    grantedTotal: accountLease.granted,
    debitedTotal: accountLease.debited,
    keyGrantedTotal: keyLease?.granted ?? null,
    keyDebitedTotal: keyLease?.debited ?? null,
    accountLease,
    keyLease,
    renewedKeyLeaseRowIds,
    shrunkKeyLeases,
  };
}
