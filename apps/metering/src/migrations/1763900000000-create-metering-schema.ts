import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The metering schema: the generation log (what `GET /generation` shows), opted-in prompt/completion content,
 * per key × day × model × provider aggregates (what activity and usage windows read, never the raw log),
 * attempt usage from providers (for reconciliation) and dead-lettered events.
 */
export class CreateMeteringSchema1763900000000 implements MigrationInterface {
  name = 'CreateMeteringSchema1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE generations (
        id                   text PRIMARY KEY,
        request_id           text,
        account_id           text NOT NULL,
        key_id               text,
        key_hash             text,
        lease_id             text,
        api_type             text NOT NULL,
        model                text NOT NULL,
        requested_model      text,
        endpoint_id          text,
        provider_slug        text,
        provider_name        text,
        upstream_id          text,
        is_byok              boolean NOT NULL DEFAULT false,
        streamed             boolean NOT NULL DEFAULT false,
        cancelled            boolean NOT NULL DEFAULT false,
        created_at           timestamptz NOT NULL,
        recorded_at          timestamptz NOT NULL DEFAULT now(),
        latency_ms           double precision,
        generation_time_ms   double precision,
        overhead_ms          double precision,
        ttft_ms              double precision,
        prompt_tokens        integer NOT NULL DEFAULT 0,
        completion_tokens    integer NOT NULL DEFAULT 0,
        total_tokens         integer NOT NULL DEFAULT 0,
        reasoning_tokens     integer NOT NULL DEFAULT 0,
        cached_tokens        integer NOT NULL DEFAULT 0,
        cache_write_tokens   integer NOT NULL DEFAULT 0,
        prompt_images        integer,
        usage_estimated      boolean NOT NULL DEFAULT false,
        usage_raw            jsonb,
        cost                 numeric,
        upstream_cost        numeric,
        cache_discount       numeric,
        pricing              jsonb,
        finish_reason        text,
        native_finish_reason text,
        attempts             jsonb NOT NULL DEFAULT '[]'::jsonb,
        session_id           text,
        external_user        text,
        app_title            text,
        http_referer         text,
        user_agent           text,
        reconciled           boolean NOT NULL DEFAULT false,
        needs_pricing        boolean NOT NULL DEFAULT false,
        has_content          boolean NOT NULL DEFAULT false,
        CONSTRAINT generations_priced CHECK (needs_pricing OR cost IS NOT NULL)
      )`);
    await queryRunner.query(`CREATE INDEX generations_account_created_idx ON generations (account_id, created_at, id)`);
    await queryRunner.query(`CREATE INDEX generations_created_idx ON generations (created_at, id)`);
    // Reconciled placeholders only (a handful): every batch checks its ids against them.
    await queryRunner.query(`CREATE INDEX generations_reconciled_idx ON generations (id) WHERE reconciled`);

    await queryRunner.query(`
      CREATE TABLE generation_contents (
        generation_id text PRIMARY KEY REFERENCES generations (id) ON DELETE CASCADE,
        input         jsonb,
        output        jsonb
      )`);

    await queryRunner.query(`
      CREATE TABLE usage_daily (
        key_id             text NOT NULL,
        day                date NOT NULL,
        model              text NOT NULL,
        provider           text NOT NULL,
        account_id         text NOT NULL,
        requests           bigint NOT NULL DEFAULT 0,
        prompt_tokens      bigint NOT NULL DEFAULT 0,
        completion_tokens  bigint NOT NULL DEFAULT 0,
        reasoning_tokens   bigint NOT NULL DEFAULT 0,
        cached_tokens      bigint NOT NULL DEFAULT 0,
        cost               numeric NOT NULL DEFAULT 0,
        upstream_cost      numeric NOT NULL DEFAULT 0,
        byok_requests      bigint NOT NULL DEFAULT 0,
        byok_cost          numeric NOT NULL DEFAULT 0,
        unpriced_requests  bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (key_id, day, model, provider, account_id)
      )`);
    // Keyset orders of the activity queries and the CSV export (with and without an account filter).
    await queryRunner.query(`CREATE INDEX usage_daily_account_day_idx ON usage_daily (account_id, day, key_id, model, provider)`);
    await queryRunner.query(`CREATE INDEX usage_daily_day_idx ON usage_daily (day, account_id, key_id, model, provider)`);

    await queryRunner.query(`
      CREATE TABLE attempt_usage (
        attempt_id          text PRIMARY KEY,
        generation_id       text NOT NULL,
        account_id          text NOT NULL,
        endpoint_id         text NOT NULL,
        prompt_tokens       integer NOT NULL,
        completion_tokens   integer NOT NULL,
        total_tokens        integer NOT NULL,
        reasoning_tokens    integer NOT NULL,
        cached_tokens       integer NOT NULL,
        cache_write_tokens  integer NOT NULL,
        prompt_images       integer,
        usage_estimated     boolean NOT NULL DEFAULT false,
        usage_raw           jsonb,
        attempted_at        timestamptz NOT NULL,
        received_at         timestamptz NOT NULL DEFAULT now(),
        resolved_at         timestamptz,
        resolution          text
      )`);
    await queryRunner.query(`CREATE INDEX attempt_usage_generation_idx ON attempt_usage (generation_id)`);
    await queryRunner.query(`CREATE INDEX attempt_usage_pending_idx ON attempt_usage (received_at) WHERE resolved_at IS NULL`);
    await queryRunner.query(`CREATE INDEX attempt_usage_resolved_idx ON attempt_usage (resolved_at) WHERE resolved_at IS NOT NULL`);

    await queryRunner.query(`
      CREATE TABLE dead_letters (
        id               bigserial PRIMARY KEY,
        consumer         text NOT NULL,
        subject          text NOT NULL,
        stream_sequence  bigint NOT NULL,
        payload_sha256   text NOT NULL,
        payload          bytea NOT NULL,
        reason           text NOT NULL,
        received_at      timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT dead_letters_once UNIQUE (consumer, stream_sequence, payload_sha256)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE dead_letters`);
    await queryRunner.query(`DROP TABLE attempt_usage`);
    await queryRunner.query(`DROP TABLE usage_daily`);
    await queryRunner.query(`DROP TABLE generation_contents`);
    await queryRunner.query(`DROP TABLE generations`);
  }
}
