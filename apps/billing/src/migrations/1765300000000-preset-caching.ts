import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A preset's response caching (OpenRouter's `cache_enabled` on presets): on, off, or left to the request (null). */
export class PresetCaching1765300000000 implements MigrationInterface {
  name = 'PresetCaching1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE presets ADD COLUMN cache_enabled boolean`);
    await queryRunner.query(`ALTER TABLE presets ADD COLUMN cache_ttl_seconds integer CHECK (cache_ttl_seconds BETWEEN 1 AND 86400)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE presets DROP COLUMN cache_ttl_seconds`);
    await queryRunner.query(`ALTER TABLE presets DROP COLUMN cache_enabled`);
  }
}
