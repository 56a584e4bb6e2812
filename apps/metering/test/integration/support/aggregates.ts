import type pg from 'pg';

/**
 * The per-endpoint daily aggregate (`usage_daily_endpoints`, behind `GET /api/v1/activity`) row by row beside the
 * same sums computed afresh from the generation log: the groups where they differ (none when the aggregate is right).
 */
export async function endpointAggregateDrift(db: pg.Client, accountPattern = '%'): Promise<unknown[]> {
  const { rows } = await db.query(
    `WITH fresh AS (
       SELECT account_id, (created_at AT TIME ZONE 'UTC')::date AS day, model, coalesce(endpoint_id, '') AS endpoint_id, coalesce(provider_name, '') AS provider_name,
              count(*) AS requests, coalesce(sum(prompt_tokens), 0) AS prompt_tokens, coalesce(sum(completion_tokens), 0) AS completion_tokens,
              coalesce(sum(reasoning_tokens), 0) AS reasoning_tokens, coalesce(sum(cost), 0) AS cost, coalesce(sum(upstream_cost) FILTER (WHERE is_byok), 0) AS byok_upstream_cost
         FROM generations WHERE account_id LIKE $1 GROUP BY 1, 2, 3, 4, 5
     ), kept AS (
       SELECT account_id, day, model, endpoint_id, provider_name, requests, prompt_tokens, completion_tokens, reasoning_tokens, cost, byok_upstream_cost
         FROM usage_daily_endpoints WHERE account_id LIKE $1 AND requests <> 0
     )
     SELECT 'missing from the aggregate' AS drift, * FROM (SELECT * FROM fresh EXCEPT SELECT * FROM kept) AS missing
     UNION ALL
     SELECT 'not in the log' AS drift, * FROM (SELECT * FROM kept EXCEPT SELECT * FROM fresh) AS extra`,
    [accountPattern],
  );
  return rows;
}
