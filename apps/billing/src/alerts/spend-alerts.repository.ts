import { Injectable } from '@nestjs/common';
import { formatMoney } from '@switchyard/money';
import { type Sql, queryRows } from '../common/sql.js';

export type SpendAlertKind = 'low_balance' | 'daily_spend' | 'runaway_stop' | 'key_limit';

export interface NewSpendAlert {
  accountId: string;
  kind: SpendAlertKind;
  /** The threshold crossed: the balance floor, the day's spend ceiling, the key's max_spend_per_hour or limit. */
  threshold: string;
  /** The balance after the debit, the day's spend, the key's spend in the trailing hour or in its limit window. */
  value: string;
  /** The UTC day of a daily alert (YYYY-MM-DD). */
  day: string | null;
  /** The key a runaway stop disabled or that reached its limit (its public hash and name). */
  keyHash?: string | null;
  keyName?: string | null;
}

export interface SpendAlertRow {
  id: string;
  account_id: string;
  kind: SpendAlertKind;
  threshold: string;
  value: string;
  day: string | null;
  key_hash: string | null;
  key_name: string | null;
  created_at: Date;
  /** Its delivery to the operator's webhook: pending (or not configured), delivered, failed, expired. */
  webhook_state: 'pending' | 'delivered' | 'failed' | 'expired';
  webhook_attempts: number;
  webhook_error: string | null;
}

/** An alert claimed for delivery to the webhook, with what the message names. */
export interface DueAlertRow extends SpendAlertRow {
  account_name: string;
}

/** An alert as the operator's admin API shows it (camelCase, money in canonical form, the webhook delivery). */
export function adminAlertView(row: SpendAlertRow) {
  return {
    id: row.id,
    kind: row.kind,
    threshold: formatMoney(row.threshold),
    value: formatMoney(row.value),
    day: row.day,
    keyHash: row.key_hash,
    keyName: row.key_name,
    createdAt: new Date(row.created_at).toISOString(),
    webhook: { state: row.webhook_state, attempts: row.webhook_attempts, error: row.webhook_error },
  };
}

const ALERT_COLUMNS = `id::text AS id, account_id, kind, threshold::text AS threshold, value::text AS value, to_char(day, 'YYYY-MM-DD') AS day, key_hash, key_name, created_at,
  webhook_state, webhook_attempts, webhook_error`;

/** Spend alerts: the only SQL on `spend_alerts`. */
@Injectable()
export class SpendAlertsRepository {
  /** Inserts alerts; a daily one already raised for that account and day is skipped. Returns those inserted. */
  async insert(db: Sql, alerts: readonly NewSpendAlert[], at: Date): Promise<SpendAlertRow[]> {
    if (alerts.length === 0) return [];
    return queryRows<SpendAlertRow>(
      db,
      `INSERT INTO spend_alerts (account_id, kind, threshold, value, day, key_hash, key_name, created_at, webhook_queued_at)
       SELECT a.account_id, a.kind, a.threshold::numeric, a.value::numeric, a.day::date, a.key_hash, a.key_name, $2, $2
         FROM jsonb_to_recordset($1::jsonb) AS a(account_id text, kind text, threshold text, value text, day text, key_hash text, key_name text)
       ON CONFLICT (account_id, day) WHERE kind = 'daily_spend' DO NOTHING
       RETURNING ${ALERT_COLUMNS}`,
      [
        JSON.stringify(
          alerts.map((alert) => ({ account_id: alert.accountId, kind: alert.kind, threshold: alert.threshold, value: alert.value, day: alert.day, key_hash: alert.keyHash ?? null, key_name: alert.keyName ?? null })),
        ),
        at,
      ],
    );
  }

  /** An account's alerts, newest first. */
  async forAccount(db: Sql, accountId: string, limit: number): Promise<SpendAlertRow[]> {
    return queryRows<SpendAlertRow>(
      db,
      `SELECT ${ALERT_COLUMNS} FROM spend_alerts WHERE account_id = $1 ORDER BY id DESC LIMIT $2`,
      [accountId, limit],
    );
  }

