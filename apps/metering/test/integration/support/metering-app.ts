import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { JETSTREAM_STREAM, type AttemptUsage, type GenerationCompleted, subjects } from '@switchyard/contracts';
import { bootstrapService, createLogger, listeningPort, parseConfig } from '@switchyard/nest-kit';
import { TEST_ADMIN_TOKEN, TEST_DATABASE_URL, TEST_NATS_URL, uniqueSchema } from '@switchyard/nest-kit/testing';
import pg from 'pg';
import { AppModule } from '../../../src/app.module.js';
import { meteringConfigSchema, type MeteringConfig } from '../../../src/config/metering.config.js';

export interface RunningMetering {
  app: NestFastifyApplication;
  base: string;
  config: MeteringConfig;
}

/** Boots the metering app in-process (its admin HTTP on a free port), on its own schema unless one is given. */
export async function startMetering(env: Record<string, string> = {}): Promise<RunningMetering> {
  const config = parseConfig(meteringConfigSchema, {
    NODE_ENV: 'test',
    DATABASE_URL: TEST_DATABASE_URL,
    NATS_URL: TEST_NATS_URL,
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    DB_SCHEMA: uniqueSchema('metering'),
    LOG_LEVEL: process.env.TEST_SERVICE_LOGS ? 'log' : 'error',
    ...env,
  });
  const app = await bootstrapService({
    serviceName: 'metering',
    module: AppModule.forRoot(config),
    port: 0,
    host: '127.0.0.1',
    natsUrl: config.NATS_URL,
    logger: createLogger('metering', { level: config.LOG_LEVEL }),
  });
  return { app, base: `http://127.0.0.1:${listeningPort(app)}`, config };
}

/** A plain NATS client for the test itself (publishing as ingress and providers would). */
export class TestNats {
  private constructor(
    readonly connection: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
  ) {}

  static async connect(): Promise<TestNats> {
    const connection = await connect({ servers: TEST_NATS_URL.split(','), name: 'metering-test' });
    return new TestNats(connection, jetstream(connection), await jetstreamManager(connection));
  }

  /** Publishes raw bytes/text to JetStream and waits for the ack. */
  async publishRaw(subject: string, payload: string | Uint8Array, messageId?: string): Promise<void> {
    await this.js.publish(subject, payload, messageId ? { msgID: messageId } : undefined);
  }

  /** Publishes events, `concurrency` acks in flight at a time. `messageId` defaults to the event id. */
  async publishGenerations(events: ReadonlyArray<GenerationCompleted>, options: { messageId?: (event: GenerationCompleted) => string; concurrency?: number } = {}): Promise<void> {
    const concurrency = options.concurrency ?? 64;
    for (let index = 0; index < events.length; index += concurrency) {
      await Promise.all(
        events.slice(index, index + concurrency).map((event) => this.publishRaw(subjects.metering.generationCompleted, JSON.stringify(event), options.messageId ? options.messageId(event) : event.id)),
      );
    }
  }

  async publishAttemptUsage(event: AttemptUsage, messageId = event.attemptId): Promise<void> {
    await this.publishRaw(subjects.providers.attemptUsage, JSON.stringify(event), messageId);
  }

  async streamExists(): Promise<boolean> {
    try {
      await this.jsm.streams.info(JETSTREAM_STREAM);
      return true;
    } catch {
      return false;
    }
  }

  /** When the stream was created (a re-created stream has a later time), or null when there is none. */
  async streamCreatedAt(): Promise<string | null> {
    try {
      return (await this.jsm.streams.info(JETSTREAM_STREAM)).created;
    } catch {
      return null;
    }
  }

  /** True when the durable consumer has delivered and got acks for everything in the stream. */
  async consumerDrained(durable: string): Promise<boolean> {
    const info = await this.jsm.consumers.info(JETSTREAM_STREAM, durable);
    return info.num_pending === 0 && info.num_ack_pending === 0;
  }

  /** Deletes this test file's own stream (its name carries the file's unique subject prefix). */
  async deleteOwnStream(): Promise<void> {
    await this.jsm.streams.delete(JETSTREAM_STREAM).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.connection.drain().catch(() => undefined);
  }
}

/** A direct Postgres client on a test schema (assertions read the tables). */
export async function schemaClient(schema: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` });
  await client.connect();
  return client;
}

export async function adminGet(base: string, path: string, token: string | null = TEST_ADMIN_TOKEN): Promise<Response> {
  return fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

/** GET an admin endpoint and parse its JSON body (any: the tests assert on its shape). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function adminJson(base: string, path: string): Promise<any> {
  return (await adminGet(base, path)).json();
}
