import 'reflect-metadata';
import { jest } from '@jest/globals';
import { Body, Controller, Injectable, Logger, Module, Post, type OnModuleInit } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { from, type Observable } from 'rxjs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { InjectDataSource } from '@nestjs/typeorm';
import { GatewayError, PaymentRequiredError, SUBJECT_PREFIX, subjects } from '@switchyard/contracts';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { bootstrapService, listeningPort } from '../../src/bootstrap.js';
import { CoreModule } from '../../src/core.module.js';
import { DatabaseModule } from '../../src/database/database.module.js';
import { dropSchema } from '../../src/database/database.js';
import { DurableConsumer } from '../../src/jetstream/durable-consumer.js';
import { DurablePublisher } from '../../src/jetstream/durable-publisher.js';
import { HealthRegistry } from '../../src/admin/health.registry.js';
import { MetricsService } from '../../src/admin/metrics.service.js';
import { NatsService } from '../../src/nats/nats.service.js';
import { mergeSnapshotPages, replyInPages } from '../../src/cache/snapshot-pages.js';
import { TEST_ADMIN_TOKEN, TEST_DATABASE_URL, TEST_NATS_URL, uniqueSchema, waitFor } from '../../src/testing/index.js';

const schema = uniqueSchema('kit');
const echoSubject = `${SUBJECT_PREFIX}.kit.echo.v1`;
const failSubject = `${SUBJECT_PREFIX}.kit.fail.v1`;
const pagesSubject = `${SUBJECT_PREFIX}.kit.pages.v1`;
const bigSnapshotSubject = `${SUBJECT_PREFIX}.kit.big-snapshot.v1`;
/** A snapshot of 12,000 keys: about 1.5 MB of JSON, past NATS' default 1 MiB max_payload. */
const bigSnapshot = { version: 42, keys: Array.from({ length: 12_000 }, (_, index) => ({ hash: index.toString(16).padStart(64, '0'), name: `key ${index}`, accountId: `acct-${index % 50}`, limit: null })), accounts: [] as unknown[] };
const eventSubject = `${SUBJECT_PREFIX}.metering.generation-completed.v1`;

class CreateNotes1700000000000 implements MigrationInterface {
  name = 'CreateNotes1700000000000';
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE notes (id text PRIMARY KEY, body text NOT NULL)`);
  }
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE notes`);
  }
}

@Controller()
class EchoHandler {
  @Post('kit/echo')
  echoHttp(@Body() body: unknown): unknown {
    return body;
  }

  @MessagePattern(echoSubject)
  echo(@Payload() data: { text: string }): { echoed: string } {
    return { echoed: data.text };
  }

  /** Answers in `count` messages (an Observable), as a snapshot too large for one message is. */
  @MessagePattern(pagesSubject)
  async pages(@Payload() data: { count: number }): Promise<Observable<{ page: number }>> {
    return from(Array.from({ length: data.count }, (_, page) => ({ page })));
  }

  @MessagePattern(bigSnapshotSubject)
  async bigSnapshot(): Promise<Observable<typeof bigSnapshot>> {
    return replyInPages(bigSnapshot, ['keys', 'accounts']);
  }

  @MessagePattern(failSubject)
  fail(): never {
    throw new PaymentRequiredError('no credits', { balance: '0' });
  }
}

