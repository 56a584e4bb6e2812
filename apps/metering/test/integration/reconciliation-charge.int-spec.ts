import 'reflect-metadata';
import { type AttemptBilling, type AttemptUsageOutcome, generationCompletedSchema, JETSTREAM_STREAM, newAttemptId, newGenerationId, type ParsedGenerationCompleted, subjects } from '@switchyard/contracts';
import { dropSchema } from '@switchyard/nest-kit';
import { TEST_DATABASE_URL, uniqueSchema, waitFor } from '@switchyard/nest-kit/testing';
import type pg from 'pg';
import { attemptUsageEvent, generationEvent } from './support/events.js';
import { type RunningMetering, schemaClient, startMetering, TestNats } from './support/metering-app.js';

function billing(overrides: Partial<AttemptBilling> = {}): AttemptBilling {
  return {
    keyId: 'key-rc',
    keyHash: 'a'.repeat(64),
    leaseId: 'lease-rc',
    attemptNumber: 1,
    requestedModel: 'openai/gpt-4o-mini',
    model: 'openai/gpt-4o-mini',
    providerName: 'Switchyard Simulator',
    apiType: 'completions',
    streamed: true,
    pricing: { prompt: '0.00000015', completion: '0.0000006' },
    promptLogging: false,
    isByok: false,
    byokFeeWaived: false,
    requestedAt: new Date(Date.now() - 3_000).toISOString(),
    ...overrides,
  };
}

const delivered: AttemptUsageOutcome = { ok: true, contentSent: true, finishReason: 'stop', cancelled: false, status: 200, errorType: null, durationMs: 420 };
const failedBeforeContent: AttemptUsageOutcome = { ok: false, contentSent: false, finishReason: null, cancelled: false, status: 502, errorType: 'provider_unavailable', durationMs: 15 };

