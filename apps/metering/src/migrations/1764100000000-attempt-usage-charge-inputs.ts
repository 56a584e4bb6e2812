import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Attempt usage keeps how the attempt ended (`outcome`) and ingress's charge inputs (`billing`: prices, key, lease,
 * prompt-logging and BYOK flags), so the reconciler can charge an orphaned generation exactly and tell a delivered
 * attempt from one that failed and was retried elsewhere. Both are null for events of older providers.
 */
export class AttemptUsageChargeInputs1764100000000 implements MigrationInterface {
  name = 'AttemptUsageChargeInputs1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE attempt_usage ADD COLUMN outcome jsonb, ADD COLUMN billing jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE attempt_usage DROP COLUMN billing, DROP COLUMN outcome`);
  }
}
