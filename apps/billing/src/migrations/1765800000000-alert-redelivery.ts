import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When an alert was (last) queued for the webhook: its creation, or the operator's redelivery. The webhook's
 * ALERT_WEBHOOK_MAX_AGE_MS counts from here, so a failed alert the operator sends again is not expired at once.
 */
export class AlertRedelivery1765800000000 implements MigrationInterface {
  name = 'AlertRedelivery1765800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE spend_alerts ADD COLUMN webhook_queued_at timestamptz NULL`);
    await queryRunner.query(`UPDATE spend_alerts SET webhook_queued_at = created_at`);
    await queryRunner.query(`ALTER TABLE spend_alerts ALTER COLUMN webhook_queued_at SET NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE spend_alerts DROP COLUMN webhook_queued_at`);
  }
}
