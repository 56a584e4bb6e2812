import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Queryable } from '../common/queryable.js';
import { recordsetInput, type RecordsetColumn } from '../common/recordset.js';
import type { GenerationRow } from './generation-row.js';
import type { StoredGeneration } from './generation-view.js';

/** One group of `activityForAccount`, as Postgres returns it (sums and counts as strings). */
export interface ActivityRow {
  date: string;
  model: string;
  endpoint_id: string | null;
  provider_name: string | null;
  usage: string;
  byok_usage_inference: string;
  requests: string;
  prompt_tokens: string;
  completion_tokens: string;
  reasoning_tokens: string;
}

/** Feedback entries one generation may collect. */
export const FEEDBACK_PER_GENERATION = 20;

/** The columns of `generations` written from a GenerationRow. */
const GENERATION_COLUMNS: ReadonlyArray<RecordsetColumn<GenerationRow>> = [
  { name: 'id', type: 'text', value: (row) => row.id },
  { name: 'request_id', type: 'text', value: (row) => row.requestId },
  { name: 'account_id', type: 'text', value: (row) => row.accountId },
  { name: 'key_id', type: 'text', value: (row) => row.keyId },
  { name: 'key_hash', type: 'text', value: (row) => row.keyHash },
  { name: 'lease_id', type: 'text', value: (row) => row.leaseId },
  { name: 'api_type', type: 'text', value: (row) => row.apiType },
  { name: 'model', type: 'text', value: (row) => row.model },
  { name: 'requested_model', type: 'text', value: (row) => row.requestedModel },
  { name: 'endpoint_id', type: 'text', value: (row) => row.endpointId },
  { name: 'provider_slug', type: 'text', value: (row) => row.providerSlug },
  { name: 'provider_name', type: 'text', value: (row) => row.providerName },
  { name: 'upstream_id', type: 'text', value: (row) => row.upstreamId },
  { name: 'is_byok', type: 'boolean', value: (row) => row.isByok },
  { name: 'streamed', type: 'boolean', value: (row) => row.streamed },
  { name: 'cancelled', type: 'boolean', value: (row) => row.cancelled },
  { name: 'created_at', type: 'timestamptz', value: (row) => row.createdAt },
  { name: 'latency_ms', type: 'double precision', value: (row) => row.latencyMs },
  { name: 'generation_time_ms', type: 'double precision', value: (row) => row.generationTimeMs },
  { name: 'overhead_ms', type: 'double precision', value: (row) => row.overheadMs },
  { name: 'ttft_ms', type: 'double precision', value: (row) => row.ttftMs },
  { name: 'prompt_tokens', type: 'integer', value: (row) => row.promptTokens },
  { name: 'completion_tokens', type: 'integer', value: (row) => row.completionTokens },
  { name: 'total_tokens', type: 'integer', value: (row) => row.totalTokens },
  { name: 'reasoning_tokens', type: 'integer', value: (row) => row.reasoningTokens },
  { name: 'cached_tokens', type: 'integer', value: (row) => row.cachedTokens },
  { name: 'cache_write_tokens', type: 'integer', value: (row) => row.cacheWriteTokens },
  { name: 'prompt_images', type: 'integer', value: (row) => row.promptImages },
  { name: 'usage_estimated', type: 'boolean', value: (row) => row.usageEstimated },
  { name: 'usage_raw', type: 'jsonb', value: (row) => row.usageRaw },
  { name: 'cost', type: 'numeric', value: (row) => row.cost },
  { name: 'upstream_cost', type: 'numeric', value: (row) => row.upstreamCost },
  { name: 'cache_discount', type: 'numeric', value: (row) => row.cacheDiscount },
  { name: 'pricing', type: 'jsonb', value: (row) => row.pricing },
  { name: 'finish_reason', type: 'text', value: (row) => row.finishReason },
  { name: 'native_finish_reason', type: 'text', value: (row) => row.nativeFinishReason },
  { name: 'attempts', type: 'jsonb', value: (row) => row.attempts },
  { name: 'session_id', type: 'text', value: (row) => row.sessionId },
  { name: 'external_user', type: 'text', value: (row) => row.externalUser },
  { name: 'app_title', type: 'text', value: (row) => row.appTitle },
  { name: 'http_referer', type: 'text', value: (row) => row.httpReferer },
  { name: 'user_agent', type: 'text', value: (row) => row.userAgent },
  { name: 'reconciled', type: 'boolean', value: (row) => row.reconciled },
  { name: 'needs_pricing', type: 'boolean', value: (row) => row.needsPricing },
  { name: 'response_cache_source_id', type: 'text', value: (row) => row.responseCacheSourceId },
  { name: 'preset', type: 'text', value: (row) => row.preset },
  { name: 'has_content', type: 'boolean', value: (row) => row.content !== null },
];

