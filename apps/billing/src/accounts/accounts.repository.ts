import { Injectable } from '@nestjs/common';
import type { PrivacySettings } from '@switchyard/contracts';
import { type Sql, queryOne, queryRows } from '../common/sql.js';

/** The balance row of an account, locked (`FOR UPDATE`): every money operation of the account takes it first. */
export interface LockedBalance {
  account_id: string;
  balance: string;
  debt: string;
  total_purchased: string;
  overdraft: string;
  disabled: boolean;
  /** Spend alert thresholds (null = none). */
  alert_balance_below: string | null;
  alert_daily_spend_above: string | null;
}

export interface BalanceDelta {
  /** Added to total_credits (and the balance). */
  credits?: string;
  /** Added to total_usage (and taken from the balance). */
  usage?: string;
  /** Added to total_purchased. */
  purchased?: string;
  /** The new debt (absolute). */
  debt: string;
}

export interface AccountSettingsPatch {
  name?: string;
  overdraft?: string;
  privacy?: Partial<PrivacySettings>;
  allowedProviders?: string[] | null;
  ignoredProviders?: string[];
  disabled?: boolean;
  alerts?: { balanceBelow?: string | null; dailySpendAbove?: string | null };
  guardrails?: { detectors?: string[]; keywords?: string[]; action?: 'block' | 'redact' };
}

const LOCK_COLUMNS = `b.account_id, b.balance::text AS balance, b.debt::text AS debt, b.total_purchased::text AS total_purchased,
  a.overdraft::text AS overdraft, a.disabled, a.alert_balance_below::text AS alert_balance_below,
  a.alert_daily_spend_above::text AS alert_daily_spend_above`;

