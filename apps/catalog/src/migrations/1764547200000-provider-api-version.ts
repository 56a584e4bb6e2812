import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A provider's API version (Azure `api-version`, `anthropic-version`); null means the adapter's default. */
export class ProviderApiVersion1764547200000 implements MigrationInterface {
  name = 'ProviderApiVersion1764547200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE providers ADD COLUMN IF NOT EXISTS api_version text CHECK (api_version IS NULL OR length(api_version) BETWEEN 1 AND 64)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE providers DROP COLUMN IF EXISTS api_version`);
  }
}
