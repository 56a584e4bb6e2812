import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The routing service's durable state: operator drains (decisions that must survive any restart) and a compact,
 * periodically saved snapshot of each endpoint's rolling stats and breaker, so uptime figures and open breakers
 * survive a restart too.
 */
export class CreateEndpointHealth1764000000000 implements MigrationInterface {
  name = 'CreateEndpointHealth1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE endpoint_drains (
        endpoint_id text PRIMARY KEY,
        reason text,
        drained_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE endpoint_stats_snapshots (
        endpoint_id text PRIMARY KEY,
        snapshot jsonb NOT NULL,
        saved_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE endpoint_stats_snapshots`);
    await queryRunner.query(`DROP TABLE endpoint_drains`);
  }
}
