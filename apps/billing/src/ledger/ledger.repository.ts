import { Injectable } from '@nestjs/common';
import { type Sql, queryOne, queryRows } from '../common/sql.js';
import type { LedgerKind } from './ledger-entry.entity.js';
import type { LotMethod, OpenLot } from './lots.js';

export interface NewLedgerEntry {
  accountId: string;
  kind: LedgerKind;
  /** Signed effect on the balance (the fee paid, for `fee` lines). */
  amount: string;
  idempotencyKey: string;
  lotId?: string | null;
  keyId?: string | null;
  leaseId?: string | null;
  generationId?: string | null;
  byokUsage?: string | null;
  reason?: string | null;
  occurredAt: Date;
}

export interface LotRow {
  id: string;
  account_id: string;
  method: LotMethod;
  amount: string;
  fee: string;
  remaining: string;
  refunded: string;
  expired: string;
  purchased_at: Date;
  expires_at: Date | null;
  refundable_until: Date | null;
  external_ref: string | null;
}

export interface LedgerRow {
  id: string;
  kind: LedgerKind;
  amount: string;
  idempotency_key: string;
  lot_id: string | null;
  key_id: string | null;
  lease_id: string | null;
  generation_id: string | null;
  byok_usage: string | null;
  reason: string | null;
  occurred_at: Date;
  created_at: Date;
}

const LOT_COLUMNS = `id, account_id, method, amount::text AS amount, fee::text AS fee, remaining::text AS remaining, refunded::text AS refunded,
  expired::text AS expired, purchased_at, expires_at, refundable_until, external_ref`;

/** Credit lots and the append-only ledger: the only SQL on these tables. */
@Injectable()
export class LedgerRepository {
  /**
   * Appends entries; an entry whose idempotency key exists is skipped (ON CONFLICT DO NOTHING, which also waits for
   * a concurrent transaction inserting the same key). Returns the keys actually inserted.
   */
  async insertEntries(db: Sql, entries: readonly NewLedgerEntry[], createdAt: Date): Promise<Set<string>> {
    if (entries.length === 0) return new Set();
    const column = <T>(pick: (entry: NewLedgerEntry) => T) => entries.map(pick);
    const rows = await queryRows<{ idempotency_key: string }>(
      db,
      `INSERT INTO ledger_entries (account_id, kind, amount, idempotency_key, lot_id, key_id, lease_id, generation_id, byok_usage, reason, occurred_at, created_at)
       SELECT d.*, $12::timestamptz FROM unnest($1::text[], $2::text[], $3::numeric[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::numeric[], $10::text[], $11::timestamptz[])
         AS d(account_id, kind, amount, idempotency_key, lot_id, key_id, lease_id, generation_id, byok_usage, reason, occurred_at)
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING idempotency_key`,
      [
        column((entry) => entry.accountId),
        column((entry) => entry.kind),
        column((entry) => entry.amount),
        column((entry) => entry.idempotencyKey),
        column((entry) => entry.lotId ?? null),
        column((entry) => entry.keyId ?? null),
        column((entry) => entry.leaseId ?? null),
        column((entry) => entry.generationId ?? null),
        column((entry) => entry.byokUsage ?? null),
        column((entry) => entry.reason ?? null),
        column((entry) => entry.occurredAt.toISOString()),
        createdAt,
      ],
    );
    return new Set(rows.map((row) => row.idempotency_key));
  }

  async insertLot(
    db: Sql,
    lot: { id: string; accountId: string; method: LotMethod; amount: string; fee: string; remaining: string; purchasedAt: Date; expiresAt: Date | null; refundableUntil: Date | null; externalRef: string | null },
  ): Promise<void> {
    await db.query(
      `INSERT INTO credit_lots (id, account_id, method, amount, fee, remaining, purchased_at, expires_at, refundable_until, external_ref)
       VALUES ($1, $2, $3, $4::numeric, $5::numeric, $6::numeric, $7, $8, $9, $10)`,
      [lot.id, lot.accountId, lot.method, lot.amount, lot.fee, lot.remaining, lot.purchasedAt, lot.expiresAt, lot.refundableUntil, lot.externalRef],
    );
  }

