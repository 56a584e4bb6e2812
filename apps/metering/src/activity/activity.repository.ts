import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { GroupBy } from './activity.query.js';

/** Sums of the daily aggregates as Postgres returns them (bigint and numeric sums → strings). */
export interface AggregateSums {
  requests: string;
  prompt_tokens: string;
  completion_tokens: string;
  reasoning_tokens: string;
  cached_tokens: string;
  cost: string;
  upstream_cost: string;
  byok_requests: string;
  byok_cost: string;
  unpriced_requests: string;
}

export interface ActivityGroup extends AggregateSums {
  account_id?: string;
  key_id?: string;
  model?: string;
  provider?: string;
  date?: string;
}

export interface DailyUsageRow extends AggregateSums {
  date: string;
  account_id: string;
  key_id: string;
  model: string;
  provider: string;
}

const GROUP_COLUMNS: Record<GroupBy, string[]> = {
  key: ['account_id', 'key_id'],
  model: ['model'],
  provider: ['provider'],
  day: ['day'],
};

const SUMS = `sum(requests) AS requests, sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens,
  sum(reasoning_tokens) AS reasoning_tokens, sum(cached_tokens) AS cached_tokens, sum(cost) AS cost,
  sum(upstream_cost) AS upstream_cost, sum(byok_requests) AS byok_requests, sum(byok_cost) AS byok_cost,
  sum(unpriced_requests) AS unpriced_requests`;

export interface DailyUsageCursor {
  date: string;
  accountId: string;
  keyId: string;
  model: string;
  provider: string;
}

/** Reads the per key × day × model × provider aggregates; never the raw generation log. */
@Injectable()
export class ActivityRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async activity(options: { groupBy: GroupBy; from: string; to: string; accountId?: string; keyId?: string }): Promise<ActivityGroup[]> {
    const parameters: unknown[] = [options.from, options.to];
    const conditions = ['day >= $1::date', 'day <= $2::date'];
    if (options.accountId) {
      parameters.push(options.accountId);
      conditions.push(`account_id = $${parameters.length}`);
    }
    if (options.keyId) {
      parameters.push(options.keyId);
      conditions.push(`key_id = $${parameters.length}`);
    }
    const columns = GROUP_COLUMNS[options.groupBy];
    const select = columns.map((column) => (column === 'day' ? 'day::text AS date' : column)).join(', ');
    return this.dataSource.query(
      `SELECT ${select}, ${SUMS}
       FROM usage_daily WHERE ${conditions.join(' AND ')}
       GROUP BY ${columns.join(', ')}
       HAVING sum(requests) <> 0
       ORDER BY ${columns.join(', ')}`,
      parameters,
    );
  }

  /**
   * One page of daily aggregates in export order, after `cursor` (keyset pagination on an index, so each page is
   * one range scan). Ordered by day, then account (unless filtered to one), key, model and provider.
   */
  async dailyUsagePage(options: { from: string; to: string; accountId?: string; cursor?: DailyUsageCursor; limit: number }): Promise<DailyUsageRow[]> {
    const parameters: unknown[] = [options.from, options.to];
    const conditions = ['day >= $1::date', 'day <= $2::date', 'requests <> 0'];
    const order = options.accountId ? ['day', 'key_id', 'model', 'provider'] : ['day', 'account_id', 'key_id', 'model', 'provider'];
    if (options.accountId) {
      parameters.push(options.accountId);
      conditions.push(`account_id = $${parameters.length}`);
    }
    if (options.cursor) {
      const values: Record<string, string> = {
        day: options.cursor.date,
        account_id: options.cursor.accountId,
        key_id: options.cursor.keyId,
        model: options.cursor.model,
        provider: options.cursor.provider,
      };
      const placeholders = order.map((column) => {
        parameters.push(values[column]);
        return column === 'day' ? `$${parameters.length}::date` : `$${parameters.length}`;
      });
      conditions.push(`(${order.join(', ')}) > (${placeholders.join(', ')})`);
    }
    parameters.push(options.limit);
    return this.dataSource.query(
      `SELECT day::text AS date, account_id, key_id, model, provider, requests, prompt_tokens, completion_tokens,
              reasoning_tokens, cached_tokens, cost, upstream_cost, byok_requests, byok_cost, unpriced_requests
       FROM usage_daily WHERE ${conditions.join(' AND ')}
       ORDER BY ${order.join(', ')}
       LIMIT $${parameters.length}`,
      parameters,
    );
  }
}
