import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Presets (OpenRouter's `@preset/<slug>`): every version of an account's presets. A change adds a version; requests
 * use the latest. Deleting a preset deletes its versions.
 */
export class Presets1765000000000 implements MigrationInterface {
  name = 'Presets1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE presets (
        account_id text NOT NULL REFERENCES accounts (id),
        slug text NOT NULL,
        version integer NOT NULL CHECK (version > 0),
        name text NOT NULL,
        description text NULL,
        system_prompt text NULL,
        config jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (account_id, slug, version)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE presets`);
  }
}
