import 'reflect-metadata';
import { durableConsumers, type GenerationCompleted } from '@switchyard/contracts';
import { Decimal, sumMoney } from '@switchyard/money';
import { dropSchema } from '@switchyard/nest-kit';
import { TEST_DATABASE_URL, uniqueSchema, waitFor } from '@switchyard/nest-kit/testing';
import type pg from 'pg';
import { METERING_MIGRATIONS } from '../../src/app.module.js';
import { generationEvent } from './support/events.js';
import { type RunningMetering, schemaClient, startMetering, TestNats } from './support/metering-app.js';

describe('metering restart (durable consumer resumes)', () => {
  const schema = uniqueSchema('metering');
  const env = { DB_SCHEMA: schema, CONSUMER_BATCH_SIZE: '50', CONSUMER_ACK_WAIT_MS: '2000', CONSUMER_LAG_POLL_MS: '250' };
  let nats: TestNats;
  let metering: RunningMetering | undefined;
  let db: pg.Client;

  beforeAll(async () => {
    nats = await TestNats.connect();
  });

  afterAll(async () => {
    await db?.end();
    await metering?.app.close();
    await dropSchema(TEST_DATABASE_URL, schema);
    await nats?.deleteOwnStream();
    await nats?.close();
  });

  it('stores every event exactly once when the app is closed and restarted while events keep coming', async () => {
    metering = await startMetering(env);
    db = await schemaClient(schema);
    const published: GenerationCompleted[] = [];
    let publishing = true;
    const publisher = (async () => {
      let index = 0;
      while (publishing) {
        const batch = Array.from({ length: 5 }, () => generationEvent({ accountId: 'acct-restart', keyId: `key-${index++ % 3}` }));
        await nats.publishGenerations(batch);
        published.push(...batch);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();

    const stored = async () => Number((await db.query('SELECT count(*) AS n FROM generations')).rows[0].n);
    await waitFor(async () => (await stored()) >= 100, { timeoutMs: 15_000, message: 'first events stored' });

    // Graceful close while events keep being published: the batch in progress finishes and is acked.
    await metering.app.close();
    metering = undefined;
    const whileDown = published.length;
    await waitFor(() => published.length >= whileDown + 100, { timeoutMs: 15_000, message: 'events published while metering is down' });

    metering = await startMetering(env);
    await waitFor(() => published.length >= whileDown + 250, { timeoutMs: 15_000, message: 'events published after the restart' });
    publishing = false;
    await publisher;

    await waitFor(async () => (await stored()) === published.length, { timeoutMs: 30_000, message: `all ${published.length} events stored` });
    await waitFor(() => nats.consumerDrained(durableConsumers.meteringGenerations), { timeoutMs: 15_000, message: 'consumer drained' });

    const { rows: ids } = await db.query('SELECT id FROM generations');
    expect(new Set(ids.map((row) => row.id))).toEqual(new Set(published.map((event) => event.id)));
    const { rows: totals } = await db.query(`SELECT sum(requests)::int AS requests, sum(cost)::text AS cost FROM usage_daily`);
    expect(totals[0].requests).toBe(published.length);
    expect(new Decimal(totals[0].cost).toString()).toBe(sumMoney(published.map((event) => event.cost)).toString());
    // Migrations ran once each: the second boot found the schema up to date.
    expect(Number((await db.query('SELECT count(*) AS n FROM migrations')).rows[0].n)).toBe(METERING_MIGRATIONS.length);
  });

  it('creates the stream again when it disappears under a running service, and keeps consuming', async () => {
    expect(metering).toBeDefined();
    // The service may re-create the stream within milliseconds of the deletion: a new creation time proves both.
    const original = await nats.streamCreatedAt();
    expect(original).not.toBeNull();
    await nats.deleteOwnStream();
    await waitFor(
      async () => {
        const created = await nats.streamCreatedAt();
        return created !== null && created !== original;
      },
      { timeoutMs: 10_000, message: 'stream re-created' },
    );
    const after = generationEvent({ accountId: 'acct-after-loss' });
    await waitFor(
      async () => {
        await nats.publishGenerations([after]);
        return Number((await db.query('SELECT count(*) AS n FROM generations WHERE id = $1', [after.id])).rows[0].n) === 1;
      },
      { timeoutMs: 15_000, intervalMs: 500, message: 'event stored after the stream was re-created' },
    );
  });
});
