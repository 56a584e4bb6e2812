import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A key's own guardrails (detectors, keywords, action), applied with the account's; null = the account's only. */
export class KeyGuardrails1765600000000 implements MigrationInterface {
  name = 'KeyGuardrails1765600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE api_keys ADD COLUMN guardrails jsonb NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE api_keys DROP COLUMN guardrails`);
  }
}
