import { Injectable } from '@nestjs/common';
import { type Sql, queryRows } from '../common/sql.js';
import type { PendingCount } from './free-quota-limiter.js';

@Injectable()
export class FreeQuotaRepository {
  async day(db: Sql, day: string): Promise<Array<{ account_id: string; count: number }>> {
    return queryRows(db, `SELECT account_id, count FROM free_quota_daily WHERE day = $1::date`, [day]);
  }

  /** Adds counts (one statement for the whole batch) and returns each day's new total (all replicas included). */
  async add(db: Sql, counts: readonly PendingCount[]): Promise<Array<{ account_id: string; day: string; count: number }>> {
    if (counts.length === 0) return [];
    return queryRows(
      db,
      `INSERT INTO free_quota_daily (account_id, day, count)
       SELECT account_id, day, sum(delta)::int FROM unnest($1::text[], $2::date[], $3::int[]) AS d(account_id, day, delta) GROUP BY account_id, day
       ON CONFLICT (account_id, day) DO UPDATE SET count = free_quota_daily.count + EXCLUDED.count
       RETURNING account_id, day::text AS day, count`,
      [counts.map((count) => count.accountId), counts.map((count) => count.day), counts.map((count) => count.delta)],
    );
  }

  async deleteBefore(db: Sql, day: string): Promise<void> {
    await db.query(`DELETE FROM free_quota_daily WHERE day < $1::date`, [day]);
  }
}
