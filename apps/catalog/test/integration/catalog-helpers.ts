import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { bootstrapService, createLogger, listeningPort, parseConfig } from '@switchyard/nest-kit';
import { TEST_ADMIN_TOKEN, TEST_DATABASE_URL, TEST_NATS_URL } from '@switchyard/nest-kit/testing';
import { AppModule } from '../../src/app.module.js';
import { type CatalogConfig, catalogConfigSchema } from '../../src/config/catalog.config.js';

export interface RunningCatalog {
  app: NestFastifyApplication;
  base: string;
  config: CatalogConfig;
}

/** Boots the catalog in-process on its own schema (port 0). */
export async function startCatalog(schema: string, env: Record<string, string> = {}): Promise<RunningCatalog> {
  const config = parseConfig(catalogConfigSchema, {
    NODE_ENV: 'test',
    DATABASE_URL: TEST_DATABASE_URL,
    NATS_URL: TEST_NATS_URL,
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    DB_SCHEMA: schema,
    LOG_LEVEL: 'warn',
    ...env,
  });
  const app = await bootstrapService({
    serviceName: 'catalog',
    module: AppModule.forRoot(config),
    port: 0,
    host: '127.0.0.1',
    natsUrl: config.NATS_URL,
    bodyLimitBytes: config.CATALOG_IMPORT_MAX_BYTES,
    logger: createLogger('catalog', { level: process.env.TEST_SERVICE_LOGS ? 'debug' : 'warn' }),
  });
  return { app, base: `http://127.0.0.1:${listeningPort(app)}`, config };
}

export async function natsConnection(): Promise<NatsConnection> {
  return connect({ servers: TEST_NATS_URL.split(','), name: 'catalog-test' });
}

export interface AdminResponse<T = any> {
  status: number;
  body: T;
}

/** An admin call with the test token (or none / another when `token` is given). */
export async function admin<T = any>(base: string, method: string, path: string, body?: unknown, token: string | null = TEST_ADMIN_TOKEN): Promise<AdminResponse<T>> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
