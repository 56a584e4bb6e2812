import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * OAuth PKCE authorization codes (`POST /api/v1/auth/keys/code`, exchanged at `POST /api/v1/auth/keys`). A code is a
 * bearer secret for ten minutes: stored as its SHA-256 like API keys, single use (`used_at`).
 */
export class AuthCodes1764720000000 implements MigrationInterface {
  name = 'AuthCodes1764720000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE auth_codes (
        code_hash text PRIMARY KEY,
        account_id text NOT NULL REFERENCES accounts (id),
        callback_url text NOT NULL,
        code_challenge text NULL,
        code_challenge_method text NULL CHECK (code_challenge_method IN ('S256', 'plain')),
        key_label text NULL,
        key_limit numeric NULL CHECK (key_limit >= 0),
        limit_reset text NULL CHECK (limit_reset IN ('daily', 'weekly', 'monthly')),
        key_expires_at timestamptz NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz NULL
      )`);
    await queryRunner.query(`CREATE INDEX auth_codes_expires_at ON auth_codes (expires_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE auth_codes`);
  }
}
