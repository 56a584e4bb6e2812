import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateCredentials1764000000000 implements MigrationInterface {
  name = 'CreateCredentials1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE credentials (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        provider text NOT NULL,
        account_id text NULL,
        secret text NOT NULL,
        last4 text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT credentials_provider_account_unique UNIQUE NULLS NOT DISTINCT (provider, account_id)
      )`);
    await queryRunner.query(`CREATE INDEX credentials_account_idx ON credentials (account_id) WHERE account_id IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE credentials`);
  }
}
