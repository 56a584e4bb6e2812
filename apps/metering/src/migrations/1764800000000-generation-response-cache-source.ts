import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A generation served from the gateway's response cache (`X-OpenRouter-Cache`) keeps the id of the generation whose
 * response was replayed (OpenRouter's `response_cache_source_id`). Null for every generation a provider served, and
 * for rows stored before the column existed.
 */
export class GenerationResponseCacheSource1764800000000 implements MigrationInterface {
  name = 'GenerationResponseCacheSource1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE generations ADD COLUMN response_cache_source_id text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE generations DROP COLUMN response_cache_source_id`);
  }
}
