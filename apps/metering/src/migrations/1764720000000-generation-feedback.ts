import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Feedback on generations (`POST /api/v1/generation/feedback`): a category and an optional comment, by the generation's account. */
export class GenerationFeedback1764720000000 implements MigrationInterface {
  name = 'GenerationFeedback1764720000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE generation_feedback (
        id bigserial PRIMARY KEY,
        generation_id text NOT NULL,
        account_id text NOT NULL,
        category text NOT NULL,
        comment text NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX generation_feedback_generation ON generation_feedback (generation_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE generation_feedback`);
  }
}