@Injectable()
class NotesConsumer implements OnModuleInit {
  consumer!: DurableConsumer;
  constructor(
    private readonly nats: NatsService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async onModuleInit(): Promise<void> {
    this.consumer = new DurableConsumer(this.nats, {
      durable: 'kit-notes',
      filterSubject: eventSubject,
      batchSize: 50,
      handler: async (messages) => {
        const rows = messages.map((message) => message.json<{ id: string; body: string }>());
        await this.dataSource.query(
          `INSERT INTO notes (id, body) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (id) DO NOTHING`,
          [rows.map((row) => row.id), rows.map((row) => row.body)],
        );
      },
    });
    await this.consumer.start();
  }
}

@Module({
  imports: [
    CoreModule.forRoot({ serviceName: 'kit', natsUrl: TEST_NATS_URL, adminToken: TEST_ADMIN_TOKEN }),
    DatabaseModule.forRoot({ url: TEST_DATABASE_URL, schema, entities: [], migrations: [CreateNotes1700000000000] }),
  ],
  controllers: [EchoHandler],
  providers: [NotesConsumer],
})
class KitTestModule {}

describe('service foundation (real NATS and Postgres)', () => {
  let app: NestFastifyApplication;
  let base: string;

  beforeAll(async () => {
    app = await bootstrapService({ serviceName: 'kit', module: KitTestModule, port: 0, host: '127.0.0.1', natsUrl: TEST_NATS_URL, bodyLimitBytes: 1024 });
    base = `http://127.0.0.1:${listeningPort(app)}`;
  });

  afterAll(async () => {
    await app.get(NotesConsumer).consumer.stop();
    await app.close();
    await dropSchema(TEST_DATABASE_URL, schema);
  });

  it('reports readiness of NATS and Postgres on /admin/health, behind the admin token', async () => {
    const denied = await fetch(`${base}/admin/health`);
    expect(denied.status).toBe(401);
    expect(((await denied.json()) as { error: unknown }).error).toMatchObject({ code: 401, metadata: { error_type: 'authentication' } });

    const response = await fetch(`${base}/admin/health`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(response.status).toBe(200);
    const report = (await response.json()) as { status: string; checks: Record<string, { ok: boolean; detail?: unknown }> };
    expect(report.status).toBe('ok');
    expect(report.checks.nats.ok).toBe(true);
    expect(report.checks.postgres).toMatchObject({ ok: true, detail: schema });
  });

  it('serves Prometheus metrics with process memory', async () => {
    const response = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('process_resident_memory_bytes{service="kit"}');
  });

  it('answers unknown routes, malformed JSON and oversized bodies in the OpenRouter envelope', async () => {
    const missing = await fetch(`${base}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 404 } });

    const ok = await fetch(`${base}/kit/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(await ok.json()).toEqual({ a: 1 });

    const malformed = await fetch(`${base}/kit/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: 400, metadata: { error_type: 'invalid_request' } } });

    const large = await fetch(`${base}/kit/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: 'y'.repeat(4096) }) });
    expect(large.status).toBe(413);
    expect(await large.json()).toMatchObject({ error: { code: 413, metadata: { error_type: 'payload_too_large' } } });
  });

  it('round-trips RPCs over the Nest NATS transport and rehydrates typed errors', async () => {
    const nats = app.get(NatsService);
    await expect(nats.request(echoSubject, { text: 'hi' })).resolves.toEqual({ echoed: 'hi' });
    const error = await nats.request(failSubject, {}).catch((caught: unknown) => caught);
    expect(GatewayError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ status: 402, errorType: 'payment_required', metadata: { balance: '0' } });
  });

  it('collects every message of an RPC answered in several, in order, and fails like a single request', async () => {
    const nats = app.get(NatsService);
    await expect(nats.requestAll(pagesSubject, { count: 5 })).resolves.toEqual([0, 1, 2, 3, 4].map((page) => ({ page })));
    await expect(nats.requestAll(pagesSubject, { count: 1 })).resolves.toEqual([{ page: 0 }]);
    await expect(nats.requestAll(echoSubject, { text: 'once' })).resolves.toEqual([{ echoed: 'once' }]);
    expect(await nats.requestAll(failSubject, {}).catch((caught: unknown) => caught)).toMatchObject({ status: 402, errorType: 'payment_required' });
    const started = Date.now();
    expect(await nats.requestAll(`${SUBJECT_PREFIX}.kit.nobody.v1`, {}, { timeoutMs: 2_000 }).catch((caught: unknown) => caught)).toMatchObject({ status: 503 });
    expect(Date.now() - started).toBeLessThan(1_500); // no responders: answered at once, not at the timeout
  });

  it('carries a snapshot past max_payload in pages at the default page size, put back together exactly', async () => {
    const nats = app.get(NatsService);
    expect(Buffer.byteLength(JSON.stringify(bigSnapshot))).toBeGreaterThan(nats.connection.info!.max_payload);
    const pages = await nats.requestAll<typeof bigSnapshot>(bigSnapshotSubject, {}, { timeoutMs: 10_000 });
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(mergeSnapshotPages(pages, ['keys', 'accounts'])).toEqual(bigSnapshot);
  });

