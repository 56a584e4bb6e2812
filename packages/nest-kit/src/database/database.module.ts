import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions, type EntitySchema, type MixedList } from 'typeorm';
import pg from 'pg';
import { HealthRegistry } from '../admin/health.registry.js';
import { ensureDatabaseAndSchema } from './database.js';
import { RedactingTypeOrmLogger } from './redacting-logger.js';

export interface DatabaseModuleOptions {
  url: string;
  /** The Postgres schema this service owns; its migrations table lives there too. */
  schema: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
  poolSize?: number;
}

/**
 * TypeORM on `pg` for one service: makes sure the database and the service's schema exist, points the
 * connection's search_path at that schema (migrations use unqualified names), and runs the committed migrations
 * at start. Registers a `postgres` readiness check.
 */
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: async () => {
            await ensureDatabaseAndSchema(options.url, options.schema);
            return {
              type: 'postgres' as const,
              url: options.url,
              schema: options.schema,
              entities: options.entities,
              migrations: options.migrations,
              // Migrations run in dataSourceFactory under an advisory lock (two replicas starting together).
              migrationsRun: false,
              migrationsTableName: 'migrations',
              migrationsTransactionMode: 'each' as const,
              synchronize: false,
              logging: ['error' as const, 'warn' as const, 'migration' as const],
              logger: new RedactingTypeOrmLogger(),
              extra: { max: options.poolSize ?? 10, options: `-c search_path=${options.schema},public`, application_name: options.schema },
              retryAttempts: 1_000_000,
              retryDelay: 1_000,
            };
          },
          dataSourceFactory: async (dataSourceOptions?: DataSourceOptions) => {
            const dataSource = await new DataSource(dataSourceOptions!).initialize();
            await runMigrationsLocked(options.url, options.schema, dataSource);
            return dataSource;
          },
        }),
      ],
      providers: [
        {
          provide: 'DATABASE_HEALTH',
          inject: [DataSource, HealthRegistry],
          useFactory: (dataSource: DataSource, health: HealthRegistry) => {
            health.register('postgres', async () => {
              await dataSource.query('SELECT 1');
              return { ok: true, detail: options.schema };
            });
            return true;
          },
        },
      ],
      exports: [TypeOrmModule],
    };
  }
}

/**
 * Runs the pending migrations while holding a Postgres advisory lock keyed by the schema, so replicas starting at
 * the same moment migrate one after the other instead of racing on CREATE TABLE.
 */
async function runMigrationsLocked(url: string, schema: string, dataSource: DataSource): Promise<void> {
  const lock = new pg.Client({ connectionString: url });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock(hashtext($1))', [`switchyard-migrations:${schema}`]);
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await lock.query('SELECT pg_advisory_unlock(hashtext($1))', [`switchyard-migrations:${schema}`]).catch(() => undefined);
    await lock.end().catch(() => undefined);
  }
}