  async lot(db: Sql, id: string, options: { lock?: boolean } = {}): Promise<LotRow | undefined> {
    return queryOne<LotRow>(db, `SELECT ${LOT_COLUMNS} FROM credit_lots WHERE id = $1${options.lock ? ' FOR UPDATE' : ''}`, [id]);
  }

  async lotByExternalRef(db: Sql, externalRef: string): Promise<LotRow | undefined> {
    return queryOne<LotRow>(db, `SELECT ${LOT_COLUMNS} FROM credit_lots WHERE external_ref = $1`, [externalRef]);
  }

  /** Lots of the accounts with credits left, oldest first per account, locked. */
  async openLots(db: Sql, accountIds: readonly string[]): Promise<Map<string, OpenLot[]>> {
    const result = new Map<string, OpenLot[]>();
    if (accountIds.length === 0) return result;
    const rows = await queryRows<{ id: string; account_id: string; remaining: string }>(
      db,
      `SELECT id, account_id, remaining::text AS remaining FROM credit_lots
        WHERE account_id = ANY($1::text[]) AND remaining > 0
        ORDER BY account_id, purchased_at, seq FOR UPDATE`,
      [[...accountIds]],
    );
    for (const row of rows) {
      const lots = result.get(row.account_id) ?? [];
      lots.push({ id: row.id, remaining: row.remaining });
      result.set(row.account_id, lots);
    }
    return result;
  }

  async setRemaining(db: Sql, changes: ReadonlyArray<{ id: string; remaining: string }>): Promise<void> {
    if (changes.length === 0) return;
    await db.query(`UPDATE credit_lots l SET remaining = v.remaining FROM unnest($1::text[], $2::numeric[]) AS v(id, remaining) WHERE l.id = v.id`, [
      changes.map((change) => change.id),
      changes.map((change) => change.remaining),
    ]);
  }

  async markRefunded(db: Sql, id: string, amount: string): Promise<void> {
    await db.query(`UPDATE credit_lots SET remaining = remaining - $2::numeric, refunded = refunded + $2::numeric WHERE id = $1`, [id, amount]);
  }

  async markExpired(db: Sql, id: string, amount: string): Promise<{ expired: string }> {
    const row = await queryOne<{ expired: string }>(db, `UPDATE credit_lots SET remaining = remaining - $2::numeric, expired = expired + $2::numeric WHERE id = $1 RETURNING expired::text AS expired`, [id, amount]);
    return row!;
  }

  /** Accounts holding lots that are past their expiry with credits left. */
  async accountsWithDueLots(db: Sql, now: Date): Promise<string[]> {
    const rows = await queryRows<{ account_id: string }>(db, `SELECT DISTINCT account_id FROM credit_lots WHERE remaining > 0 AND expires_at <= $1`, [now]);
    return rows.map((row) => row.account_id);
  }

  async dueLots(db: Sql, accountId: string, now: Date): Promise<OpenLot[]> {
    return queryRows<OpenLot>(
      db,
      `SELECT id, remaining::text AS remaining FROM credit_lots WHERE account_id = $1 AND remaining > 0 AND expires_at <= $2 ORDER BY purchased_at, seq FOR UPDATE`,
      [accountId, now],
    );
  }

  async lots(db: Sql, accountId: string, limit = 200): Promise<LotRow[]> {
    return queryRows<LotRow>(db, `SELECT ${LOT_COLUMNS} FROM credit_lots WHERE account_id = $1 ORDER BY purchased_at DESC, seq DESC LIMIT $2`, [accountId, limit]);
  }

  async entries(db: Sql, accountId: string, limit: number, beforeId?: string): Promise<LedgerRow[]> {
    return queryRows<LedgerRow>(
      db,
      `SELECT id::text AS id, kind, amount::text AS amount, idempotency_key, lot_id, key_id, lease_id, generation_id,
              byok_usage::text AS byok_usage, reason, occurred_at, created_at
         FROM ledger_entries
        WHERE account_id = $1 AND ($3::bigint IS NULL OR ledger_entries.id < $3::bigint)
        ORDER BY ledger_entries.id DESC LIMIT $2`,
      [accountId, limit, beforeId ?? null],
    );
  }
}
