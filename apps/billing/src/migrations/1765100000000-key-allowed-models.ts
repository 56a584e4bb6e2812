import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A key's model allowlist (patterns with `*` wildcards); null = every model. */
export class KeyAllowedModels1765100000000 implements MigrationInterface {
  name = 'KeyAllowedModels1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE api_keys ADD COLUMN allowed_models text[] NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE api_keys DROP COLUMN allowed_models`);
  }
}
