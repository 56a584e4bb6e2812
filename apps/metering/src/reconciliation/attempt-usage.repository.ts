import { Injectable } from '@nestjs/common';
import type { Queryable } from '../common/queryable.js';
import { recordsetInput, type RecordsetColumn } from '../common/recordset.js';
import type { AttemptUsageRow, StoredAttemptUsage } from './attempt-usage-row.js';

const COLUMNS: ReadonlyArray<RecordsetColumn<AttemptUsageRow>> = [
  { name: 'attempt_id', type: 'text', value: (row) => row.attemptId },
  { name: 'generation_id', type: 'text', value: (row) => row.generationId },
  { name: 'account_id', type: 'text', value: (row) => row.accountId },
  { name: 'endpoint_id', type: 'text', value: (row) => row.endpointId },
  { name: 'prompt_tokens', type: 'integer', value: (row) => row.promptTokens },
  { name: 'completion_tokens', type: 'integer', value: (row) => row.completionTokens },
  { name: 'total_tokens', type: 'integer', value: (row) => row.totalTokens },
  { name: 'reasoning_tokens', type: 'integer', value: (row) => row.reasoningTokens },
  { name: 'cached_tokens', type: 'integer', value: (row) => row.cachedTokens },
  { name: 'cache_write_tokens', type: 'integer', value: (row) => row.cacheWriteTokens },
  { name: 'prompt_images', type: 'integer', value: (row) => row.promptImages },
  { name: 'usage_estimated', type: 'boolean', value: (row) => row.usageEstimated },
  { name: 'usage_raw', type: 'jsonb', value: (row) => row.usageRaw },
  { name: 'attempted_at', type: 'timestamptz', value: (row) => row.attemptedAt },
  { name: 'outcome', type: 'jsonb', value: (row) => row.outcome },
  { name: 'billing', type: 'jsonb', value: (row) => row.billing },
];

/** Providers' per-attempt usage, kept until reconciliation decided each generation's fate. */
@Injectable()
export class AttemptUsageRepository {
  /** One multi-row insert, idempotent by attempt id. Returns how many rows were new. */
  async insert(queryable: Queryable, rows: ReadonlyArray<AttemptUsageRow>): Promise<number> {
    if (rows.length === 0) return 0;
    const unique = new Map<string, AttemptUsageRow>();
    for (const row of rows) if (!unique.has(row.attemptId)) unique.set(row.attemptId, row);
    const sorted = [...unique.values()].sort((left, right) => (left.attemptId < right.attemptId ? -1 : left.attemptId > right.attemptId ? 1 : 0));
    const input = recordsetInput(COLUMNS, sorted, 'batch');
    const inserted = await queryable.query<unknown[]>(
      `INSERT INTO attempt_usage (${input.columns}) SELECT ${input.columns} FROM ${input.from}
       ON CONFLICT (attempt_id) DO NOTHING RETURNING 1`,
      input.parameters,
    );
    return inserted.length;
  }

  /**
   * Marks up to `limit` pending attempt-usage rows whose generation is recorded (by its event, or an earlier
   * placeholder) as resolved. Returns how many.
   */
  async resolveRecorded(queryable: Queryable, limit: number): Promise<number> {
    const rows = await queryable.query<unknown[]>(
      `UPDATE attempt_usage SET resolved_at = now(), resolution = 'completed'
       WHERE attempt_id IN (
         SELECT attempt.attempt_id FROM attempt_usage attempt
         JOIN generations generation ON generation.id = attempt.generation_id
         WHERE attempt.resolved_at IS NULL
         LIMIT $1
       )
       RETURNING 1`,
      [limit],
    );
    return rows.length;
  }

  /**
   * Generations with pending attempt usage and no record whose latest attempt usage arrived more than `afterMs`
   * ago (a generation still failing over, or still streaming its last attempt, is not an orphan yet): the orphans,
   * oldest first.
   */
  async findOrphanGenerationIds(queryable: Queryable, afterMs: number, limit: number): Promise<string[]> {
    const rows = await queryable.query<Array<{ generation_id: string }>>(
      `SELECT attempt.generation_id
       FROM attempt_usage attempt
       WHERE attempt.resolved_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM generations generation WHERE generation.id = attempt.generation_id)
       GROUP BY attempt.generation_id
       HAVING max(attempt.received_at) <= now() - make_interval(secs => $1::double precision / 1000)
       ORDER BY min(attempt.received_at), attempt.generation_id
       LIMIT $2`,
      [afterMs, limit],
    );
    return rows.map((row) => row.generation_id);
  }

  async findByGenerations(queryable: Queryable, generationIds: ReadonlyArray<string>): Promise<StoredAttemptUsage[]> {
    return queryable.query(
      `SELECT attempt_id, generation_id, account_id, endpoint_id, prompt_tokens, completion_tokens, total_tokens,
              reasoning_tokens, cached_tokens, cache_write_tokens, prompt_images, usage_estimated, usage_raw, attempted_at,
              outcome, billing
       FROM attempt_usage WHERE generation_id = ANY($1::text[])
       ORDER BY generation_id, attempted_at, attempt_id`,
      [generationIds],
    );
  }

  /**
   * Resolves the pending attempt usage of generations: `reconciled` (a record or a charged generation-completed was
   * made from it) or `unbilled` (its last attempt was never delivered: nothing to record or charge).
   */
  async markResolved(queryable: Queryable, generationIds: ReadonlyArray<string>, resolution: 'reconciled' | 'unbilled'): Promise<void> {
    if (generationIds.length === 0) return;
    await queryable.query(`UPDATE attempt_usage SET resolved_at = now(), resolution = $2 WHERE generation_id = ANY($1::text[]) AND resolved_at IS NULL`, [generationIds, resolution]);
  }

  /** Deletes up to `limit` rows resolved more than `days` days ago. Returns how many. */
  async purgeResolved(queryable: Queryable, days: number, limit: number): Promise<number> {
    const rows = await queryable.query<unknown[]>(
      `DELETE FROM attempt_usage WHERE attempt_id IN (
         SELECT attempt_id FROM attempt_usage
         WHERE resolved_at IS NOT NULL AND resolved_at < now() - make_interval(days => $1::int)
         LIMIT $2
       ) RETURNING 1`,
      [days, limit],
    );
    return rows.length;
  }

  /** Pending (unresolved) attempt usage, for the readiness detail and tests. */
  async countPending(queryable: Queryable): Promise<number> {
    const [row] = await queryable.query<Array<{ pending: number }>>(`SELECT count(*)::int AS pending FROM attempt_usage WHERE resolved_at IS NULL`);
    return row.pending;
  }
}
