import { Injectable } from '@nestjs/common';
import { canonicalDecimal } from '../generations/generation-view.js';
import { type ActivityQuery, resolveWindow, type UsageExportQuery } from './activity.query.js';
import { type ActivityGroup, ActivityRepository, type AggregateSums, type DailyUsageCursor, type DailyUsageRow } from './activity.repository.js';
import type { CsvValue } from './csv.writer.js';

/** Aggregate sums for the API: counts as numbers, money as exact decimal strings (USD). */
export interface ActivityTotals {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  reasoning_tokens: number;
  cached_tokens: number;
  cost: string;
  upstream_cost: string;
  byok_requests: number;
  byok_cost: string;
  unpriced_requests: number;
}

export const USAGE_CSV_HEADER = [
  'date',
  'account_id',
  'key_id',
  'model',
  'provider',
  'requests',
  'prompt_tokens',
  'completion_tokens',
  'reasoning_tokens',
  'cached_tokens',
  'cost',
  'upstream_cost',
  'byok_requests',
  'byok_cost',
  'unpriced_requests',
] as const;

export function totalsOf(sums: AggregateSums): ActivityTotals {
  return {
    requests: Number(sums.requests),
    prompt_tokens: Number(sums.prompt_tokens),
    completion_tokens: Number(sums.completion_tokens),
    reasoning_tokens: Number(sums.reasoning_tokens),
    cached_tokens: Number(sums.cached_tokens),
    cost: canonicalDecimal(sums.cost),
    upstream_cost: canonicalDecimal(sums.upstream_cost),
    byok_requests: Number(sums.byok_requests),
    byok_cost: canonicalDecimal(sums.byok_cost),
    unpriced_requests: Number(sums.unpriced_requests),
  };
}

/** '' in an aggregate key means "unknown" (a reconciled generation's key, a generation no provider served). */
function unknownAsNull(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}

export function usageCsvRow(row: DailyUsageRow): CsvValue[] {
  const totals = totalsOf(row);
  return [
    row.date,
    row.account_id,
    row.key_id,
    row.model,
    row.provider,
    totals.requests,
    totals.prompt_tokens,
    totals.completion_tokens,
    totals.reasoning_tokens,
    totals.cached_tokens,
    totals.cost,
    totals.upstream_cost,
    totals.byok_requests,
    totals.byok_cost,
    totals.unpriced_requests,
  ];
}

const EXPORT_PAGE_SIZE = 1_000;

@Injectable()
export class ActivityService {
  constructor(private readonly activity: ActivityRepository) {}

  async groups(query: ActivityQuery): Promise<{ group_by: string; from: string; to: string; data: Array<Record<string, unknown>> }> {
    const window = resolveWindow(query.from, query.to);
    const groups = await this.activity.activity({ groupBy: query.group_by, ...window, accountId: query.account_id, keyId: query.key_id });
    return { group_by: query.group_by, ...window, data: groups.map((group) => ({ ...groupKey(query.group_by, group), ...totalsOf(group) })) };
  }

  /**
   * The daily aggregates of the window in export order, page by page. The first page is read before anything is
   * sent (so a database failure is still a clean error response); later pages stream.
   */
  async usagePages(query: UsageExportQuery): Promise<{ window: { from: string; to: string }; rows: AsyncIterable<CsvValue[]> }> {
    const window = resolveWindow(query.from, query.to);
    const first = await this.activity.dailyUsagePage({ ...window, accountId: query.account_id, limit: EXPORT_PAGE_SIZE });
    const activity = this.activity;
    async function* rows(): AsyncGenerator<CsvValue[]> {
      let page = first;
      while (page.length > 0) {
        for (const row of page) yield usageCsvRow(row);
        if (page.length < EXPORT_PAGE_SIZE) return;
        const last = page[page.length - 1]!;
        const cursor: DailyUsageCursor = { date: last.date, accountId: last.account_id, keyId: last.key_id, model: last.model, provider: last.provider };
        page = await activity.dailyUsagePage({ ...window, accountId: query.account_id, cursor, limit: EXPORT_PAGE_SIZE });
      }
    }
    return { window, rows: rows() };
  }
}

function groupKey(groupBy: ActivityQuery['group_by'], group: ActivityGroup): Record<string, string | null> {
  switch (groupBy) {
    case 'key':
      return { account_id: group.account_id ?? null, key_id: unknownAsNull(group.key_id) };
    case 'model':
      return { model: group.model ?? null };
    case 'provider':
      return { provider: unknownAsNull(group.provider) };
    case 'day':
      return { date: group.date ?? null };
  }
}
