import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { AccountRecord, Guardrails, KeyLookupReply, KeyRecord, KeySnapshot, LimitReset } from '@switchyard/contracts';
import { formatMoney } from '@switchyard/money';
import type { DataSource } from 'typeorm';
import { type ByokAllowance, byokFeeWaived } from '../accounts/byok-allowance.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { type Sql, queryOne, queryRows } from '../common/sql.js';
import { isoDay, utcDayStart, utcMonthStart, utcWeekStart } from '../common/time.js';
import { BILLING_CONFIG, type BillingConfig } from '../config/billing.config.js';
import { type UsageWindows, ZERO_WINDOWS, limitRemaining } from '../keys/key-limits.js';

/** An account with its cached balance and this month's BYOK usage, as read from Postgres. */
export interface AccountRow {
  id: string;
  name: string;
  overdraft: string;
  allow_training: boolean;
  allow_retention: boolean;
  require_zdr: boolean;
  log_prompts: boolean;
  allowed_providers: string[] | null;
  ignored_providers: string[];
  byok_providers: string[];
  disabled: boolean;
  created_at: Date;
  updated_at: Date;
  balance: string;
  debt: string;
  total_credits: string;
  total_usage: string;
  total_purchased: string;
  byok_usage_monthly: string;
  byok_requests_monthly: number;
  alert_balance_below: string | null;
  alert_daily_spend_above: string | null;
  guardrail_detectors: string[];
  guardrail_keywords: string[];
  guardrail_action: 'block' | 'redact';
}

export interface KeyRow {
  id: string;
  hash: string;
  account_id: string;
  name: string;
  label: string;
  kind: 'inference' | 'management';
  disabled: boolean;
  limit: string | null;
  limit_reset: LimitReset | null;
  include_byok_in_limit: boolean;
  expires_at: Date | null;
  creator_user_id: string | null;
  /** The runaway stop: the most the key may spend in any trailing hour, USD; null = no stop. */
  max_spend_per_hour: string | null;
  /** The models the key may use (patterns); null = every model. */
  allowed_models: string[] | null;
  /** The key's own guardrails (jsonb); null = none. */
  guardrails: Guardrails | null;
  /** Why the key is disabled when billing disabled it (the runaway stop); null otherwise. */
  disabled_reason: string | null;
  /** What each end user (`user`) may spend through the key per window, USD; null = no per-user limit. */
  user_limit: string | null;
  user_limit_reset: LimitReset | null;
  usage_total: string;
  byok_usage_total: string;
  created_at: Date;
  updated_at: Date;
}

/**
 * Fields billing adds to AccountRecord beyond the contract (ingress's zod parse strips them until the contract
 * has them): this month's BYOK usage and whether the BYOK fee is still waived.
 */
export interface AccountRecordExtras {
  byokUsageMonthly: string;
  byokRequestsMonthly: number;
  byokFeeWaived: boolean;
}
export type BillingAccountRecord = AccountRecord & AccountRecordExtras;

const ACCOUNT_COLUMNS = `
  a.id, a.name, a.overdraft::text AS overdraft, a.allow_training, a.allow_retention, a.require_zdr, a.log_prompts,
  a.allowed_providers, a.ignored_providers, a.byok_providers, a.disabled, a.created_at, a.updated_at,
  b.balance::text AS balance, b.debt::text AS debt, b.total_credits::text AS total_credits, b.total_usage::text AS total_usage,
  b.total_purchased::text AS total_purchased,
  coalesce(m.usage, 0)::text AS byok_usage_monthly, coalesce(m.requests, 0)::int AS byok_requests_monthly,
  a.alert_balance_below::text AS alert_balance_below, a.alert_daily_spend_above::text AS alert_daily_spend_above,
  a.guardrail_detectors, a.guardrail_keywords, a.guardrail_action`;

export const KEY_COLUMNS = `
  k.id, k.hash, k.account_id, k.name, k.label, k.kind, k.disabled, k."limit"::text AS "limit", k.limit_reset,
  k.include_byok_in_limit, k.expires_at, k.creator_user_id, k.max_spend_per_hour::text AS max_spend_per_hour, k.allowed_models, k.guardrails, k.disabled_reason,
  k.user_limit::text AS user_limit, k.user_limit_reset, k.usage_total::text AS usage_total,
  k.byok_usage_total::text AS byok_usage_total, k.created_at, k.updated_at`;

