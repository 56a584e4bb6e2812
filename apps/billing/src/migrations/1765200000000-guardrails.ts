import type { MigrationInterface, QueryRunner } from 'typeorm';

/** An account's guardrails: the detectors and keywords that block a request before any provider sees it. */
export class Guardrails1765200000000 implements MigrationInterface {
  name = 'Guardrails1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE accounts ADD COLUMN guardrail_detectors text[] NOT NULL DEFAULT '{}'`);
    await queryRunner.query(`ALTER TABLE accounts ADD COLUMN guardrail_keywords text[] NOT NULL DEFAULT '{}'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE accounts DROP COLUMN guardrail_keywords`);
    await queryRunner.query(`ALTER TABLE accounts DROP COLUMN guardrail_detectors`);
  }
}
