/**
 * Classifies a failed statement. A data error (SQLSTATE class 22 "data exception", 23 "integrity constraint
 * violation", 54 "program limit exceeded" such as an index row that is too large) is caused by the values of one
 * row and will fail again however often it is retried: its event is dead-lettered. Anything else (connection
 * lost, deadlock, serialization failure, lock timeout, database shutting down) is transient: the batch is retried.
 */
export function isDataError(error: unknown): boolean {
  const code = sqlState(error);
  return code !== undefined && (code.startsWith('22') || code.startsWith('23') || code.startsWith('54'));
}

export function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const direct = (error as { code?: unknown }).code;
  if (typeof direct === 'string' && /^[0-9A-Z]{5}$/.test(direct)) return direct;
  const driver = (error as { driverError?: { code?: unknown } }).driverError?.code;
  return typeof driver === 'string' ? driver : undefined;
}

/** A short description of a database error for logs and dead letters (never the query parameters). */
export function describeDatabaseError(error: unknown): string {
  const code = sqlState(error);
  const message = error instanceof Error ? error.message : String(error);
  return code ? `${message} (SQLSTATE ${code})` : message;
}