/**
 * Reads accounts and keys as the records ingress caches (AccountRecord, KeyRecord), the usage windows of keys from
 * the per-day aggregates, and the snapshot version. The only SQL behind the snapshot and change events.
 */
@Injectable()
export class RecordsRepository {
  readonly allowance: ByokAllowance;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(BILLING_CONFIG) config: BillingConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.allowance = { usd: config.BYOK_MONTHLY_ALLOWANCE_USD, requests: config.BYOK_MONTHLY_ALLOWANCE_REQUESTS ?? null };
  }

  async accountRows(db: Sql, ids: readonly string[] | null, now: number): Promise<AccountRow[]> {
    return queryRows<AccountRow>(
      db,
      `SELECT ${ACCOUNT_COLUMNS}
         FROM accounts a
         JOIN balances b ON b.account_id = a.id
         LEFT JOIN account_byok_monthly m ON m.account_id = a.id AND m.month = $1::date
        WHERE $2::text[] IS NULL OR a.id = ANY($2::text[])
        ORDER BY a.id`,
      [isoDay(utcMonthStart(now)), ids === null ? null : [...ids]],
    );
  }

  async accountRow(db: Sql, id: string, now: number): Promise<AccountRow | undefined> {
    return (await this.accountRows(db, [id], now))[0];
  }

  async keyRows(db: Sql, where: { ids?: readonly string[]; hashes?: readonly string[] } | null): Promise<KeyRow[]> {
    if (where === null) return queryRows<KeyRow>(db, `SELECT ${KEY_COLUMNS} FROM api_keys k ORDER BY k.created_at, k.id`);
    if (where.ids) return queryRows<KeyRow>(db, `SELECT ${KEY_COLUMNS} FROM api_keys k WHERE k.id = ANY($1::text[])`, [[...where.ids]]);
    return queryRows<KeyRow>(db, `SELECT ${KEY_COLUMNS} FROM api_keys k WHERE k.hash = ANY($1::text[])`, [[...(where.hashes ?? [])]]);
  }

  /** Usage windows of keys at `now`, from the per-day aggregates (at most ~37 rows a key) and the key totals. */
  async windows(db: Sql, keys: readonly KeyRow[], now: number): Promise<Map<string, UsageWindows>> {
    const result = new Map<string, UsageWindows>();
    if (keys.length === 0) return result;
    const day = utcDayStart(now);
    const week = utcWeekStart(now);
    const month = utcMonthStart(now);
    const rows = await queryRows<{ key_id: string; ud: string; uw: string; um: string; bd: string; bw: string; bm: string }>(
      db,
      `SELECT key_id,
              coalesce(sum(usage) FILTER (WHERE day >= $2::date), 0)::text AS ud,
              coalesce(sum(usage) FILTER (WHERE day >= $3::date), 0)::text AS uw,
              coalesce(sum(usage) FILTER (WHERE day >= $4::date), 0)::text AS um,
              coalesce(sum(byok_usage) FILTER (WHERE day >= $2::date), 0)::text AS bd,
              coalesce(sum(byok_usage) FILTER (WHERE day >= $3::date), 0)::text AS bw,
              coalesce(sum(byok_usage) FILTER (WHERE day >= $4::date), 0)::text AS bm
         FROM key_usage_daily
        WHERE key_id = ANY($1::text[]) AND day >= $5::date
        GROUP BY key_id`,
      [keys.map((key) => key.id), isoDay(day), isoDay(week), isoDay(month), isoDay(Math.min(week, month))],
    );
    const byKey = new Map(rows.map((row) => [row.key_id, row]));
    for (const key of keys) {
      const row = byKey.get(key.id);
      result.set(key.id, {
        ...ZERO_WINDOWS,
        usage: formatMoney(key.usage_total),
        byokUsage: formatMoney(key.byok_usage_total),
        ...(row && {
          usageDaily: formatMoney(row.ud),
          usageWeekly: formatMoney(row.uw),
          usageMonthly: formatMoney(row.um),
          byokUsageDaily: formatMoney(row.bd),
          byokUsageWeekly: formatMoney(row.bw),
          byokUsageMonthly: formatMoney(row.bm),
        }),
      });
    }
    return result;
  }

  toAccountRecord(row: AccountRow): BillingAccountRecord {
    return {
      accountId: row.id,
      name: row.name,
      balance: formatMoney(row.balance),
      overdraft: formatMoney(row.overdraft),
      privacy: { allowTraining: row.allow_training, allowRetention: row.allow_retention, requireZdr: row.require_zdr, logPrompts: row.log_prompts },
      allowedProviders: row.allowed_providers,
      ignoredProviders: row.ignored_providers,
      byokProviders: row.byok_providers,
      totalPurchased: formatMoney(row.total_purchased),
      disabled: row.disabled,
      byokUsageMonthly: formatMoney(row.byok_usage_monthly),
      byokRequestsMonthly: row.byok_requests_monthly,
      byokFeeWaived: byokFeeWaived(this.allowance, row.byok_usage_monthly, row.byok_requests_monthly),
      guardrails: { detectors: row.guardrail_detectors as Guardrails['detectors'], keywords: row.guardrail_keywords, action: row.guardrail_action },
    };
  }

  toKeyRecord(row: KeyRow, windows: UsageWindows | undefined, now: number): KeyRecord {
    const expired = row.expires_at !== null && row.expires_at.getTime() <= now;
    const limit = row.limit === null ? null : formatMoney(row.limit);
    return {
      hash: row.hash,
      keyId: row.id,
      accountId: row.account_id,
      name: row.name,
      label: row.label,
      kind: row.kind,
      disabled: row.disabled || expired,
      disabledReason: row.disabled ? row.disabled_reason : null,
      expiresAt: row.expires_at?.toISOString() ?? null,
      limit,
      limitReset: row.limit_reset,
      includeByokInLimit: row.include_byok_in_limit,
      limitRemaining: limit === null ? null : limitRemaining({ limit, limitReset: row.limit_reset, includeByokInLimit: row.include_byok_in_limit }, windows ?? ZERO_WINDOWS),
      allowedModels: row.allowed_models,
      guardrails: row.guardrails,
    };
  }

  async accountRecords(db: Sql, ids: readonly string[] | null, now: number): Promise<BillingAccountRecord[]> {
    if (ids !== null && ids.length === 0) return [];
    return (await this.accountRows(db, ids, now)).map((row) => this.toAccountRecord(row));
  }

  async keyRecords(db: Sql, rows: readonly KeyRow[], now: number): Promise<KeyRecord[]> {
    const windows = await this.windows(db, rows.filter((row) => row.limit !== null), now);
    return rows.map((row) => this.toKeyRecord(row, windows.get(row.id), now));
  }

  async currentVersion(db: Sql = this.dataSource): Promise<number> {
    const row = await queryOne<{ version: string }>(db, `SELECT version::text AS version FROM billing_state WHERE id = 1`);
    return Number(row?.version ?? 0);
  }

  /** Bumps the snapshot version; the row lock it takes orders every announced change (take it last). */
  async nextVersion(db: Sql): Promise<number> {
    const row = await queryOne<{ version: string }>(db, `UPDATE billing_state SET version = version + 1 WHERE id = 1 RETURNING version::text AS version`);
    return Number(row!.version);
  }

  /** One key by hash and its account, with the version they are consistent with (one REPEATABLE READ transaction). */
  async lookup(hash: string): Promise<KeyLookupReply> {
    const now = this.clock.now();
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const version = await this.currentVersion(manager);
      const [row] = await this.keyRows(manager, { hashes: [hash] });
      if (!row) return { version, key: null, account: null };
      const [key] = await this.keyRecords(manager, [row], now);
      const [account] = await this.accountRecords(manager, [row.account_id], now);
      return { version, key: key!, account: account ?? null };
    });
  }

  /** Every key and account with the version they are consistent with (one REPEATABLE READ transaction). */
  async snapshot(): Promise<KeySnapshot> {
    const now = this.clock.now();
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const version = await this.currentVersion(manager);
      const accounts = await this.accountRecords(manager, null, now);
      const keys = await this.keyRecords(manager, await this.keyRows(manager, null), now);
      return { version, keys, accounts };
    });
  }
}
