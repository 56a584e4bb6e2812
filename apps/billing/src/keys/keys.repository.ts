import { Injectable } from '@nestjs/common';
import type { Guardrails, LimitReset } from '@switchyard/contracts';
import { type Sql, queryOne, queryRows } from '../common/sql.js';
import { KEY_COLUMNS, type KeyRow } from '../records/records.repository.js';
import { type UserLimitedKey, type UserSpend, userWindowStart } from './user-limits.js';

export interface NewKey {
  id: string;
  hash: string;
  accountId: string;
  name: string;
  label: string;
  kind: 'inference' | 'management';
  limit: string | null;
  limitReset: LimitReset | null;
  includeByokInLimit: boolean;
  expiresAt: Date | null;
  creatorUserId: string | null;
  maxSpendPerHour: string | null;
  allowedModels: string[] | null;
  guardrails: Guardrails | null;
  userLimit: string | null;
  userLimitReset: LimitReset | null;
  at: Date;
}

export interface KeyPatch {
  name?: string;
  disabled?: boolean;
  limit?: string | null;
  limitReset?: LimitReset | null;
  includeByokInLimit?: boolean;
  maxSpendPerHour?: string | null;
  allowedModels?: string[] | null;
  guardrails?: Guardrails | null;
  userLimit?: string | null;
  userLimitReset?: LimitReset | null;
}

export interface KeyUsageDay {
  keyId: string;
  day: string;
  usage: string;
  byokUsage: string;
  requests: number;
}

/** API keys and their per-day usage: the only SQL on these tables. */
@Injectable()
export class KeysRepository {
  /** Inserts a key; false when the hash exists already. */
  async insert(db: Sql, key: NewKey): Promise<boolean> {
    const rows = await queryRows<{ id: string }>(
      db,
      `INSERT INTO api_keys (id, hash, account_id, name, label, kind, "limit", limit_reset, include_byok_in_limit, expires_at, creator_user_id, max_spend_per_hour, allowed_models, guardrails, user_limit, user_limit_reset, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::numeric, $8, $9, $10, $11, $12::numeric, $14::text[], $15::jsonb, $16::numeric, $17, $13, $13)
       ON CONFLICT (hash) DO NOTHING RETURNING id`,
      [
        key.id,
        key.hash,
        key.accountId,
        key.name,
        key.label,
        key.kind,
        key.limit,
        key.limitReset,
        key.includeByokInLimit,
        key.expiresAt,
        key.creatorUserId,
        key.maxSpendPerHour,
        key.at,
        key.allowedModels,
        key.guardrails === null ? null : JSON.stringify(key.guardrails),
        key.userLimit,
        key.userLimitReset,
      ],
    );
    return rows.length > 0;
  }

  async byHash(db: Sql, hash: string, options: { lock?: boolean } = {}): Promise<KeyRow | undefined> {
    return queryOne<KeyRow>(db, `SELECT ${KEY_COLUMNS} FROM api_keys k WHERE k.hash = $1${options.lock ? ' FOR UPDATE' : ''}`, [hash]);
  }

  async update(db: Sql, id: string, patch: KeyPatch, at: Date): Promise<void> {
    const sets: string[] = [];
    const values: unknown[] = [id];
    const set = (column: string, value: unknown, cast = '') => {
      values.push(value);
      sets.push(`${column} = $${values.length}${cast}`);
    };
    if (patch.name !== undefined) set('name', patch.name);
    if (patch.disabled !== undefined) {
      set('disabled', patch.disabled);
      // Enabling a key (or disabling it by hand) clears the reason billing stopped it for.
      set('disabled_reason', null);
    }
    if (patch.maxSpendPerHour !== undefined) set('max_spend_per_hour', patch.maxSpendPerHour, '::numeric');
    if (patch.allowedModels !== undefined) set('allowed_models', patch.allowedModels, '::text[]');
    if (patch.guardrails !== undefined) set('guardrails', patch.guardrails === null ? null : JSON.stringify(patch.guardrails), '::jsonb');
    if (patch.limit !== undefined) set('"limit"', patch.limit, '::numeric');
    if (patch.limitReset !== undefined) set('limit_reset', patch.limitReset);
    if (patch.includeByokInLimit !== undefined) set('include_byok_in_limit', patch.includeByokInLimit);
    if (patch.userLimit !== undefined) set('user_limit', patch.userLimit, '::numeric');
    if (patch.userLimitReset !== undefined) set('user_limit_reset', patch.userLimitReset);
    set('updated_at', at);
    await db.query(`UPDATE api_keys SET ${sets.join(', ')} WHERE id = $1`, values);
  }

