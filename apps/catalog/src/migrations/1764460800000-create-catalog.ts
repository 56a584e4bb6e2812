import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The catalog's tables. Unqualified names: the connection's search_path is the service's schema. Prices are
 * `numeric` (exact decimals, USD per token), never floating point.
 */
export class CreateCatalog1764460800000 implements MigrationInterface {
  name = 'CreateCatalog1764460800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE providers (
        slug                  text PRIMARY KEY CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
        name                  text NOT NULL,
        wire_format           text NOT NULL CHECK (wire_format IN ('openai', 'anthropic', 'gemini', 'azure')),
        adapter               text,
        base_url              text NOT NULL,
        trains_on_data        boolean NOT NULL,
        retains_prompts       boolean NOT NULL,
        retention_days        integer CHECK (retention_days >= 0),
        zdr                   boolean NOT NULL,
        moderated             boolean NOT NULL DEFAULT false,
        status_page_url       text,
        privacy_policy_url    text,
        terms_of_service_url  text,
        headquarters          text,
        datacenters           text[] NOT NULL DEFAULT '{}',
        status                text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
        created_at            timestamptz NOT NULL DEFAULT now(),
        updated_at            timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE models (
        id                  text PRIMARY KEY,
        canonical_slug      text NOT NULL,
        hugging_face_id     text,
        name                text NOT NULL,
        description         text NOT NULL DEFAULT '',
        created             bigint NOT NULL,
        context_length      integer NOT NULL CHECK (context_length > 0),
        input_modalities    text[] NOT NULL DEFAULT '{text}',
        output_modalities   text[] NOT NULL DEFAULT '{text}',
        tokenizer           text NOT NULL DEFAULT 'Other',
        instruct_type       text,
        reasoning           jsonb,
        knowledge_cutoff    text,
        expiration_date     text,
        default_parameters  jsonb,
        status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
        created_at          timestamptz NOT NULL DEFAULT now(),
        updated_at          timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE endpoints (
        id                         text PRIMARY KEY,
        model_id                   text NOT NULL REFERENCES models (id),
        provider_slug              text NOT NULL REFERENCES providers (slug),
        tag                        text NOT NULL,
        variant                    text NOT NULL DEFAULT 'standard' CHECK (variant IN ('standard', 'free', 'extended', 'thinking')),
        upstream_model_id          text NOT NULL,
        price_prompt               numeric NOT NULL CHECK (price_prompt >= 0),
        price_completion           numeric NOT NULL CHECK (price_completion >= 0),
        price_request              numeric CHECK (price_request >= 0),
        price_image                numeric CHECK (price_image >= 0),
        price_input_cache_read     numeric CHECK (price_input_cache_read >= 0),
        price_input_cache_write    numeric CHECK (price_input_cache_write >= 0),
        price_internal_reasoning   numeric CHECK (price_internal_reasoning >= 0),
        discount                   numeric CHECK (discount >= 0 AND discount <= 1),
        context_length             integer NOT NULL CHECK (context_length > 0),
        max_completion_tokens      integer CHECK (max_completion_tokens > 0),
        max_prompt_tokens          integer CHECK (max_prompt_tokens > 0),
        quantization               text,
        supported_parameters       text[] NOT NULL DEFAULT '{}',
        supports_implicit_caching  boolean NOT NULL DEFAULT false,
        service_tier               text NOT NULL DEFAULT 'default' CHECK (service_tier IN ('default', 'flex', 'priority')),
        status                     text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
        created_at                 timestamptz NOT NULL DEFAULT now(),
        updated_at                 timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT endpoints_model_tag_unique UNIQUE (model_id, tag)
      )`);
    await queryRunner.query(`CREATE INDEX endpoints_provider_idx ON endpoints (provider_slug)`);
    await queryRunner.query(`
      CREATE TABLE aliases (
        alias            text PRIMARY KEY CHECK (alias LIKE '~%'),
        target_model_id  text NOT NULL REFERENCES models (id),
        created_at       timestamptz NOT NULL DEFAULT now(),
        updated_at       timestamptz NOT NULL DEFAULT now()
      )`);
    // One row: the catalog version. Every write transaction locks it (SELECT ... FOR UPDATE), so writers on every
    // replica are serialised and each change gets the next version.
    await queryRunner.query(`
      CREATE TABLE catalog_state (
        id       smallint PRIMARY KEY CHECK (id = 1),
        version  bigint NOT NULL CHECK (version >= 0)
      )`);
    await queryRunner.query(`INSERT INTO catalog_state (id, version) VALUES (1, 0)`);
    await queryRunner.query(`
      CREATE TABLE catalog_changes (
        version  bigint PRIMARY KEY,
        at       timestamptz NOT NULL DEFAULT now(),
        source   text NOT NULL,
        summary  text NOT NULL,
        changes  jsonb NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE catalog_changes`);
    await queryRunner.query(`DROP TABLE catalog_state`);
    await queryRunner.query(`DROP TABLE aliases`);
    await queryRunner.query(`DROP TABLE endpoints`);
    await queryRunner.query(`DROP TABLE models`);
    await queryRunner.query(`DROP TABLE providers`);
  }
}
