import 'reflect-metadata';
import { GatewayError, newGenerationId, subjects } from '@switchyard/contracts';
import { Decimal } from '@switchyard/money';
import { dropSchema, NatsService } from '@switchyard/nest-kit';
import { TEST_DATABASE_URL, uniqueSchema, waitFor } from '@switchyard/nest-kit/testing';
import type pg from 'pg';
import { ReconcilerService } from '../../src/reconciliation/reconciler.service.js';
import { endpointAggregateDrift } from './support/aggregates.js';
import { attemptUsageEvent, generationEvent } from './support/events.js';
import { adminJson, type RunningMetering, schemaClient, startMetering, TestNats } from './support/metering-app.js';

describe('reconciliation of attempt usage without a generation-completed event', () => {
  const schema = uniqueSchema('metering');
  // Two replicas on one schema, reconciling every 100 ms after a 1.5 s delay.
  const env = { DB_SCHEMA: schema, RECONCILE_AFTER_MS: '1500', RECONCILE_INTERVAL_MS: '100' };
  let nats: TestNats;
  let replicas: RunningMetering[] = [];
  let db: pg.Client;

  beforeAll(async () => {
    nats = await TestNats.connect();
    replicas = [await startMetering(env), await startMetering(env)];
    db = await schemaClient(schema);
  });

  afterAll(async () => {
    await db?.end();
    for (const replica of replicas) await replica.app.close();
    await dropSchema(TEST_DATABASE_URL, schema);
    await nats?.deleteOwnStream();
    await nats?.close();
  });

  async function generation(id: string): Promise<Record<string, unknown> | undefined> {
    return (await db.query('SELECT * FROM generations WHERE id = $1', [id])).rows[0];
  }

  async function lookup(id: string, accountId: string): Promise<unknown> {
    return replicas[0]!.app.get(NatsService).request(subjects.metering.generation, { id, accountId }).catch((error: unknown) => error);
  }

  it('records a reconciled, unpriced placeholder for an orphan after the delay, and nothing before', async () => {
    const orphan = newGenerationId();
    const publishedAt = Date.now();
    await nats.publishAttemptUsage(attemptUsageEvent({ generationId: orphan, accountId: 'acct-r', endpointId: 'openai/gpt-4o-mini@azure', usage: { promptTokens: 90, completionTokens: 0, totalTokens: 90 }, at: publishedAt - 2_000 }));
    await nats.publishAttemptUsage(attemptUsageEvent({ generationId: orphan, accountId: 'acct-r', endpointId: 'openai/gpt-4o-mini@openai', usage: { promptTokens: 120, completionTokens: 45, totalTokens: 165, reasoningTokens: 5 }, at: publishedAt - 1_000 }));
    await waitFor(async () => Number((await db.query(`SELECT count(*) AS n FROM attempt_usage WHERE generation_id = $1`, [orphan])).rows[0].n) === 2, { message: 'attempt usage stored' });
    expect(await generation(orphan)).toBeUndefined();
    expect(await lookup(orphan, 'acct-r')).toMatchObject({ status: 404 });

    const placeholder = await waitFor(() => generation(orphan), { timeoutMs: 10_000, message: 'placeholder recorded' });
    // Recorded only once its attempt usage was RECONCILE_AFTER_MS old (both times from Postgres' clock).
    const { rows: timing } = await db.query(
      `SELECT extract(epoch FROM g.recorded_at - min(a.received_at)) * 1000 AS waited_ms
       FROM generations g JOIN attempt_usage a ON a.generation_id = g.id WHERE g.id = $1 GROUP BY g.recorded_at`,
      [orphan],
    );
    expect(Number(timing[0].waited_ms)).toBeGreaterThanOrEqual(1500);
    expect(placeholder).toMatchObject({
      account_id: 'acct-r',
      key_id: null,
      model: 'openai/gpt-4o-mini',
      endpoint_id: 'openai/gpt-4o-mini@openai',
      provider_slug: 'openai',
      prompt_tokens: 120,
      completion_tokens: 45,
      reasoning_tokens: 5,
      cost: null,
      upstream_cost: null,
      reconciled: true,
      needs_pricing: true,
    });
    expect((placeholder.attempts as unknown[]).length).toBe(2);

    const data = await lookup(orphan, 'acct-r');
    expect(GatewayError.isInstance(data)).toBe(false);
    expect(data).toMatchObject({ id: orphan, tokens_prompt: 120, tokens_completion: 45, total_cost: 0, usage: 0, provider_name: 'openai' });

    const day = new Date(publishedAt - 2_000).toISOString().slice(0, 10);
    const activity = await adminJson(replicas[1]!.base, `/admin/activity?group_by=key&from=${day}&to=${day}&account_id=acct-r`);
    expect(activity.data).toEqual([expect.objectContaining({ account_id: 'acct-r', key_id: null, requests: 1, prompt_tokens: 120, cost: '0', unpriced_requests: 1 })]);
    const { rows } = await db.query(`SELECT resolution FROM attempt_usage WHERE generation_id = $1`, [orphan]);
    expect(rows.map((row) => row.resolution)).toEqual(['reconciled', 'reconciled']);
  });

  it('never reconciles a generation whose generation-completed arrived, whatever the order', async () => {
    const completed = generationEvent({ accountId: 'acct-r' });
    await nats.publishGenerations([completed]);
    await nats.publishAttemptUsage(attemptUsageEvent({ generationId: completed.id, accountId: 'acct-r' }));
    await waitFor(async () => (await db.query(`SELECT resolution FROM attempt_usage WHERE generation_id = $1`, [completed.id])).rows[0]?.resolution === 'completed', {
      timeoutMs: 10_000,
      message: 'attempt usage resolved as completed',
    });
    expect(await generation(completed.id)).toMatchObject({ reconciled: false, needs_pricing: false, cost: completed.cost });
  });

  it('replaces a placeholder with the real event that arrives late, correcting the aggregates', async () => {
    const late = generationEvent({ accountId: 'acct-late', keyId: 'key-late', createdAt: '2025-05-05T12:00:00Z' });
    await nats.publishAttemptUsage(attemptUsageEvent({ generationId: late.id, accountId: 'acct-late', endpointId: late.endpointId!, at: Date.parse('2025-05-05T12:00:01Z') }));
    await waitFor(async () => (await generation(late.id))?.reconciled === true, { timeoutMs: 10_000, message: 'placeholder recorded' });
    const before = await adminJson(replicas[0]!.base, '/admin/activity?group_by=key&from=2025-05-05&to=2025-05-05&account_id=acct-late');
    expect(before.data).toEqual([expect.objectContaining({ key_id: null, requests: 1, unpriced_requests: 1, cost: '0' })]);

    await nats.publishGenerations([late]);
    await waitFor(async () => (await generation(late.id))?.reconciled === false, { timeoutMs: 10_000, message: 'placeholder replaced' });
    expect(await generation(late.id)).toMatchObject({ key_id: 'key-late', cost: late.cost, needs_pricing: false, request_id: late.requestId });
    const after = await adminJson(replicas[0]!.base, '/admin/activity?group_by=key&from=2025-05-05&to=2025-05-05&account_id=acct-late');
    expect(after.data).toEqual([expect.objectContaining({ key_id: 'key-late', requests: 1, unpriced_requests: 0, cost: new Decimal(late.cost).toString(), prompt_tokens: late.usage.promptTokens })]);
    const { rows } = await db.query(`SELECT sum(requests)::int AS requests FROM usage_daily WHERE account_id = 'acct-late'`);
    expect(rows[0].requests).toBe(1);
    // The placeholder's contribution left the per-endpoint aggregate too (`/activity` counts the real generation once).
    expect(await endpointAggregateDrift(db, 'acct-late')).toEqual([]);

    // The same attempt usage delivered again changes nothing.
    await nats.publishAttemptUsage(attemptUsageEvent({ generationId: late.id, accountId: 'acct-late', endpointId: late.endpointId! }));
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(await generation(late.id)).toMatchObject({ reconciled: false, cost: late.cost });
  });

  it('records each orphan once with two replicas reconciling side by side', async () => {
    const orphans = Array.from({ length: 30 }, () => newGenerationId());
    await Promise.all(orphans.map((id) => nats.publishAttemptUsage(attemptUsageEvent({ generationId: id, accountId: 'acct-pair', usage: { promptTokens: 10, completionTokens: 1, totalTokens: 11 } }))));
    await waitFor(async () => Number((await db.query(`SELECT count(*) AS n FROM attempt_usage WHERE account_id = 'acct-pair'`)).rows[0].n) === 30, { message: 'attempt usage stored' });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // Both replicas' timers run, plus explicit passes racing them and each other.
    const passes = await Promise.all(replicas.flatMap((replica) => [replica.app.get(ReconcilerService).reconcileOnce(), replica.app.get(ReconcilerService).reconcileOnce()]));
    expect(passes.reduce((total, pass) => total + pass.reconciled, 0)).toBeLessThanOrEqual(30);
    await waitFor(async () => Number((await db.query(`SELECT count(*) AS n FROM generations WHERE account_id = 'acct-pair'`)).rows[0].n) === 30, { timeoutMs: 10_000, message: '30 placeholders' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const { rows } = await db.query(`SELECT sum(requests)::int AS requests, sum(prompt_tokens)::int AS prompt FROM usage_daily WHERE account_id = 'acct-pair'`);
    expect(rows[0]).toEqual({ requests: 30, prompt: 300 });
    expect(await endpointAggregateDrift(db, 'acct-pair')).toEqual([]);
    expect(Number((await db.query(`SELECT count(*) AS n FROM attempt_usage WHERE account_id = 'acct-pair' AND resolved_at IS NULL`)).rows[0].n)).toBe(0);
  });
});
