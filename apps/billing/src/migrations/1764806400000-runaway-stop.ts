import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The runaway stop: a key's `max_spend_per_hour`, the reason a key was disabled (set when billing stops it), and an
 * index for the key's spend over the trailing hour (read for limited keys only, as their debits land).
 */
export class RunawayStop1764806400000 implements MigrationInterface {
  name = 'RunawayStop1764806400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE api_keys ADD COLUMN max_spend_per_hour numeric NULL CHECK (max_spend_per_hour >= 0)`);
    await queryRunner.query(`ALTER TABLE api_keys ADD COLUMN disabled_reason text NULL`);
    await queryRunner.query(`CREATE INDEX ledger_entries_key_recent ON ledger_entries (key_id, occurred_at) WHERE key_id IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX ledger_entries_key_recent`);
    await queryRunner.query(`ALTER TABLE api_keys DROP COLUMN disabled_reason`);
    await queryRunner.query(`ALTER TABLE api_keys DROP COLUMN max_spend_per_hour`);
  }
}
