import { Injectable } from '@nestjs/common';
import { type Sql, queryRows } from '../common/sql.js';
import type { LeaseRow } from './lease-math.js';

interface LeaseDbRow {
  id: string;
  key_id: string | null;
  replica_id: string;
  lease_id: string;
  granted: string;
  debited: string;
  expires_at: Date;
}

export interface LeaseDebit {
  leaseId: string;
  keyId: string | null;
  amount: string;
}

function toLeaseRow(row: LeaseDbRow): LeaseRow {
  return { rowId: row.id, keyId: row.key_id, replicaId: row.replica_id, leaseId: row.lease_id, granted: row.granted, debited: row.debited, expiresAt: row.expires_at.getTime() };
}

/** Lease rows. Callers hold the account's balance row lock, which serialises every change of an account's leases. */
@Injectable()
export class LeasesRepository {
  async rowsForAccount(db: Sql, accountId: string): Promise<LeaseRow[]> {
    const rows = await queryRows<LeaseDbRow>(
      db,
      `SELECT id::text AS id, key_id, replica_id, lease_id, granted::text AS granted, debited::text AS debited, expires_at
         FROM leases WHERE account_id = $1 ORDER BY leases.id`,
      [accountId],
    );
    return rows.map(toLeaseRow);
  }

  /** Inserts or updates lease rows (account scope when keyId is null). */
  async write(db: Sql, accountId: string, rows: readonly LeaseRow[], at: Date): Promise<void> {
    for (const row of rows) {
      if (row.rowId === null) {
        await db.query(
          `INSERT INTO leases (account_id, key_id, replica_id, lease_id, granted, debited, expires_at, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5::numeric, $6::numeric, $7, $8, $8)`,
          [accountId, row.keyId, row.replicaId, row.leaseId, row.granted, row.debited, new Date(row.expiresAt), at],
        );
      } else {
        await db.query(`UPDATE leases SET lease_id = $2, granted = $3::numeric, debited = $4::numeric, expires_at = $5, updated_at = $6 WHERE id = $1::bigint`, [
          row.rowId,
          row.leaseId,
          row.granted,
          row.debited,
          new Date(row.expiresAt),
          at,
        ]);
      }
    }
  }

  async extend(db: Sql, rowIds: readonly string[], expiresAt: number, at: Date): Promise<void> {
    if (rowIds.length === 0) return;
    await db.query(`UPDATE leases SET expires_at = $2, updated_at = $3 WHERE id = ANY($1::bigint[])`, [[...rowIds], new Date(expiresAt), at]);
  }

  /**
   * Debits reduce the outstanding of the lease epoch they were spent from: the account lease with that id and the
   * key lease of the same epoch for the generation's key. Debits of an ended epoch match no row and change nothing.
   */
  async applyDebits(db: Sql, debits: readonly LeaseDebit[]): Promise<void> {
    if (debits.length === 0) return;
    await db.query(
      `UPDATE leases l SET debited = l.debited + v.amount
         FROM (SELECT lease_id, sum(amount) AS amount FROM unnest($1::text[], $2::numeric[]) AS d(lease_id, amount) GROUP BY lease_id) v
        WHERE l.lease_id = v.lease_id AND l.key_id IS NULL`,
      [debits.map((debit) => debit.leaseId), debits.map((debit) => debit.amount)],
    );
    const keyed = debits.filter((debit) => debit.keyId !== null);
    if (keyed.length === 0) return;
    await db.query(
      `UPDATE leases l SET debited = l.debited + v.amount
         FROM (SELECT lease_id, key_id, sum(amount) AS amount FROM unnest($1::text[], $2::text[], $3::numeric[]) AS d(lease_id, key_id, amount) GROUP BY lease_id, key_id) v
        WHERE l.lease_id = v.lease_id AND l.key_id = v.key_id`,
      [keyed.map((debit) => debit.leaseId), keyed.map((debit) => debit.keyId), keyed.map((debit) => debit.amount)],
    );
  }

  /** Lease rows of an account for the admin view (active ones first). */
  async forAccount(db: Sql, accountId: string): Promise<Array<LeaseRow & { accountId: string }>> {
    return (await this.rowsForAccount(db, accountId)).map((row) => ({ ...row, accountId }));
  }

  /** Forgets lease rows that expired long ago (replicas come and go). */
  async deleteExpiredBefore(db: Sql, before: Date): Promise<number> {
    const rows = await queryRows<{ id: string }>(db, `DELETE FROM leases WHERE expires_at < $1 RETURNING id::text AS id`, [before]);
    return rows.length;
  }
}