  /**
   * The runaway stop, for keys that just spent: each enabled key with a `max_spend_per_hour` whose usage debits
   * (usage and BYOK fee lines) since an hour before `now` sum to more than it, with that sum (lines stamped a little
   * after `now` by an ingress whose clock runs ahead count too).
   */
  async overHourlySpend(db: Sql, keyIds: readonly string[], now: Date): Promise<Array<{ id: string; hash: string; name: string; account_id: string; spent: string; max_spend_per_hour: string }>> {
    if (keyIds.length === 0) return [];
    return queryRows(
      db,
      `SELECT k.id, k.hash, k.name, k.account_id, s.spent::text AS spent, k.max_spend_per_hour::text AS max_spend_per_hour
         FROM api_keys k
         JOIN LATERAL (
           SELECT COALESCE(-sum(e.amount), 0) AS spent FROM ledger_entries e
            WHERE e.key_id = k.id AND e.kind IN ('usage', 'byok_fee') AND e.occurred_at > $2::timestamptz - interval '1 hour'
         ) s ON true
        WHERE k.id = ANY($1::text[]) AND k.max_spend_per_hour IS NOT NULL AND NOT k.disabled AND s.spent > k.max_spend_per_hour`,
      [[...keyIds], now],
    );
  }

  /** Disables a key for `reason` (the runaway stop). */
  async stop(db: Sql, id: string, reason: string, at: Date): Promise<void> {
    await db.query(`UPDATE api_keys SET disabled = true, disabled_reason = $2, updated_at = $3 WHERE id = $1`, [id, reason, at]);
  }

  /** The keys among `ids` that have a per-end-user limit. */
  async userLimited(db: Sql, ids: readonly string[]): Promise<UserLimitedKey[]> {
    if (ids.length === 0) return [];
    return queryRows<UserLimitedKey>(db, `SELECT id, hash, user_limit::text AS user_limit, user_limit_reset FROM api_keys WHERE id = ANY($1::text[]) AND user_limit IS NOT NULL`, [[...ids]]);
  }

  /** Adds what end users spent per key and window (rows sorted, one per key, user and window); returns the totals after. */
  async addUserSpend(db: Sql, rows: readonly UserSpend[], at: Date): Promise<UserSpend[]> {
    if (rows.length === 0) return [];
    const totals = await queryRows<{ key_id: string; external_user: string; window_start: Date; spend: string }>(
      db,
      `INSERT INTO key_user_spend (key_id, external_user, window_start, spend, updated_at)
       SELECT t.key_id, t.external_user, t.window_start, t.spend::numeric, $5 FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[]) AS t(key_id, external_user, window_start, spend)
       ON CONFLICT (key_id, external_user, window_start) DO UPDATE SET spend = key_user_spend.spend + EXCLUDED.spend, updated_at = EXCLUDED.updated_at
       RETURNING key_id, external_user, window_start, spend::text AS spend`,
      [rows.map((row) => row.keyId), rows.map((row) => row.user), rows.map((row) => new Date(row.windowStart)), rows.map((row) => row.spend), at],
    );
    return totals.map((row) => ({ keyId: row.key_id, user: row.external_user, windowStart: row.window_start.getTime(), spend: row.spend }));
  }

  /**
   * End users at or past their key's `user_limit` in the key's current window (`now`'s), all keys or those of
   * `keyIds`: what ingress refuses.
   */
  async usersAtLimit(db: Sql, now: number, keyIds?: readonly string[]): Promise<Array<{ hash: string; user_limit: string; user_limit_reset: LimitReset | null; external_user: string; window_start: Date }>> {
    const starts = [userWindowStart('daily', now), userWindowStart('weekly', now), userWindowStart('monthly', now)].map((ms) => new Date(ms));
    return queryRows(
      db,
      `SELECT k.hash, k.user_limit::text AS user_limit, k.user_limit_reset, s.external_user, s.window_start
         FROM key_user_spend s JOIN api_keys k ON k.id = s.key_id
        WHERE k.user_limit IS NOT NULL AND s.spend >= k.user_limit
          AND s.window_start = CASE k.user_limit_reset WHEN 'daily' THEN $1::timestamptz WHEN 'weekly' THEN $2::timestamptz WHEN 'monthly' THEN $3::timestamptz ELSE 'epoch'::timestamptz END
          ${keyIds ? 'AND k.id = ANY($4::text[])' : ''}
        ORDER BY k.hash, s.external_user`,
      keyIds ? [...starts, [...keyIds]] : starts,
    );
  }

