import { Injectable } from '@nestjs/common';
import { type Sql, queryRows } from '../common/sql.js';

export type SpendAlertKind = 'low_balance' | 'daily_spend';

export interface NewSpendAlert {
  accountId: string;
  kind: SpendAlertKind;
  threshold: string;
  value: string;
  /** The UTC day of a daily alert (YYYY-MM-DD). */
  day: string | null;
}

export interface SpendAlertRow {
  id: string;
  account_id: string;
  kind: SpendAlertKind;
  threshold: string;
  value: string;
  day: string | null;
  created_at: Date;
}

/** Spend alerts: the only SQL on `spend_alerts`. */
@Injectable()
export class SpendAlertsRepository {
  /** Inserts alerts; a daily one already raised for that account and day is skipped. Returns those inserted. */
  async insert(db: Sql, alerts: readonly NewSpendAlert[], at: Date): Promise<SpendAlertRow[]> {
    if (alerts.length === 0) return [];
    return queryRows<SpendAlertRow>(
      db,
      `INSERT INTO spend_alerts (account_id, kind, threshold, value, day, created_at)
       SELECT a.account_id, a.kind, a.threshold::numeric, a.value::numeric, a.day::date, $2
         FROM jsonb_to_recordset($1::jsonb) AS a(account_id text, kind text, threshold text, value text, day text)
       ON CONFLICT (account_id, day) WHERE kind = 'daily_spend' DO NOTHING
       RETURNING id::text AS id, account_id, kind, threshold::text AS threshold, value::text AS value, to_char(day, 'YYYY-MM-DD') AS day, created_at`,
      [JSON.stringify(alerts.map((alert) => ({ account_id: alert.accountId, kind: alert.kind, threshold: alert.threshold, value: alert.value, day: alert.day }))), at],
    );
  }

  /** An account's alerts, newest first. */
  async forAccount(db: Sql, accountId: string, limit: number): Promise<SpendAlertRow[]> {
    return queryRows<SpendAlertRow>(
      db,
      `SELECT id::text AS id, account_id, kind, threshold::text AS threshold, value::text AS value, to_char(day, 'YYYY-MM-DD') AS day, created_at
         FROM spend_alerts WHERE account_id = $1 ORDER BY id DESC LIMIT $2`,
      [accountId, limit],
    );
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