describe('reconciliation with charge inputs: an orphan is charged exactly, once, and only for its delivered last attempt', () => {
  const schema = uniqueSchema('metering');
  const env = { DB_SCHEMA: schema, RECONCILE_AFTER_MS: '1000', RECONCILE_INTERVAL_MS: '100' };
  let nats: TestNats;
  let metering: RunningMetering;
  let db: pg.Client;

  beforeAll(async () => {
    nats = await TestNats.connect();
    metering = await startMetering(env);
    db = await schemaClient(schema);
  });

  afterAll(async () => {
    await db?.end();
    await metering?.app.close();
    await dropSchema(TEST_DATABASE_URL, schema);
    await nats?.deleteOwnStream();
    await nats?.close();
  });

  async function generation(id: string): Promise<Record<string, unknown> | undefined> {
    return (await db.query('SELECT * FROM generations WHERE id = $1', [id])).rows[0];
  }

  async function resolutions(id: string): Promise<Array<string | null>> {
    return (await db.query(`SELECT resolution FROM attempt_usage WHERE generation_id = $1 ORDER BY attempted_at`, [id])).rows.map((row) => row.resolution);
  }

  /** Every generation-completed event in the stream for one generation id (what billing will consume). */
  async function publishedEvents(id: string): Promise<ParsedGenerationCompleted[]> {
    const info = await nats.jsm.streams.info(JETSTREAM_STREAM);
    const found: ParsedGenerationCompleted[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq += 1) {
      const message = await nats.jsm.streams.getMessage(JETSTREAM_STREAM, { seq }).catch(() => null);
      if (!message || message.subject !== subjects.metering.generationCompleted) continue;
      const event = generationCompletedSchema.parse(message.json());
      if (event.id === id) found.push(event);
    }
    return found;
  }

  it('publishes a generation-completed with the exact cost of the delivered last attempt (1 % prompt-logging discount), never the failed first one', async () => {
    const id = newGenerationId();
    const at = Date.now();
    await nats.publishAttemptUsage(
      attemptUsageEvent({ generationId: id, accountId: 'acct-rc', endpointId: 'openai/gpt-4o-mini@azure', usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 }, at: at - 500, outcome: failedBeforeContent, billing: billing({ attemptNumber: 1, promptLogging: true, providerName: 'Azure' }) }),
    );
    await nats.publishAttemptUsage(
      attemptUsageEvent({ generationId: id, accountId: 'acct-rc', endpointId: 'openai/gpt-4o-mini@simulator', usage: { promptTokens: 1000, completionTokens: 200, totalTokens: 1200 }, at, outcome: delivered, billing: billing({ attemptNumber: 2, promptLogging: true }) }),
    );
    const record = await waitFor(() => generation(id), { timeoutMs: 10_000, message: 'reconciled generation recorded' });
    // 1000 × 0.00000015 + 200 × 0.0000006 = 0.00027, less 1 % = 0.0002673: exactly what ingress would have charged.
    expect(record).toMatchObject({
      account_id: 'acct-rc',
      key_id: 'key-rc',
      lease_id: 'lease-rc',
      endpoint_id: 'openai/gpt-4o-mini@simulator',
      provider_slug: 'simulator',
      provider_name: 'Switchyard Simulator',
      prompt_tokens: 1000,
      completion_tokens: 200,
      cost: '0.0002673',
      upstream_cost: '0.00027',
      finish_reason: 'stop',
      reconciled: true,
      needs_pricing: false,
    });
    expect((record.attempts as Array<{ ok: boolean; endpointId: string }>).map((attempt) => [attempt.endpointId, attempt.ok])).toEqual([
      ['openai/gpt-4o-mini@azure', false],
      ['openai/gpt-4o-mini@simulator', true],
    ]);
    expect(await resolutions(id)).toEqual(['reconciled', 'reconciled']);
    const events = await publishedEvents(id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ id, accountId: 'acct-rc', keyId: 'key-rc', keyHash: 'a'.repeat(64), leaseId: 'lease-rc', cost: '0.0002673', reconciled: true, isByok: false });

    // The original arriving late (its ingress's outbox, say) is de-duplicated by JetStream and by the id: one record.
    const original = generationEvent({ id, requestId: id, accountId: 'acct-rc', keyId: 'key-rc', cost: '0.0002673', upstreamCost: '0.00027' });
    await nats.publishGenerations([original]);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await publishedEvents(id)).toHaveLength(1);
    expect(await generation(id)).toMatchObject({ reconciled: true, cost: '0.0002673' });
    const { rows } = await db.query(`SELECT sum(requests)::int AS requests, sum(cost)::text AS cost FROM usage_daily WHERE account_id = 'acct-rc'`);
    expect(rows[0]).toEqual({ requests: 1, cost: '0.0002673' });
  });

  it('charges only the BYOK fee (5 % of the list price) when the allowance is used up, and nothing inside it', async () => {
    const charged = newGenerationId();
    const waived = newGenerationId();
    const usage = { promptTokens: 2000, completionTokens: 1000, totalTokens: 3000 };
    const pricing = { prompt: '0.000003', completion: '0.000015' }; // list cost 0.006 + 0.015 = 0.021
    await nats.publishAttemptUsage(attemptUsageEvent({ generationId: charged, accountId: 'acct-byok', usage, outcome: delivered, billing: billing({ pricing, isByok: true, byokFeeWaived: false }) }));
    await nats.publishAttemptUsage(attemptUsageEvent({ generationId: waived, accountId: 'acct-byok', usage, outcome: delivered, billing: billing({ pricing, isByok: true, byokFeeWaived: true }) }));
    expect(await waitFor(() => generation(charged), { timeoutMs: 10_000, message: 'BYOK orphan charged' })).toMatchObject({ is_byok: true, cost: '0.00105', upstream_cost: '0.021' });
    expect(await waitFor(() => generation(waived), { timeoutMs: 10_000, message: 'waived BYOK orphan recorded' })).toMatchObject({ is_byok: true, cost: '0', upstream_cost: '0.021' });
  });

  it('charges a stream cut after content went out as an error finish, and bills nothing for zero completion tokens with an error finish', async () => {
    const cut = newGenerationId();
    const empty = newGenerationId();
    const failedAfterContent: AttemptUsageOutcome = { ok: false, contentSent: true, finishReason: 'error', cancelled: false, status: 502, errorType: 'provider_unavailable', durationMs: 80 };
    await nats.publishAttemptUsage(attemptUsageEvent({ generationId: cut, accountId: 'acct-cut', usage: { promptTokens: 100, completionTokens: 10, totalTokens: 110, estimated: true }, outcome: failedAfterContent, billing: billing() }));
    await nats.publishAttemptUsage(attemptUsageEvent({ generationId: empty, accountId: 'acct-cut', usage: { promptTokens: 100, completionTokens: 0, totalTokens: 100 }, outcome: failedAfterContent, billing: billing() }));
    expect(await waitFor(() => generation(cut), { timeoutMs: 10_000, message: 'cut stream charged' })).toMatchObject({ cost: '0.000021', finish_reason: 'error', usage_estimated: true });
    expect(await waitFor(() => generation(empty), { timeoutMs: 10_000, message: 'empty error recorded' })).toMatchObject({ cost: '0', upstream_cost: '0.000015', finish_reason: 'error' });
  });

  it('never charges a generation whose last attempt was not delivered, even if an earlier one was (abandoned, then retried)', async () => {
    const id = newGenerationId();
    // Providers finished attempt 1, but ingress lost it (liveness) and tried attempt 2, which failed: the client got an error.
    await nats.publishAttemptUsage(attemptUsageEvent({ generationId: id, accountId: 'acct-lost', usage: { promptTokens: 50, completionTokens: 20, totalTokens: 70 }, outcome: delivered, billing: billing({ attemptNumber: 1 }), at: Date.now() }));
    await nats.publishAttemptUsage(attemptUsageEvent({ attemptId: newAttemptId(), generationId: id, accountId: 'acct-lost', endpointId: 'openai/gpt-4o-mini@azure', usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 }, outcome: failedBeforeContent, billing: billing({ attemptNumber: 2 }), at: Date.now() - 5_000 }));
    await waitFor(async () => (await resolutions(id)).filter((resolution) => resolution === 'unbilled').length === 2, { timeoutMs: 10_000, message: 'resolved as unbilled' });
    expect(await generation(id)).toBeUndefined();
    expect(await publishedEvents(id)).toHaveLength(0);
  });
});