/** Carried in the same recordset but written to `generation_contents`. */
const CONTENT_COLUMNS: ReadonlyArray<RecordsetColumn<GenerationRow>> = [
  { name: 'content_input', type: 'jsonb', value: (row) => row.content?.input ?? null },
  { name: 'content_output', type: 'jsonb', value: (row) => row.content?.output ?? null },
];

const GENERATION_COLUMN_LIST = GENERATION_COLUMNS.map((column) => column.name).join(', ');

/** What the aggregate upserts read from inserted or removed generations. */
const AGGREGATE_SOURCE_COLUMNS = 'key_id, created_at, model, provider_slug, endpoint_id, provider_name, account_id, prompt_tokens, completion_tokens, reasoning_tokens, cached_tokens, cost, upstream_cost, is_byok, needs_pricing';

/** A generation's UTC day, as every daily aggregate groups it. */
const UTC_DAY = "(created_at AT TIME ZONE 'UTC')::date";

/**
 * A daily aggregate of generations: its table, its grouping columns in primary-key order and its counters, each
 * with the expression that computes it from a set of generations.
 */
interface DailyAggregate {
  table: string;
  groups: ReadonlyArray<readonly [column: string, expression: string]>;
  counters: ReadonlyArray<readonly [column: string, expression: string]>;
}

/**
 * Per key × day × model × provider: activity, the CSV export, key usage. `byok_cost` is the list-price (upstream)
 * cost of BYOK generations, which is what OpenRouter reports as `byok_usage`.
 */
const USAGE_DAILY: DailyAggregate = {
  table: 'usage_daily',
  groups: [
    ['key_id', "coalesce(key_id, '')"],
    ['day', UTC_DAY],
    ['model', 'model'],
    ['provider', "coalesce(provider_slug, '')"],
    ['account_id', 'account_id'],
  ],
  counters: [
    ['requests', 'count(*)'],
    ['prompt_tokens', 'coalesce(sum(prompt_tokens), 0)'],
    ['completion_tokens', 'coalesce(sum(completion_tokens), 0)'],
    ['reasoning_tokens', 'coalesce(sum(reasoning_tokens), 0)'],
    ['cached_tokens', 'coalesce(sum(cached_tokens), 0)'],
    ['cost', 'coalesce(sum(cost), 0)'],
    ['upstream_cost', 'coalesce(sum(upstream_cost), 0)'],
    ['byok_requests', 'count(*) FILTER (WHERE is_byok)'],
    ['byok_cost', 'coalesce(sum(upstream_cost) FILTER (WHERE is_byok), 0)'],
    ['unpriced_requests', 'count(*) FILTER (WHERE needs_pricing)'],
  ],
};

/** Per account × day × model × endpoint × provider name: `GET /api/v1/activity` (OpenRouter's per-endpoint rows). */
const USAGE_DAILY_ENDPOINTS: DailyAggregate = {
  table: 'usage_daily_endpoints',
  groups: [
    ['account_id', 'account_id'],
    ['day', UTC_DAY],
    ['model', 'model'],
    ['endpoint_id', "coalesce(endpoint_id, '')"],
    ['provider_name', "coalesce(provider_name, '')"],
  ],
  counters: [
    ['requests', 'count(*)'],
    ['prompt_tokens', 'coalesce(sum(prompt_tokens), 0)'],
    ['completion_tokens', 'coalesce(sum(completion_tokens), 0)'],
    ['reasoning_tokens', 'coalesce(sum(reasoning_tokens), 0)'],
    ['cost', 'coalesce(sum(cost), 0)'],
    ['byok_upstream_cost', 'coalesce(sum(upstream_cost) FILTER (WHERE is_byok), 0)'],
  ],
};