/** Accounts, their balance rows and their monthly BYOK usage: the only SQL on these tables. */
@Injectable()
export class AccountsRepository {
  async insert(db: Sql, account: { id: string; name: string; overdraft: string; privacy: PrivacySettings; at: Date }): Promise<boolean> {
    const inserted = await queryRows<{ id: string }>(
      db,
      `INSERT INTO accounts (id, name, overdraft, allow_training, allow_retention, require_zdr, log_prompts, created_at, updated_at)
       VALUES ($1, $2, $3::numeric, $4, $5, $6, $7, $8, $8)
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [account.id, account.name, account.overdraft, account.privacy.allowTraining, account.privacy.allowRetention, account.privacy.requireZdr, account.privacy.logPrompts, account.at],
    );
    if (inserted.length === 0) return false;
    await db.query(`INSERT INTO balances (account_id, updated_at) VALUES ($1, $2)`, [account.id, account.at]);
    return true;
  }

  async exists(db: Sql, id: string): Promise<boolean> {
    return (await queryOne(db, `SELECT 1 FROM accounts WHERE id = $1`, [id])) !== undefined;
  }

  async list(db: Sql, limit: number, offset: number): Promise<Array<{ id: string; name: string; disabled: boolean; created_at: Date; balance: string }>> {
    return queryRows(
      db,
      `SELECT a.id, a.name, a.disabled, a.created_at, b.balance::text AS balance
         FROM accounts a JOIN balances b ON b.account_id = a.id
        ORDER BY a.created_at DESC, a.id LIMIT $1 OFFSET $2`,
      [limit, offset],
    );
  }

  async lockBalance(db: Sql, accountId: string): Promise<LockedBalance | undefined> {
    return queryOne<LockedBalance>(db, `SELECT ${LOCK_COLUMNS} FROM balances b JOIN accounts a ON a.id = b.account_id WHERE b.account_id = $1 FOR UPDATE OF b`, [accountId]);
  }

  /** Locks several balance rows in id order (a fixed order: two batches never deadlock on each other). */
  async lockBalances(db: Sql, accountIds: readonly string[]): Promise<LockedBalance[]> {
    if (accountIds.length === 0) return [];
    return queryRows<LockedBalance>(
      db,
      `SELECT ${LOCK_COLUMNS} FROM balances b JOIN accounts a ON a.id = b.account_id WHERE b.account_id = ANY($1::text[]) ORDER BY b.account_id FOR UPDATE OF b`,
      [[...accountIds]],
    );
  }

  async applyBalance(db: Sql, accountId: string, delta: BalanceDelta, at: Date): Promise<{ balance: string }> {
    const row = await queryOne<{ balance: string }>(
      db,
      `UPDATE balances
          SET total_credits = total_credits + $2::numeric,
              total_usage = total_usage + $3::numeric,
              balance = balance + $2::numeric - $3::numeric,
              total_purchased = total_purchased + $4::numeric,
              debt = $5::numeric,
              updated_at = $6
        WHERE account_id = $1
        RETURNING balance::text AS balance`,
      [accountId, delta.credits ?? '0', delta.usage ?? '0', delta.purchased ?? '0', delta.debt, at],
    );
    if (!row) throw new Error(`balance row of ${accountId} is missing`);
    return row;
  }

  /** Applies a settings patch; false when the account does not exist. */
  async updateSettings(db: Sql, id: string, patch: AccountSettingsPatch, at: Date): Promise<boolean> {
    const sets: string[] = [];
    const values: unknown[] = [id];
    const set = (column: string, value: unknown, cast = '') => {
      values.push(value);
      sets.push(`${column} = $${values.length}${cast}`);
    };
    if (patch.name !== undefined) set('name', patch.name);
    if (patch.overdraft !== undefined) set('overdraft', patch.overdraft, '::numeric');
    if (patch.privacy?.allowTraining !== undefined) set('allow_training', patch.privacy.allowTraining);
    if (patch.privacy?.allowRetention !== undefined) set('allow_retention', patch.privacy.allowRetention);
    if (patch.privacy?.requireZdr !== undefined) set('require_zdr', patch.privacy.requireZdr);
    if (patch.privacy?.logPrompts !== undefined) set('log_prompts', patch.privacy.logPrompts);
    if (patch.allowedProviders !== undefined) set('allowed_providers', patch.allowedProviders, '::text[]');
    if (patch.ignoredProviders !== undefined) set('ignored_providers', patch.ignoredProviders, '::text[]');
    if (patch.disabled !== undefined) set('disabled', patch.disabled);
    if (patch.alerts?.balanceBelow !== undefined) set('alert_balance_below', patch.alerts.balanceBelow, '::numeric');
    if (patch.alerts?.dailySpendAbove !== undefined) set('alert_daily_spend_above', patch.alerts.dailySpendAbove, '::numeric');
    if (patch.guardrails?.detectors !== undefined) set('guardrail_detectors', patch.guardrails.detectors, '::text[]');
    if (patch.guardrails?.keywords !== undefined) set('guardrail_keywords', patch.guardrails.keywords, '::text[]');
    if (patch.guardrails?.action !== undefined) set('guardrail_action', patch.guardrails.action);
    set('updated_at', at);
    const rows = await queryRows<{ id: string }>(db, `UPDATE accounts SET ${sets.join(', ')} WHERE id = $1 RETURNING id`, values);
    return rows.length > 0;
  }

  /**
   * Stores the account's BYOK providers from a credentials-changed event, unless a newer event was already applied.
   * Returns 'missing' for an unknown account, 'stale' for an old or unchanged event, 'updated' otherwise.
   */
  async setByokProviders(db: Sql, id: string, slugs: readonly string[], at: number, now: Date): Promise<'missing' | 'stale' | 'updated'> {
    const rows = await queryRows<{ id: string }>(
      db,
      `UPDATE accounts SET byok_providers = $2::text[], byok_providers_at = $3, updated_at = $4
        WHERE id = $1 AND byok_providers_at <= $3 AND byok_providers IS DISTINCT FROM $2::text[]
        RETURNING id`,
      [id, [...slugs], at, now],
    );
    if (rows.length > 0) return 'updated';
    return (await this.exists(db, id)) ? 'stale' : 'missing';
  }

  /** Adds BYOK list-price usage and requests to the accounts' monthly rows. */
  async addByokMonthly(db: Sql, rows: ReadonlyArray<{ accountId: string; month: string; usage: string; requests: number }>): Promise<void> {
    if (rows.length === 0) return;
    await db.query(
      `INSERT INTO account_byok_monthly (account_id, month, usage, requests)
       SELECT * FROM unnest($1::text[], $2::date[], $3::numeric[], $4::int[])
       ON CONFLICT (account_id, month) DO UPDATE
         SET usage = account_byok_monthly.usage + EXCLUDED.usage, requests = account_byok_monthly.requests + EXCLUDED.requests`,
      [rows.map((row) => row.accountId), rows.map((row) => row.month), rows.map((row) => row.usage), rows.map((row) => row.requests)],
    );
  }

  /** Accounts with BYOK usage in a month (announced again when the month rolls over: their fee waiver resets). */
  async accountsWithByokIn(db: Sql, month: string): Promise<string[]> {
    const rows = await queryRows<{ account_id: string }>(db, `SELECT account_id FROM account_byok_monthly WHERE month = $1::date`, [month]);
    return rows.map((row) => row.account_id);
  }

  async purchasedTotals(db: Sql, ids: readonly string[] | null): Promise<Array<{ account_id: string; total_purchased: string }>> {
    return queryRows(db, `SELECT account_id, total_purchased::text AS total_purchased FROM balances WHERE $1::text[] IS NULL OR account_id = ANY($1::text[])`, [ids === null ? null : [...ids]]);
  }

  async creditTotals(db: Sql, id: string): Promise<{ total_credits: string; total_usage: string } | undefined> {
    return queryOne(db, `SELECT total_credits::text AS total_credits, total_usage::text AS total_usage FROM balances WHERE account_id = $1`, [id]);
  }
}
