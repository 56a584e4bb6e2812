import { Injectable } from '@nestjs/common';
import type { LimitReset } from '@switchyard/contracts';
import { type Sql, queryOne } from '../common/sql.js';
import type { PkceMethod } from './pkce.js';

export interface AuthCodeRow {
  account_id: string;
  callback_url: string;
  code_challenge: string | null;
  code_challenge_method: PkceMethod | null;
  key_label: string | null;
  key_limit: string | null;
  limit_reset: LimitReset | null;
  key_expires_at: Date | null;
  created_at: Date;
}

export interface NewAuthCode extends Omit<AuthCodeRow, 'created_at'> {
  codeHash: string;
  createdAt: Date;
  expiresAt: Date;
}

/** OAuth PKCE authorization codes: the only SQL on `auth_codes`. */
@Injectable()
export class AuthCodesRepository {
  async insert(db: Sql, code: NewAuthCode): Promise<void> {
    await db.query(
      `INSERT INTO auth_codes (code_hash, account_id, callback_url, code_challenge, code_challenge_method, key_label, key_limit, limit_reset, key_expires_at, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [code.codeHash, code.account_id, code.callback_url, code.code_challenge, code.code_challenge_method, code.key_label, code.key_limit, code.limit_reset, code.key_expires_at, code.createdAt, code.expiresAt],
    );
  }

  /** Marks a live, unused code used and returns it; undefined when it is unknown, expired or used already. */
  async consume(db: Sql, codeHash: string, now: Date): Promise<AuthCodeRow | undefined> {
    return queryOne<AuthCodeRow>(
      db,
      `UPDATE auth_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2
       RETURNING account_id, callback_url, code_challenge, code_challenge_method, key_label, key_limit::text AS key_limit, limit_reset, key_expires_at, created_at`,
      [codeHash, now],
    );
  }

  /** Codes of the account that can still be exchanged. */
  async liveCount(db: Sql, accountId: string, now: Date): Promise<number> {
    const row = await queryOne<{ count: number }>(db, `SELECT count(*)::int AS count FROM auth_codes WHERE account_id = $1 AND used_at IS NULL AND expires_at > $2`, [accountId, now]);
    return row?.count ?? 0;
  }

  /** Forgets codes that expired before `before` (used or not). */
  async deleteExpired(db: Sql, before: Date): Promise<void> {
    await db.query(`DELETE FROM auth_codes WHERE expires_at < $1`, [before]);
  }
}
