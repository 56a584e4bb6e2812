import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `GET /api/v1/activity` reports per UTC day × model × endpoint × provider name; `usage_daily` has no endpoint, so
 * the activity RPC summed the account's generations of 30 days at every call (a scan that grows with traffic, the
 * LiteLLM spend-log pattern the peers' users complain about). This aggregate is kept with `usage_daily`, in the
 * same statement as each batch of generations, and backfilled here from the generations already stored.
 */
export class UsageDailyEndpoints1764900000000 implements MigrationInterface {
  name = 'UsageDailyEndpoints1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE usage_daily_endpoints (
        account_id          text NOT NULL,
        day                 date NOT NULL,
        model               text NOT NULL,
        endpoint_id         text NOT NULL,
        provider_name       text NOT NULL,
        requests            bigint NOT NULL DEFAULT 0,
        prompt_tokens       bigint NOT NULL DEFAULT 0,
        completion_tokens   bigint NOT NULL DEFAULT 0,
        reasoning_tokens    bigint NOT NULL DEFAULT 0,
        cost                numeric NOT NULL DEFAULT 0,
        byok_upstream_cost  numeric NOT NULL DEFAULT 0,
        PRIMARY KEY (account_id, day, model, endpoint_id, provider_name)
      )`);
    await queryRunner.query(`
      INSERT INTO usage_daily_endpoints (account_id, day, model, endpoint_id, provider_name, requests, prompt_tokens, completion_tokens, reasoning_tokens, cost, byok_upstream_cost)
      SELECT account_id, (created_at AT TIME ZONE 'UTC')::date, model, coalesce(endpoint_id, ''), coalesce(provider_name, ''),
             count(*), coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0), coalesce(sum(reasoning_tokens), 0),
             coalesce(sum(cost), 0), coalesce(sum(upstream_cost) FILTER (WHERE is_byok), 0)
        FROM generations
       GROUP BY 1, 2, 3, 4, 5`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE usage_daily_endpoints`);
  }
}
