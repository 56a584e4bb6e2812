import { Logger } from '@nestjs/common';
import type { Logger as TypeOrmLogger } from 'typeorm';

const QUERY_PREVIEW = 160;

function preview(query: string): string {
  const statement = query.replace(/\s+/g, ' ').trim();
  return statement.length > QUERY_PREVIEW ? `${statement.slice(0, QUERY_PREVIEW)}…` : statement;
}

/**
 * TypeORM's console logger prints a failed query with every parameter, which can include prompts of accounts that
 * opted in to logging, or key material. This one keeps the error, its SQLSTATE and the start of the statement,
 * never the parameters.
 */
export class RedactingTypeOrmLogger implements TypeOrmLogger {
  private readonly logger = new Logger('Database');

  logQuery(): void {}

  logQueryError(error: string | Error, query: string): void {
    const code = typeof error === 'object' && error !== null ? (error as { code?: string }).code : undefined;
    const message = typeof error === 'string' ? error : error.message;
    this.logger.error(`query failed: ${message}${code ? ` (SQLSTATE ${code})` : ''} — ${preview(query)}`);
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn(`slow query (${time} ms): ${preview(query)}`);
  }

  logSchemaBuild(message: string): void {
    this.logger.debug(message);
  }

  logMigration(message: string): void {
    this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(String(message));
    else this.logger.debug(String(message));
  }
}