/**
 * Adds (sign 1) or removes (sign -1) the contribution of the generations in `source` to a daily aggregate: one row
 * per group, in primary-key order so that two replicas updating the same aggregates lock them in the same order
 * (no deadlocks).
 */
function aggregateUpsert(aggregate: DailyAggregate, source: string, sign: 1 | -1): string {
  const negate = sign === 1 ? '' : '-';
  const groups = aggregate.groups.map(([column]) => column);
  const counters = aggregate.counters.map(([column]) => column);
  const positions = groups.map((_, index) => index + 1).join(', ');
  return `INSERT INTO ${aggregate.table} AS aggregate (${[...groups, ...counters].join(', ')})
    SELECT ${aggregate.groups.map(([, expression]) => expression).join(', ')},
           ${aggregate.counters.map(([, expression]) => `${negate}${expression}`).join(',\n           ')}
    FROM ${source}
    GROUP BY ${positions}
    ORDER BY ${positions}
    ON CONFLICT (${groups.join(', ')}) DO UPDATE SET
      ${counters.map((counter) => `${counter} = aggregate.${counter} + excluded.${counter}`).join(',\n      ')}
    RETURNING 1`;
}

/** Both daily aggregates, updated with one statement's generations (CTEs named `<name>_<table>`). */
function aggregateUpserts(name: string, source: string, sign: 1 | -1): string {
  return [USAGE_DAILY, USAGE_DAILY_ENDPOINTS].map((aggregate) => `${name}_${aggregate.table} AS (${aggregateUpsert(aggregate, source, sign)})`).join(', ');
}

export interface InsertOutcome {
  /** Rows actually inserted (the rest were already stored: redelivery or a duplicate publish). */
  inserted: number;
  /** Reconciled placeholders replaced by the real event. */
  superseded: number;
}

/** Advisory lock namespace: the first key is the schema (tests share a database), the second the purpose. */
const GENERATION_WRITE_LOCK = 1;
const RECONCILER_LOCK = 2;

@Injectable()
export class GenerationsRepository {
  constructor(@InjectDataSource() readonly dataSource: DataSource) {}