  /**
   * Claims up to `limit` alerts due for a webhook attempt (pending, next attempt not in the future), oldest first:
   * each one's attempt is counted and its next attempt put `leaseMs` ahead, so another billing replica skips it while
   * this one delivers (rows locked by another claim are skipped, not waited for). Pending alerts older than
   * `maxAgeMs` are expired instead: a webhook switched on today does not announce last month.
   */
  async claimDue(db: Sql, now: Date, options: { limit: number; leaseMs: number; maxAgeMs: number }): Promise<DueAlertRow[]> {
    await db.query(`UPDATE spend_alerts SET webhook_state = 'expired' WHERE webhook_state = 'pending' AND webhook_queued_at < $1::timestamptz - make_interval(secs => $2 / 1000.0)`, [now, options.maxAgeMs]);
    return queryRows<DueAlertRow>(
      db,
      `UPDATE spend_alerts s SET webhook_attempts = s.webhook_attempts + 1, webhook_next_at = $1::timestamptz + make_interval(secs => $3 / 1000.0)
         FROM accounts a
        WHERE a.id = s.account_id AND s.id IN (
          SELECT id FROM spend_alerts WHERE webhook_state = 'pending' AND (webhook_next_at IS NULL OR webhook_next_at <= $1) ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING s.id::text AS id, s.account_id, s.kind, s.threshold::text AS threshold, s.value::text AS value, to_char(s.day, 'YYYY-MM-DD') AS day,
                 s.key_hash, s.key_name, s.created_at, s.webhook_state, s.webhook_attempts, s.webhook_error, a.name AS account_name`,
      [now, options.limit, options.leaseMs],
    );
  }

  /** The outcome of one webhook attempt: delivered, failed for good, or pending again from `nextAt`. */
  async recordDelivery(db: Sql, id: string, outcome: { state: 'delivered' } | { state: 'failed'; error: string } | { state: 'pending'; error: string; nextAt: Date }): Promise<void> {
    await db.query(`UPDATE spend_alerts SET webhook_state = $2, webhook_error = $3, webhook_next_at = $4 WHERE id = $1::bigint`, [
      id,
      outcome.state,
      outcome.state === 'delivered' ? null : outcome.error.slice(0, 500),
      outcome.state === 'pending' ? outcome.nextAt : null,
    ]);
  }

  /** Every account's alerts, newest first, optionally only those whose webhook delivery is in `state` (the admin view). */
  async list(db: Sql, options: { state?: SpendAlertRow['webhook_state']; limit: number; beforeId?: string }): Promise<Array<SpendAlertRow & { account_name: string }>> {
    return queryRows(
      db,
      `SELECT x.*, a.name AS account_name
         FROM (SELECT ${ALERT_COLUMNS} FROM spend_alerts
                WHERE ($1::text IS NULL OR webhook_state = $1) AND ($3::bigint IS NULL OR id < $3::bigint)
                ORDER BY id DESC LIMIT $2) x
         JOIN accounts a ON a.id = x.account_id
        ORDER BY x.id::bigint DESC`,
      [options.state ?? null, options.limit, options.beforeId ?? null],
    );
  }

  /**
   * Queues an alert for the webhook again (the operator, after a receiver outage outlasted the retries): pending,
   * attempts back to zero, its max age counted from now. False when there is no such alert.
   */
  async requeue(db: Sql, id: string, now: Date): Promise<boolean> {
    const rows = await queryRows<{ id: string }>(
      db,
      `UPDATE spend_alerts SET webhook_state = 'pending', webhook_attempts = 0, webhook_next_at = NULL, webhook_error = NULL, webhook_queued_at = $2
        WHERE id = $1::bigint RETURNING id::text AS id`,
      [id, now],
    );
    return rows.length > 0;
  }

  /** Spend of accounts on a UTC day: the sum of their keys' day rows. */
  async daySpend(db: Sql, accountIds: readonly string[], day: string): Promise<Map<string, string>> {
    if (accountIds.length === 0) return new Map();
    const rows = await queryRows<{ account_id: string; spent: string }>(
      db,
      `SELECT k.account_id, coalesce(sum(d.usage), 0)::text AS spent
         FROM api_keys k JOIN key_usage_daily d ON d.key_id = k.id AND d.day = $2::date
        WHERE k.account_id = ANY($1::text[]) GROUP BY k.account_id`,
      [[...accountIds], day],
    );
    return new Map(rows.map((row) => [row.account_id, row.spent]));
  }
}
