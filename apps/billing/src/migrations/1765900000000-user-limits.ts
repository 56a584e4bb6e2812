import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-end-user budgets: a key's `user_limit` (USD per `user_limit_reset` window, or for good) caps what each end user
 * (the request's `user`) spends through it. `key_user_spend` holds what each user spent per key and window.
 */
export class UserLimits1765900000000 implements MigrationInterface {
  name = 'UserLimits1765900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE api_keys ADD COLUMN user_limit numeric NULL CHECK (user_limit > 0)`);
    await queryRunner.query(`ALTER TABLE api_keys ADD COLUMN user_limit_reset text NULL CHECK (user_limit_reset IN ('daily', 'weekly', 'monthly'))`);
    await queryRunner.query(`
      CREATE TABLE key_user_spend (
        key_id text NOT NULL,
        external_user text NOT NULL,
        window_start timestamptz NOT NULL,
        spend numeric NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (key_id, external_user, window_start)
      )`);
    await queryRunner.query(`CREATE INDEX key_user_spend_window ON key_user_spend (window_start)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE key_user_spend`);
    await queryRunner.query(`ALTER TABLE api_keys DROP COLUMN user_limit_reset`);
    await queryRunner.query(`ALTER TABLE api_keys DROP COLUMN user_limit`);
  }
}
