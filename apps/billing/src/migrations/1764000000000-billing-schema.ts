import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The billing schema. Amounts are `numeric` (exact, unbounded scale). The ledger is append-only with a unique
 * idempotency key; balances, lot remainders, key usage per day and BYOK usage per month are maintained in the same
 * transaction as the ledger entries that change them, so nothing ever sums the raw ledger on a request path.
 */
export class BillingSchema1764000000000 implements MigrationInterface {
  name = 'BillingSchema1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE accounts (
        id text PRIMARY KEY,
        name text NOT NULL,
        overdraft numeric NOT NULL DEFAULT 0 CHECK (overdraft >= 0),
        allow_training boolean NOT NULL DEFAULT false,
        allow_retention boolean NOT NULL DEFAULT true,
        require_zdr boolean NOT NULL DEFAULT false,
        log_prompts boolean NOT NULL DEFAULT false,
        allowed_providers text[] NULL,
        ignored_providers text[] NOT NULL DEFAULT '{}',
        byok_providers text[] NOT NULL DEFAULT '{}',
        byok_providers_at bigint NOT NULL DEFAULT 0,
        disabled boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE balances (
        account_id text PRIMARY KEY REFERENCES accounts (id),
        balance numeric NOT NULL DEFAULT 0,
        debt numeric NOT NULL DEFAULT 0 CHECK (debt >= 0),
        total_credits numeric NOT NULL DEFAULT 0,
        total_usage numeric NOT NULL DEFAULT 0,
        total_purchased numeric NOT NULL DEFAULT 0 CHECK (total_purchased >= 0),
        updated_at timestamptz NOT NULL,
        CONSTRAINT balances_balance_is_credits_minus_usage CHECK (balance = total_credits - total_usage)
      )`);
    await queryRunner.query(`
      CREATE TABLE api_keys (
        id text PRIMARY KEY,
        hash text NOT NULL,
        account_id text NOT NULL REFERENCES accounts (id),
        name text NOT NULL,
        label text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('inference', 'management')),
        disabled boolean NOT NULL DEFAULT false,
        "limit" numeric NULL CHECK ("limit" >= 0),
        limit_reset text NULL CHECK (limit_reset IN ('daily', 'weekly', 'monthly')),
        include_byok_in_limit boolean NOT NULL DEFAULT false,
        expires_at timestamptz NULL,
        creator_user_id text NULL,
        usage_total numeric NOT NULL DEFAULT 0,
        byok_usage_total numeric NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        CONSTRAINT api_keys_hash_unique UNIQUE (hash)
      )`);
    await queryRunner.query(`CREATE INDEX api_keys_account ON api_keys (account_id, created_at DESC)`);
    await queryRunner.query(`CREATE INDEX api_keys_expiring ON api_keys (expires_at) WHERE expires_at IS NOT NULL`);
    await queryRunner.query(`
      CREATE TABLE key_usage_daily (
        key_id text NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
        day date NOT NULL,
        usage numeric NOT NULL DEFAULT 0,
        byok_usage numeric NOT NULL DEFAULT 0,
        requests integer NOT NULL DEFAULT 0,
        PRIMARY KEY (key_id, day)
      )`);
    await queryRunner.query(`
      CREATE TABLE account_byok_monthly (
        account_id text NOT NULL REFERENCES accounts (id),
        month date NOT NULL,
        usage numeric NOT NULL DEFAULT 0,
        requests integer NOT NULL DEFAULT 0,
        PRIMARY KEY (account_id, month)
      )`);
    await queryRunner.query(`
      CREATE TABLE credit_lots (
        id text PRIMARY KEY,
        seq bigserial NOT NULL,
        account_id text NOT NULL REFERENCES accounts (id),
        method text NOT NULL CHECK (method IN ('card', 'crypto', 'grant', 'adjustment')),
        amount numeric NOT NULL CHECK (amount >= 0),
        fee numeric NOT NULL DEFAULT 0 CHECK (fee >= 0),
        remaining numeric NOT NULL CHECK (remaining >= 0 AND remaining <= amount),
        refunded numeric NOT NULL DEFAULT 0 CHECK (refunded >= 0),
        expired numeric NOT NULL DEFAULT 0 CHECK (expired >= 0),
        purchased_at timestamptz NOT NULL,
        expires_at timestamptz NULL,
        refundable_until timestamptz NULL,
        external_ref text NULL,
        CONSTRAINT credit_lots_external_ref_unique UNIQUE (external_ref)
      )`);
    await queryRunner.query(`CREATE INDEX credit_lots_open ON credit_lots (account_id, purchased_at, seq) WHERE remaining > 0`);
    await queryRunner.query(`CREATE INDEX credit_lots_expiring ON credit_lots (expires_at) WHERE remaining > 0 AND expires_at IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX credit_lots_account ON credit_lots (account_id, purchased_at DESC)`);
    await queryRunner.query(`
      CREATE TABLE ledger_entries (
        id bigserial PRIMARY KEY,
        account_id text NOT NULL REFERENCES accounts (id),
        kind text NOT NULL CHECK (kind IN ('purchase', 'grant', 'fee', 'usage', 'byok_fee', 'refund', 'expiry', 'adjustment')),
        amount numeric NOT NULL,
        idempotency_key text NOT NULL,
        lot_id text NULL,
        key_id text NULL,
        lease_id text NULL,
        generation_id text NULL,
        byok_usage numeric NULL,
        reason text NULL,
        occurred_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL,
        CONSTRAINT ledger_entries_idempotency_key_unique UNIQUE (idempotency_key)
      )`);
    await queryRunner.query(`CREATE INDEX ledger_entries_account ON ledger_entries (account_id, id DESC)`);
    await queryRunner.query(`
      CREATE TABLE leases (
        id bigserial PRIMARY KEY,
        account_id text NOT NULL REFERENCES accounts (id),
        key_id text NULL REFERENCES api_keys (id) ON DELETE CASCADE,
        replica_id text NOT NULL,
        lease_id text NOT NULL,
        granted numeric NOT NULL DEFAULT 0 CHECK (granted >= 0),
        debited numeric NOT NULL DEFAULT 0 CHECK (debited >= 0),
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX leases_account_replica ON leases (account_id, replica_id) WHERE key_id IS NULL`);
    await queryRunner.query(`CREATE UNIQUE INDEX leases_key_replica ON leases (key_id, replica_id) WHERE key_id IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX leases_lease_id ON leases (lease_id)`);
    await queryRunner.query(`
      CREATE TABLE free_quota_daily (
        account_id text NOT NULL,
        day date NOT NULL,
        count integer NOT NULL DEFAULT 0,
        PRIMARY KEY (account_id, day)
      )`);
    await queryRunner.query(`
      CREATE TABLE billing_state (
        id smallint PRIMARY KEY CHECK (id = 1),
        version bigint NOT NULL,
        maintenance_at timestamptz NULL
      )`);
    await queryRunner.query(`INSERT INTO billing_state (id, version) VALUES (1, 0)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['billing_state', 'free_quota_daily', 'leases', 'ledger_entries', 'credit_lots', 'account_byok_monthly', 'key_usage_daily', 'api_keys', 'balances', 'accounts']) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