  /** Runs `work` in one transaction. */
  transaction<T>(work: (queryable: Queryable) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) => work(manager));
  }

  /**
   * Batch writers hold the generation-write lock shared (they run side by side); the reconciler holds it
   * exclusively while it decides which generations are orphans, so a real event and its placeholder never race.
   */
  async lockForBatchWrite(queryable: Queryable): Promise<void> {
    await queryable.query(`SELECT pg_advisory_xact_lock_shared(hashtext(current_schema()), ${GENERATION_WRITE_LOCK})`);
  }

  /** Only one reconciliation pass at a time across replicas: false when another replica holds it (skip the pass). */
  async tryLockReconciler(queryable: Queryable): Promise<boolean> {
    const [{ locked }] = await queryable.query<Array<{ locked: boolean }>>(`SELECT pg_try_advisory_xact_lock(hashtext(current_schema()), ${RECONCILER_LOCK}) AS locked`);
    return locked;
  }

  /** Waits (at most `timeoutMs`, then throws) for in-flight batch writes and holds new ones off until commit. */
  async lockGenerationWrites(queryable: Queryable, timeoutMs: number): Promise<void> {
    await queryable.query(`SELECT set_config('lock_timeout', $1, true)`, [`${Math.max(1, Math.round(timeoutMs))}ms`]);
    await queryable.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema()), ${GENERATION_WRITE_LOCK})`);
    await queryable.query(`SELECT set_config('lock_timeout', '0', true)`);
  }

  /**
   * Stores generations with one multi-row insert, idempotent by id. In the same statement: the opted-in content of
   * the rows actually inserted, and their contribution to the daily aggregates (a redelivered duplicate inserts
   * nothing, so it never counts twice). With `supersedePlaceholders`, unpriced reconciled placeholders with the same
   * ids are first deleted and their contribution subtracted, so the real event replaces them. A *charged* reconciled
   * generation is never replaced: billing debited that one, so the first record of an id stays (both are equal).
   */
  async insertGenerations(queryable: Queryable, rows: ReadonlyArray<GenerationRow>, options: { supersedePlaceholders: boolean }): Promise<InsertOutcome> {
    if (rows.length === 0) return { inserted: 0, superseded: 0 };
    // Sorted by id (replicas lock rows in the same order) and without repeated ids (the content insert joins on id).
    const unique = new Map<string, GenerationRow>();
    for (const row of rows) if (!unique.has(row.id)) unique.set(row.id, row);
    const sorted = [...unique.values()].sort((left, right) => (left.id < right.id ? -1 : left.id > right.id ? 1 : 0));
    let superseded = 0;
    if (options.supersedePlaceholders) {
      const [result] = await queryable.query<Array<{ removed: number }>>(
        `WITH removed AS (
           DELETE FROM generations WHERE id = ANY($1::text[]) AND reconciled AND needs_pricing RETURNING ${AGGREGATE_SOURCE_COLUMNS}
         ), ${aggregateUpserts('unaggregated', 'removed', -1)}
         SELECT (SELECT count(*)::int FROM removed) AS removed`,
        [sorted.map((row) => row.id)],
      );
      superseded = result.removed;
    }
    const input = recordsetInput([...GENERATION_COLUMNS, ...CONTENT_COLUMNS], sorted, 'batch');
    const [result] = await queryable.query<Array<{ inserted: number }>>(
      `WITH batch AS MATERIALIZED (
         SELECT * FROM ${input.from}
       ), inserted AS (
         INSERT INTO generations (${GENERATION_COLUMN_LIST})
         SELECT ${GENERATION_COLUMN_LIST} FROM batch
         ON CONFLICT (id) DO NOTHING
         RETURNING id, ${AGGREGATE_SOURCE_COLUMNS}
       ), contents AS (
         INSERT INTO generation_contents (generation_id, input, output)
         SELECT batch.id, batch.content_input, batch.content_output
         FROM batch JOIN inserted ON inserted.id = batch.id
         WHERE batch.has_content
         RETURNING 1
       ), ${aggregateUpserts('aggregated', 'inserted', 1)}
       SELECT (SELECT count(*)::int FROM inserted) AS inserted`,
      input.parameters,
    );
    return { inserted: result.inserted, superseded };
  }

  /** One generation of one account (the lookup RPC). */
  /**
   * An account's generations in the UTC days `[from, to)` summed per day × model × endpoint × provider name, newest
   * day first, the day's costliest first: one primary-key range of the per-endpoint daily aggregate, however many
   * generations the days hold.
   */
  async activityForAccount(accountId: string, from: Date, to: Date): Promise<ActivityRow[]> {
    return this.dataSource.query<ActivityRow[]>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS date, model, NULLIF(endpoint_id, '') AS endpoint_id, NULLIF(provider_name, '') AS provider_name,
              cost::text AS usage, byok_upstream_cost::text AS byok_usage_inference, requests::text AS requests,
              prompt_tokens::text AS prompt_tokens, completion_tokens::text AS completion_tokens, reasoning_tokens::text AS reasoning_tokens
         FROM usage_daily_endpoints
        WHERE account_id = $1 AND day >= ($2::timestamptz AT TIME ZONE 'UTC')::date AND day < ($3::timestamptz AT TIME ZONE 'UTC')::date AND requests > 0
        ORDER BY day DESC, cost DESC, model, endpoint_id`,
      [accountId, from, to],
    );
  }

  async findForAccount(id: string, accountId: string): Promise<StoredGeneration | null> {
    const rows = await this.dataSource.query<StoredGeneration[]>(`SELECT * FROM generations WHERE id = $1 AND account_id = $2`, [id, accountId]);
    return rows[0] ?? null;
  }

  /**
   * The stored content of one generation of one account: `undefined` when the generation is not the account's (or
   * not recorded yet), `null` when it is but nothing was stored (the account had not opted in to prompt logging).
   */
  async findContentForAccount(id: string, accountId: string): Promise<{ input: unknown; output: unknown } | null | undefined> {
    const rows = await this.dataSource.query<Array<{ input: unknown; output: unknown; present: boolean }>>(
      `SELECT c.input, c.output, c.generation_id IS NOT NULL AS present
       FROM generations g LEFT JOIN generation_contents c ON c.generation_id = g.id
       WHERE g.id = $1 AND g.account_id = $2`,
      [id, accountId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return row.present ? { input: row.input, output: row.output } : null;
  }

  /**
   * Records feedback on a generation of the account: 'added', 'not_found' when the generation is not the account's,
   * 'full' when it has FEEDBACK_PER_GENERATION entries already (a key cannot fill the table through one generation).
   */
  async addFeedback(feedback: { generationId: string; accountId: string; category: string; comment: string | null }): Promise<'added' | 'not_found' | 'full'> {
    const rows = await this.dataSource.query<Array<{ added: boolean }>>(
      `WITH target AS (SELECT g.id, g.account_id FROM generations g WHERE g.id = $1 AND g.account_id = $2),
            inserted AS (
              INSERT INTO generation_feedback (generation_id, account_id, category, comment)
              SELECT t.id, t.account_id, $3, $4 FROM target t
               WHERE (SELECT count(*) FROM generation_feedback f WHERE f.generation_id = t.id) < $5
              RETURNING id)
       SELECT EXISTS (SELECT 1 FROM inserted) AS added FROM target`,
      [feedback.generationId, feedback.accountId, feedback.category, feedback.comment, FEEDBACK_PER_GENERATION],
    );
    if (rows.length === 0) return 'not_found';
    return rows[0]!.added ? 'added' : 'full';
  }

  /** The feedback on one generation, oldest first (admin). */
  async feedbackOf(id: string): Promise<Array<{ category: string; comment: string | null; created_at: Date }>> {
    return this.dataSource.query(`SELECT category, comment, created_at FROM generation_feedback WHERE generation_id = $1 ORDER BY id`, [id]);
  }

  /** One generation with its content, if any (admin). */
  async findWithContent(id: string): Promise<{ generation: StoredGeneration; content: { input: unknown; output: unknown } | null } | null> {
    const rows = await this.dataSource.query<Array<StoredGeneration & { content_input: unknown; content_output: unknown; content_present: boolean }>>(
      `SELECT g.*, c.input AS content_input, c.output AS content_output, c.generation_id IS NOT NULL AS content_present
       FROM generations g LEFT JOIN generation_contents c ON c.generation_id = g.id
       WHERE g.id = $1`,
      [id],
    );
    const row = rows[0];
    if (!row) return null;
    const { content_input: input, content_output: output, content_present: present, ...generation } = row;
    return { generation, content: present ? { input, output } : null };
  }

  async exists(id: string): Promise<boolean> {
    const rows = await this.dataSource.query(`SELECT 1 FROM generations WHERE id = $1`, [id]);
    return rows.length > 0;
  }

  /**
   * Newest first, keyset-paginated on (created_at, id): `beforeId` names the last generation of the previous page,
   * so a page costs one index range scan however deep it is.
   */
  async list(options: { accountId?: string; limit: number; beforeId?: string }): Promise<StoredGeneration[]> {
    const conditions: string[] = [];
    const parameters: unknown[] = [];
    if (options.accountId) {
      parameters.push(options.accountId);
      conditions.push(`g.account_id = $${parameters.length}`);
    }
    if (options.beforeId) {
      parameters.push(options.beforeId);
      conditions.push(`(g.created_at, g.id) < (SELECT cursor.created_at, cursor.id FROM generations cursor WHERE cursor.id = $${parameters.length})`);
    }
    parameters.push(options.limit);
    return this.dataSource.query(
      `SELECT g.* FROM generations g
       ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
       ORDER BY g.created_at DESC, g.id DESC
       LIMIT $${parameters.length}`,
      parameters,
    );
  }
}
