import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type EntitySchema, type MixedList } from 'typeorm';
import { HealthRegistry } from '../admin/health.registry.js';
import { ensureDatabaseAndSchema } from './database.js';

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
              migrationsRun: true,
              migrationsTableName: 'migrations',
              migrationsTransactionMode: 'each' as const,
              synchronize: false,
              logging: ['error' as const],
              extra: { max: options.poolSize ?? 10, options: `-c search_path=${options.schema},public`, application_name: options.schema },
              retryAttempts: 1_000_000,
              retryDelay: 1_000,
            };
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
