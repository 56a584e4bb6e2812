import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, Logger as TypeOrmLogger } from 'typeorm';
import { describeDatabaseError } from './database-errors.js';

const QUERY_PREVIEW = 160;

/**
 * TypeORM's console logger prints a failed query with every parameter — whole batches of generations, and the
 * prompts and completions of accounts that opted in to logging. This logger keeps the error, its SQLSTATE and the
 * start of the statement, never the parameters.
 */
export class RedactingTypeOrmLogger implements TypeOrmLogger {
  private readonly logger = new Logger('Database');

  logQuery(): void {}

  logQueryError(error: string | Error, query: string): void {
    const statement = query.replace(/\s+/g, ' ').trim();
    this.logger.error(`query failed: ${describeDatabaseError(error)} — ${statement.length > QUERY_PREVIEW ? `${statement.slice(0, QUERY_PREVIEW)}…` : statement}`);
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn(`slow query (${time} ms): ${query.replace(/\s+/g, ' ').trim().slice(0, QUERY_PREVIEW)}`);
  }

  logSchemaBuild(message: string): void {
    this.logger.debug(message);
  }

  logMigration(message: string): void {
    this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(String(message));
    else this.logger.log(String(message));
  }
}

/** Installs the redacting logger on the service's DataSource (after TypeORM initialised it). */
@Injectable()
export class DatabaseLogging implements OnModuleInit {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  onModuleInit(): void {
    this.dataSource.setOptions({ logger: new RedactingTypeOrmLogger() });
  }
}
