import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Alerts reach people: a runaway stop is an alert too (with the key it disabled), and every alert carries the state
 * of its delivery to the operator's webhook (`ALERT_WEBHOOK_URL`): pending until delivered, failed after the last
 * attempt, expired when it waited longer than ALERT_WEBHOOK_MAX_AGE_MS. Alerts raised before this migration are
 * marked expired: nothing was promised for them.
 */
export class AlertWebhooks1765400000000 implements MigrationInterface {
  name = 'AlertWebhooks1765400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE spend_alerts DROP CONSTRAINT IF EXISTS spend_alerts_kind_check`);
    await queryRunner.query(`ALTER TABLE spend_alerts ADD CONSTRAINT spend_alerts_kind_check CHECK (kind IN ('low_balance', 'daily_spend', 'runaway_stop'))`);
    await queryRunner.query(`ALTER TABLE spend_alerts ADD COLUMN key_hash text NULL, ADD COLUMN key_name text NULL`);
    await queryRunner.query(
      `ALTER TABLE spend_alerts ADD COLUMN webhook_state text NOT NULL DEFAULT 'expired' CHECK (webhook_state IN ('pending', 'delivered', 'failed', 'expired'))`,
    );
    await queryRunner.query(`ALTER TABLE spend_alerts ALTER COLUMN webhook_state SET DEFAULT 'pending'`);
    await queryRunner.query(`ALTER TABLE spend_alerts ADD COLUMN webhook_attempts integer NOT NULL DEFAULT 0, ADD COLUMN webhook_next_at timestamptz NULL, ADD COLUMN webhook_error text NULL`);
    await queryRunner.query(`CREATE INDEX spend_alerts_webhook_pending ON spend_alerts (id) WHERE webhook_state = 'pending'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX spend_alerts_webhook_pending`);
    await queryRunner.query(`ALTER TABLE spend_alerts DROP COLUMN webhook_error, DROP COLUMN webhook_next_at, DROP COLUMN webhook_attempts, DROP COLUMN webhook_state`);
    await queryRunner.query(`ALTER TABLE spend_alerts DROP COLUMN key_name, DROP COLUMN key_hash`);
    await queryRunner.query(`DELETE FROM spend_alerts WHERE kind = 'runaway_stop'`);
    await queryRunner.query(`ALTER TABLE spend_alerts DROP CONSTRAINT spend_alerts_kind_check`);
    await queryRunner.query(`ALTER TABLE spend_alerts ADD CONSTRAINT spend_alerts_kind_check CHECK (kind IN ('low_balance', 'daily_spend'))`);
  }
}
