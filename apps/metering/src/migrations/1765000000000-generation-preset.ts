import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The preset a generation's request named (its slug; `/generation`'s `preset_id`). Null without one. */
export class GenerationPreset1765000000000 implements MigrationInterface {
  name = 'GenerationPreset1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE generations ADD COLUMN preset text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE generations DROP COLUMN preset`);
  }
}