  it('times out an RPC nobody serves with a 503', async () => {
    const nats = app.get(NatsService);
    const error = await nats.request(`${SUBJECT_PREFIX}.kit.nobody.v1`, {}, { timeoutMs: 300 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 503 });
  });

  it('publishes through the outbox without waiting and stores each event once, even when published twice', async () => {
    const publisher = app.get(DurablePublisher);
    const ids = Array.from({ length: 30 }, (_, index) => `gen-${index}`);
    for (const id of ids) publisher.publish(eventSubject, { id, body: `note ${id}` }, id);
    for (const id of ids.slice(0, 10)) publisher.publish(eventSubject, { id, body: `duplicate ${id}` }, id);
    expect(await publisher.flush(5_000)).toBe(0);
    const dataSource = app.get<DataSource>(await import('typeorm').then((m) => m.DataSource));
    await waitFor(async () => Number((await dataSource.query('SELECT count(*)::int AS n FROM notes'))[0].n) === 30, { timeoutMs: 10_000, message: '30 notes stored' });
    const rows = await dataSource.query(`SELECT body FROM notes WHERE id = 'gen-3'`);
    expect(rows).toEqual([{ body: 'note gen-3' }]);
  });

  it('sends broadcast events published together as one message and hands them to subscribers one by one', async () => {
    const nats = app.get(NatsService);
    const subject = `${SUBJECT_PREFIX}.kit.outcomes.v1`;
    const handled: unknown[] = [];
    const subscription = nats.subscribe(subject, (data) => void handled.push(data));
    let wireMessages = 0;
    const raw = nats.connection.subscribe(subject, { callback: () => void (wireMessages += 1) });
    await nats.connection.flush();
    for (let index = 0; index < 5; index++) nats.publishBatched(subject, { index, text: 'line\nbreak' });
    await waitFor(() => handled.length === 5, { timeoutMs: 2_000, message: 'five events handled' });
    expect(handled).toEqual(Array.from({ length: 5 }, (_, index) => ({ index, text: 'line\nbreak' })));
    expect(wireMessages).toBe(1);
    subscription.unsubscribe();
    raw.unsubscribe();
  });

  it('consumes a backlog of large messages about a MiB at a time, without a loop error', async () => {
    const nats = app.get(NatsService);
    const subject = subjects.providers.attemptUsage;
    // 12 messages of 300 KB: past what one fetch takes (about 1 MiB).
    const body = 'x'.repeat(300_000);
    for (let index = 0; index < 12; index++) await nats.jetstream().publish(subject, JSON.stringify({ index, body }));
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const calls: number[][] = [];
    const consumer = new DurableConsumer(nats, {
      durable: 'kit-large',
      filterSubject: subject,
      batchSize: 250,
      handler: async (messages) => void calls.push(messages.map((message) => message.json<{ index: number }>().index)),
    });
    try {
      await consumer.start();
      await waitFor(() => calls.flat().length >= 12, { timeoutMs: 10_000, message: 'the backlog consumed' });
      expect(calls.flat()).toEqual(Array.from({ length: 12 }, (_, index) => index));
      // Four at first (sizes unknown: as if full 256 KiB batch messages), then three (what fits in a MiB).
      expect(calls.map((call) => call.length)).toEqual([4, 3, 3, 2]);
      expect(warn.mock.calls.filter(([text]) => /consumer loop error/.test(String(text)))).toEqual([]);
    } finally {
      warn.mockRestore();
      await consumer.stop();
    }
  });

  it('keeps an event JetStream refuses (no stream for its subject) and retries it instead of dropping it', async () => {
    const metrics = new MetricsService();
    const publisher = new DurablePublisher(app.get(NatsService), metrics, new HealthRegistry());
    publisher.publish(`${SUBJECT_PREFIX}.kit.no-stream.v1`, { id: 'lost?' }, 'lost-1');
    expect(await publisher.flush(1_500)).toBe(1);
    const failures = (await metrics.registry.getSingleMetric('switchyard_outbox_publish_failures_total')?.get())?.values[0]?.value ?? 0;
    expect(failures).toBeGreaterThanOrEqual(1);
  });
});
