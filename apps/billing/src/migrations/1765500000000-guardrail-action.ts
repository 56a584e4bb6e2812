import type { MigrationInterface, QueryRunner } from 'typeorm';

/** What an account's guardrails do with what they find: refuse the request (block, as before) or redact it. */
export class GuardrailAction1765500000000 implements MigrationInterface {
  name = 'GuardrailAction1765500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE accounts ADD COLUMN guardrail_action text NOT NULL DEFAULT 'block' CHECK (guardrail_action IN ('block', 'redact'))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE accounts DROP COLUMN guardrail_action`);
  }
}
