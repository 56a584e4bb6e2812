import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A key reaching its spending limit is an alert too (`key_limit`, with the key's hash and name). */
export class KeyLimitAlerts1765700000000 implements MigrationInterface {
  name = 'KeyLimitAlerts1765700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE spend_alerts DROP CONSTRAINT spend_alerts_kind_check`);
    await queryRunner.query(`ALTER TABLE spend_alerts ADD CONSTRAINT spend_alerts_kind_check CHECK (kind IN ('low_balance', 'daily_spend', 'runaway_stop', 'key_limit'))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM spend_alerts WHERE kind = 'key_limit'`);
    await queryRunner.query(`ALTER TABLE spend_alerts DROP CONSTRAINT spend_alerts_kind_check`);
    await queryRunner.query(`ALTER TABLE spend_alerts ADD CONSTRAINT spend_alerts_kind_check CHECK (kind IN ('low_balance', 'daily_spend', 'runaway_stop'))`);
  }
}