  /** A page of what end users spent through a key in one window, most first. */
  async userSpendPage(db: Sql, keyId: string, windowStart: Date, options: { offset: number; limit: number }): Promise<Array<{ external_user: string; spend: string }>> {
    return queryRows(
      db,
      `SELECT external_user, spend::text AS spend FROM key_user_spend WHERE key_id = $1 AND window_start = $2 ORDER BY spend DESC, external_user LIMIT $3 OFFSET $4`,
      [keyId, windowStart, options.limit, options.offset],
    );
  }

  /** Forgets per-user spend of windows that ended before `before` (a limit that never resets keeps its rows). */
  async pruneUserSpend(db: Sql, before: Date): Promise<number> {
    const rows = await queryRows<{ n: number }>(db, `WITH gone AS (DELETE FROM key_user_spend WHERE window_start > 'epoch'::timestamptz AND window_start < $1 RETURNING 1) SELECT count(*)::int AS n FROM gone`, [before]);
    return rows[0]?.n ?? 0;
  }

  async delete(db: Sql, id: string): Promise<void> {
    await db.query(`DELETE FROM key_user_spend WHERE key_id = $1`, [id]);
    await db.query(`DELETE FROM api_keys WHERE id = $1`, [id]);
  }

  /** A page of an account's inference keys, newest first. */
  async page(db: Sql, accountId: string, options: { offset: number; limit: number; includeDisabled: boolean; kinds: ReadonlyArray<'inference' | 'management'> }): Promise<KeyRow[]> {
    return queryRows<KeyRow>(
      db,
      `SELECT ${KEY_COLUMNS} FROM api_keys k
        WHERE k.account_id = $1 AND k.kind = ANY($2::text[]) AND ($3 OR NOT k.disabled)
        ORDER BY k.created_at DESC, k.id DESC
        OFFSET $4 LIMIT $5`,
      [accountId, [...options.kinds], options.includeDisabled, options.offset, options.limit],
    );
  }

  /** Adds usage to keys' day rows (keys deleted meanwhile are skipped). */
  async addDailyUsage(db: Sql, days: readonly KeyUsageDay[]): Promise<void> {
    if (days.length === 0) return;
    await db.query(
      `INSERT INTO key_usage_daily (key_id, day, usage, byok_usage, requests)
       SELECT d.key_id, d.day, d.usage, d.byok_usage, d.requests
         FROM unnest($1::text[], $2::date[], $3::numeric[], $4::numeric[], $5::int[]) AS d(key_id, day, usage, byok_usage, requests)
        WHERE EXISTS (SELECT 1 FROM api_keys k WHERE k.id = d.key_id)
       ON CONFLICT (key_id, day) DO UPDATE
         SET usage = key_usage_daily.usage + EXCLUDED.usage,
             byok_usage = key_usage_daily.byok_usage + EXCLUDED.byok_usage,
             requests = key_usage_daily.requests + EXCLUDED.requests`,
      [days.map((day) => day.keyId), days.map((day) => day.day), days.map((day) => day.usage), days.map((day) => day.byokUsage), days.map((day) => day.requests)],
    );
  }

  /** Adds usage to keys' lifetime totals. */
  async addTotals(db: Sql, totals: ReadonlyArray<{ keyId: string; usage: string; byokUsage: string }>): Promise<void> {
    if (totals.length === 0) return;
    await db.query(
      `UPDATE api_keys k SET usage_total = k.usage_total + v.usage, byok_usage_total = k.byok_usage_total + v.byok_usage
         FROM unnest($1::text[], $2::numeric[], $3::numeric[]) AS v(id, usage, byok_usage)
        WHERE k.id = v.id`,
      [totals.map((total) => total.keyId), totals.map((total) => total.usage), totals.map((total) => total.byokUsage)],
    );
  }

  /** Keys whose expiry falls in (from, to]. */
  async expiringBetween(db: Sql, from: Date, to: Date): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(db, `SELECT id FROM api_keys WHERE expires_at > $1 AND expires_at <= $2`, [from, to]);
    return rows.map((row) => row.id);
  }

  /** Keys with a limit that resets in windows. */
  async withResettingLimit(db: Sql): Promise<Array<{ id: string; limit_reset: LimitReset }>> {
    return queryRows(db, `SELECT id, limit_reset FROM api_keys WHERE "limit" IS NOT NULL AND limit_reset IS NOT NULL`);
  }
}
