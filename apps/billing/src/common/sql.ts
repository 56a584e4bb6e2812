import type { DataSource, EntityManager } from 'typeorm';

/** Anything that runs SQL: the DataSource, or the EntityManager of a transaction. */
export type Sql = Pick<EntityManager, 'query'>;

/**
 * Rows of a statement. TypeORM returns `[rows, rowCount]` for UPDATE/DELETE and `rows` otherwise; this always
 * gives the rows (rows are objects, never arrays, so the shapes cannot be confused).
 */
export async function queryRows<T>(db: Sql, text: string, parameters: unknown[] = []): Promise<T[]> {
  const result: unknown = await db.query(text, parameters);
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return Array.isArray(result) ? (result as T[]) : [];
}

export async function queryOne<T>(db: Sql, text: string, parameters: unknown[] = []): Promise<T | undefined> {
  const rows = await queryRows<T>(db, text, parameters);
  return rows[0];
}

const RETRYABLE_CODES = new Set(['40P01', '40001']); // deadlock_detected, serialization_failure

export function isRetryableTransactionError(error: unknown): boolean {
  const candidate = error as { code?: string; driverError?: { code?: string } } | undefined;
  return RETRYABLE_CODES.has(candidate?.code ?? '') || RETRYABLE_CODES.has(candidate?.driverError?.code ?? '');
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const candidate = error as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } } | undefined;
  const code = candidate?.code ?? candidate?.driverError?.code;
  const name = candidate?.constraint ?? candidate?.driverError?.constraint;
  return code === '23505' && (constraint === undefined || name === constraint);
}

/**
 * Runs `work` in a transaction, retrying a few times when Postgres aborts it for a deadlock or a serialization
 * failure (both safe to retry: the transaction had no effect).
 */
export async function inTransaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
  options: { isolation?: 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE'; retries?: number } = {},
): Promise<T> {
  const retries = options.retries ?? 4;
  for (let attempt = 0; ; attempt++) {
    try {
      return options.isolation ? await dataSource.transaction(options.isolation, work) : await dataSource.transaction(work);
    } catch (error) {
      if (attempt >= retries || !isRetryableTransactionError(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * (attempt + 1)));
    }
  }
}
