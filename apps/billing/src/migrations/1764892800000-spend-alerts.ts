import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Spend alerts: an account's thresholds (balance below, spend today above) and the alerts raised when a debit batch
 * crosses one. A daily alert is raised once per account and UTC day (unique), a low-balance alert on each crossing.
 */
export class SpendAlerts1764892800000 implements MigrationInterface {
  name = 'SpendAlerts1764892800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE accounts ADD COLUMN alert_balance_below numeric NULL`);
    await queryRunner.query(`ALTER TABLE accounts ADD COLUMN alert_daily_spend_above numeric NULL CHECK (alert_daily_spend_above >= 0)`);
    await queryRunner.query(`
      CREATE TABLE spend_alerts (
        id bigserial PRIMARY KEY,
        account_id text NOT NULL REFERENCES accounts (id),
        kind text NOT NULL CHECK (kind IN ('low_balance', 'daily_spend')),
        threshold numeric NOT NULL,
        value numeric NOT NULL,
        day date NULL,
        created_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX spend_alerts_account ON spend_alerts (account_id, id DESC)`);
    await queryRunner.query(`CREATE UNIQUE INDEX spend_alerts_daily_once ON spend_alerts (account_id, day) WHERE kind = 'daily_spend'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE spend_alerts`);
    await queryRunner.query(`ALTER TABLE accounts DROP COLUMN alert_daily_spend_above`);
    await queryRunner.query(`ALTER TABLE accounts DROP COLUMN alert_balance_below`);
  }
}
