import 'reflect-metadata';
import { durableConsumers, type GenerationCompleted, GatewayError, JETSTREAM_STREAM, newGenerationId, subjects } from '@switchyard/contracts';
import { Decimal, sumMoney } from '@switchyard/money';
import { dropSchema, NatsService } from '@switchyard/nest-kit';
import { TEST_DATABASE_URL, waitFor } from '@switchyard/nest-kit/testing';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import { UsageDailyEndpoints1764900000000 } from '../../src/migrations/1764900000000-usage-daily-endpoints.js';
import { endpointAggregateDrift } from './support/aggregates.js';
import { generationEvent, parseCsv } from './support/events.js';
import { adminGet, adminJson, type RunningMetering, schemaClient, startMetering, TestNats } from './support/metering-app.js';

const ACCOUNTS = ['acct-a', 'acct-b', 'acct-c'];
const MODELS = [
  { model: 'openai/gpt-4o-mini', endpointId: 'openai/gpt-4o-mini@openai', providerSlug: 'openai', providerName: 'OpenAI' },
  { model: 'anthropic/claude-sonnet-4.5', endpointId: 'anthropic/claude-sonnet-4.5@anthropic', providerSlug: 'anthropic', providerName: 'Anthropic' },
  { model: 'anthropic/claude-sonnet-4.5', endpointId: 'anthropic/claude-sonnet-4.5@google-vertex', providerSlug: 'google-vertex', providerName: 'Google Vertex' },
  { model: 'meta-llama/llama-3.3-70b-instruct', endpointId: 'meta-llama/llama-3.3-70b-instruct@deepinfra', providerSlug: 'deepinfra', providerName: 'DeepInfra' },
];
const DAYS = ['2025-03-01', '2025-03-02', '2025-03-03'];

/** 1,000 events spread over accounts, keys, models, providers and days, some BYOK. */
function buildEvents(count: number): GenerationCompleted[] {
  return Array.from({ length: count }, (_, index) => {
    const account = ACCOUNTS[index % ACCOUNTS.length]!;
    const target = MODELS[index % MODELS.length]!;
    const day = DAYS[index % DAYS.length]!;
    const isByok = index % 10 === 0;
    const event = generationEvent({
      accountId: account,
      keyId: `${account}-key-${index % 2}`,
      ...target,
      isByok,
      createdAt: `${day}T${String(index % 24).padStart(2, '0')}:${String(index % 60).padStart(2, '0')}:00.${String(index % 1000).padStart(3, '0')}Z`,
    });
    // BYOK: the account pays a fee, the list price is the upstream cost.
    if (isByok) event.upstreamCost = new Decimal(event.cost).times(20).toString();
    return event;
  });
}

function sumOf(events: GenerationCompleted[], pick: (event: GenerationCompleted) => string): string {
  return sumMoney(events.map(pick)).toString();
}

describe('metering ingestion (real NATS JetStream and Postgres)', () => {
  let nats: TestNats;
  let metering: RunningMetering;
  let db: pg.Client;
  let streamExistedBeforeBoot: boolean;
  const events = buildEvents(1000);

  beforeAll(async () => {
    nats = await TestNats.connect();
    streamExistedBeforeBoot = await nats.streamExists();
    metering = await startMetering({ CONSUMER_BATCH_SIZE: '200' });
    db = await schemaClient(metering.config.DB_SCHEMA);
  });

  afterAll(async () => {
    await db?.end();
    await metering?.app.close();
    if (metering) await dropSchema(TEST_DATABASE_URL, metering.config.DB_SCHEMA);
    await nats?.deleteOwnStream();
    await nats?.close();
  });

  async function count(sql: string, parameters: unknown[] = []): Promise<number> {
    const { rows } = await db.query(sql, parameters);
    return Number(rows[0].n);
  }

  async function aggregatesSnapshot(): Promise<unknown[]> {
    const { rows } = await db.query(`SELECT * FROM usage_daily ORDER BY key_id, day, model, provider, account_id`);
    return rows;
  }

  it('starts when NATS is up but the stream does not exist yet, creating the stream and both durable consumers', async () => {
    expect(streamExistedBeforeBoot).toBe(false);
    expect(await nats.streamExists()).toBe(true);
    const info = await nats.jsm.streams.info(JETSTREAM_STREAM);
    expect(info.config.subjects).toEqual(expect.arrayContaining([subjects.metering.generationCompleted, subjects.providers.attemptUsage]));
    for (const durable of [durableConsumers.meteringGenerations, durableConsumers.meteringAttemptUsage]) {
      await expect(nats.jsm.consumers.info(JETSTREAM_STREAM, durable)).resolves.toMatchObject({ name: durable });
    }
    const health = await adminJson(metering.base, '/admin/health');
    expect(health.status).toBe('ok');
    expect(health.checks).toMatchObject({ postgres: { ok: true }, nats: { ok: true }, 'consumer:metering-generations': { ok: true } });
  });

  it('stores 1,000 events, each once, with exact cost sums in the log and in the aggregates', async () => {
    await nats.publishGenerations(events);
    await waitFor(async () => (await count('SELECT count(*) AS n FROM generations')) === 1000, { timeoutMs: 30_000, message: '1000 generations stored' });

    const expectedCost = sumOf(events, (event) => event.cost);
    const expectedUpstream = sumOf(events, (event) => event.upstreamCost);
    const { rows: log } = await db.query(`SELECT sum(cost)::text AS cost, sum(upstream_cost)::text AS upstream, sum(prompt_tokens)::bigint AS prompt FROM generations`);
    expect(new Decimal(log[0].cost).toString()).toBe(expectedCost);
    expect(new Decimal(log[0].upstream).toString()).toBe(expectedUpstream);
    expect(Number(log[0].prompt)).toBe(events.reduce((total, event) => total + event.usage.promptTokens, 0));

    const { rows: aggregate } = await db.query(
      `SELECT sum(requests)::int AS requests, sum(cost)::text AS cost, sum(byok_requests)::int AS byok, sum(byok_cost)::text AS byok_cost,
              sum(reasoning_tokens)::bigint AS reasoning, sum(cached_tokens)::bigint AS cached FROM usage_daily`,
    );
    expect(aggregate[0].requests).toBe(1000);
    expect(new Decimal(aggregate[0].cost).toString()).toBe(expectedCost);
    const byok = events.filter((event) => event.isByok);
    expect(aggregate[0].byok).toBe(byok.length);
    expect(new Decimal(aggregate[0].byok_cost).toString()).toBe(sumOf(byok, (event) => event.upstreamCost));
    expect(Number(aggregate[0].reasoning)).toBe(events.reduce((total, event) => total + (event.usage.reasoningTokens ?? 0), 0));
    expect(Number(aggregate[0].cached)).toBe(events.reduce((total, event) => total + (event.usage.cachedTokens ?? 0), 0));
    // One aggregate row per key × day × model × provider.
    const groups = new Set(events.map((event) => `${event.keyId}|${event.createdAt.slice(0, 10)}|${event.model}|${event.providerSlug}`));
    expect(await count('SELECT count(*) AS n FROM usage_daily')).toBe(groups.size);
  });

  it('stores nothing twice when the same events are delivered again, and leaves the aggregates unchanged', async () => {
    const before = await aggregatesSnapshot();
    // New message ids get past JetStream's de-duplication: metering itself must be idempotent.
    await nats.publishGenerations(events, { messageId: (event) => `${event.id}-again` });
    await waitFor(() => nats.consumerDrained(durableConsumers.meteringGenerations), { timeoutMs: 30_000, message: 'redelivered events consumed' });
    expect(await count('SELECT count(*) AS n FROM generations')).toBe(1000);
    expect(await aggregatesSnapshot()).toEqual(before);
    const metrics = await (await adminGet(metering.base, '/metrics')).text();
    expect(metrics).toMatch(/switchyard_metering_messages_total\{[^}]*consumer="metering-generations"[^}]*outcome="duplicate"[^}]*\} 1000\n/);
    expect(metrics).toMatch(/switchyard_metering_batch_store_seconds_count\{[^}]*consumer="metering-generations"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/switchyard_metering_consumer_pending\{[^}]*consumer="metering-generations"[^}]*\} 0\n/);
  });

  it('dead-letters poison events, acks them, and stores the rest of their batch', async () => {
    const good = [generationEvent({ accountId: 'acct-poison' }), generationEvent({ accountId: 'acct-poison', userAgent: 'nul\u0000byte', content: { input: 'a\u0000', output: '\ud83d' } }), generationEvent({ accountId: 'acct-poison' })];
    const oversized = generationEvent({ accountId: 'acct-poison', model: randomBytes(9_000).toString('base64') });
    const invalid = { ...generationEvent(), usage: { promptTokens: 'many' } };
    await nats.publishRaw(subjects.metering.generationCompleted, JSON.stringify(good[0]), good[0]!.id);
    await nats.publishRaw(subjects.metering.generationCompleted, '{"id": "gen-broken', 'poison-not-json');
    await nats.publishRaw(subjects.metering.generationCompleted, JSON.stringify(invalid), 'poison-invalid');
    await nats.publishRaw(subjects.metering.generationCompleted, JSON.stringify(good[1]), good[1]!.id);
    await nats.publishRaw(subjects.metering.generationCompleted, JSON.stringify(oversized), oversized.id);
    await nats.publishRaw(subjects.metering.generationCompleted, JSON.stringify(good[2]), good[2]!.id);

    await waitFor(async () => (await count(`SELECT count(*) AS n FROM generations WHERE account_id = 'acct-poison'`)) === 3, { timeoutMs: 15_000, message: 'good events stored' });
    await waitFor(async () => (await count('SELECT count(*) AS n FROM dead_letters')) === 3, { timeoutMs: 15_000, message: 'poison dead-lettered' });
    await waitFor(() => nats.consumerDrained(durableConsumers.meteringGenerations), { timeoutMs: 15_000, message: 'poison acked' });

    const { rows: letters } = await db.query(`SELECT consumer, reason, convert_from(payload, 'UTF8') AS payload FROM dead_letters ORDER BY stream_sequence`);
    expect(letters.map((letter) => letter.consumer)).toEqual(['metering-generations', 'metering-generations', 'metering-generations']);
    expect(letters[0].reason).toMatch(/not JSON/);
    expect(letters[0].payload).toBe('{"id": "gen-broken');
    expect(letters[1].reason).toMatch(/usage\.promptTokens/);
    expect(letters[2].reason).toMatch(/rejected by Postgres: .*SQLSTATE 54000/);
    expect(JSON.parse(letters[2].payload).id).toBe(oversized.id);

    const { rows: cleaned } = await db.query(`SELECT g.user_agent, c.output FROM generations g JOIN generation_contents c ON c.generation_id = g.id WHERE g.id = $1`, [good[1]!.id]);
    expect(cleaned).toEqual([{ user_agent: 'nul\uFFFDbyte', output: '\uFFFD' }]);

    // Acked, not redelivered: nothing more arrives after another fetch cycle.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await count('SELECT count(*) AS n FROM dead_letters')).toBe(3);
    const listing = await adminJson(metering.base, '/admin/dead-letters?limit=2');
    expect(listing.data).toHaveLength(2);
    expect(listing.data[0]).toMatchObject({ consumer: 'metering-generations', reason: expect.stringMatching(/SQLSTATE 54000/) });
    expect(Buffer.from(listing.data[0].payload_base64, 'base64').toString()).toBe(JSON.stringify(oversized));
    expect(listing.next_before).toEqual(expect.any(String));
  });

  describe('generation lookup RPC', () => {
    async function lookup(payload: unknown): Promise<unknown> {
      return metering.app.get(NatsService).request(subjects.metering.generation, payload).catch((error: unknown) => error);
    }

    it('returns the OpenRouter GET /generation data of the account own generation', async () => {
      const event = events[7]!;
      const data = (await lookup({ id: event.id, accountId: event.accountId })) as Record<string, unknown>;
      expect(GatewayError.isInstance(data)).toBe(false);
      expect(Object.keys(data).sort()).toEqual(
        [
          'id', 'request_id', 'upstream_id', 'session_id', 'preset_id', 'app_id', 'workspace_id', 'external_user', 'model', 'provider_name', 'router',
          'provider_responses', 'service_tier', 'data_region', 'is_byok', 'api_type', 'created_at', 'latency', 'generation_time', 'moderation_latency',
          'streamed', 'cancelled', 'tokens_prompt', 'tokens_completion', 'native_tokens_prompt', 'native_tokens_completion', 'native_tokens_reasoning',
          'native_tokens_cached', 'native_tokens_completion_images', 'num_media_prompt', 'num_media_completion', 'num_input_audio_prompt',
          'num_search_results', 'num_fetches', 'web_search_engine', 'total_cost', 'usage', 'upstream_inference_cost', 'cache_discount', 'finish_reason',
          'native_finish_reason', 'response_cache_source_id', 'origin', 'http_referer', 'user_agent', 'gateway_overhead_ms',
        ].sort(),
      );
      expect(data).toMatchObject({
        id: event.id,
        request_id: event.requestId,
        upstream_id: event.upstreamId,
        model: event.model,
        provider_name: event.providerName,
        is_byok: event.isByok,
        api_type: 'completions',
        created_at: new Date(event.createdAt).toISOString(),
        latency: 812,
        generation_time: 790,
        streamed: true,
        cancelled: false,
        tokens_prompt: event.usage.promptTokens,
        tokens_completion: event.usage.completionTokens,
        native_tokens_reasoning: event.usage.reasoningTokens,
        native_tokens_cached: event.usage.cachedTokens,
        total_cost: Number(event.cost),
        usage: Number(event.cost),
        upstream_inference_cost: Number(event.upstreamCost),
        cache_discount: 0,
        finish_reason: 'stop',
        user_agent: 'metering-test/1.0',
        gateway_overhead_ms: 3.25,
        provider_responses: [expect.objectContaining({ endpoint_id: event.endpointId, status: 200, id: event.upstreamId })],
        response_cache_source_id: null,
      });
      expect(typeof data.total_cost).toBe('number');
    });

    it('stores the preset a request named and shows it as preset_id, with the free router as router', async () => {
      const viaPreset = generationEvent({ accountId: 'acct-preset', requestedModel: '@preset/support-bot', preset: 'support-bot' });
      const viaRouter = generationEvent({ accountId: 'acct-preset', requestedModel: 'openrouter/free' });
      await nats.publishGenerations([viaPreset, viaRouter]);
      await waitFor(async () => (await count(`SELECT count(*) AS n FROM generations WHERE account_id = 'acct-preset'`)) === 2, { timeoutMs: 15_000, message: 'both stored' });
      expect(await lookup({ id: viaPreset.id, accountId: 'acct-preset' })).toMatchObject({ preset_id: 'support-bot', router: null });
      expect(await lookup({ id: viaRouter.id, accountId: 'acct-preset' })).toMatchObject({ preset_id: null, router: 'openrouter/free' });
    });

    it('stores and shows the replayed generation id of a response-cache hit (cost 0, no usage, no attempts)', async () => {
      const source = generationEvent({ accountId: 'acct-cache' });
      const hit = generationEvent({
        accountId: 'acct-cache',
        upstreamId: null,
        usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
        cost: '0',
        upstreamCost: '0',
        cacheDiscount: '0',
        attempts: [],
        responseCacheSourceId: source.id,
      });
      await nats.publishGenerations([source, hit]);
      await waitFor(async () => (await count(`SELECT count(*) AS n FROM generations WHERE account_id = 'acct-cache'`)) === 2, { timeoutMs: 15_000, message: 'source and cache hit stored' });

      const { rows } = await db.query(`SELECT id, response_cache_source_id FROM generations WHERE account_id = 'acct-cache' ORDER BY id`);
      expect(rows).toEqual(
        [
          { id: source.id, response_cache_source_id: null },
          { id: hit.id, response_cache_source_id: source.id },
        ].sort((left, right) => (left.id < right.id ? -1 : 1)),
      );
      expect(await lookup({ id: hit.id, accountId: 'acct-cache' })).toMatchObject({
        id: hit.id,
        response_cache_source_id: source.id,
        total_cost: 0,
        usage: 0,
        tokens_prompt: 0,
        tokens_completion: 0,
        provider_responses: [],
      });
      expect(await lookup({ id: source.id, accountId: 'acct-cache' })).toMatchObject({ id: source.id, response_cache_source_id: null, total_cost: Number(source.cost) });
      expect((await adminJson(metering.base, `/admin/generations/${hit.id}`)).data).toMatchObject({ response_cache_source_id: source.id, cost: '0' });
    });

    it('answers 404 "Generation not found" for another account generation and for an unknown id', async () => {
      const event = events[8]!;
      const foreign = await lookup({ id: event.id, accountId: 'acct-someone-else' });
      expect(GatewayError.isInstance(foreign)).toBe(true);
      expect(foreign).toMatchObject({ status: 404, message: 'Generation not found', errorType: 'not_found' });
      const unknown = await lookup({ id: newGenerationId(), accountId: event.accountId });
      expect(unknown).toMatchObject({ status: 404, message: 'Generation not found' });
    });

    it('answers 400 for a malformed lookup', async () => {
      expect(await lookup({ id: 42 })).toMatchObject({ status: 400, errorType: 'invalid_request' });
    });
  });

  describe('account activity RPC (GET /api/v1/activity)', () => {
    const DAY = 86_400_000;
    const dayOf = (daysAgo: number) => new Date(Math.floor(Date.now() / DAY) * DAY - daysAgo * DAY).toISOString().slice(0, 10);
    const activity = (payload: unknown) => metering.app.get(NatsService).request(subjects.metering.activity, payload).catch((error: unknown) => error);

    it("sums the account's generations per UTC day and endpoint over the last 30 completed days, newest first, exactly", async () => {
      const accountId = `acct-activity-${randomBytes(4).toString('hex')}`;
      const at = (daysAgo: number, hour: number) => `${dayOf(daysAgo)}T${String(hour).padStart(2, '0')}:30:00.000Z`;
      const mini = { model: 'openai/gpt-4o-mini', endpointId: 'openai/gpt-4o-mini@openai', providerSlug: 'openai', providerName: 'OpenAI' };
      const free = { model: 'meta-llama/llama-3.3-70b-instruct:free', endpointId: 'meta-llama/llama-3.3-70b-instruct@deepinfra/free', providerSlug: 'deepinfra', providerName: 'DeepInfra' };
      const recent = [
        generationEvent({ accountId, ...mini, createdAt: at(1, 3), cost: '0.000123', upstreamCost: '0.000123' }),
        generationEvent({ accountId, ...mini, createdAt: at(1, 9), cost: '0.000200', upstreamCost: '0.000200' }),
        generationEvent({ accountId, ...mini, createdAt: at(1, 10), cost: '0.0001', upstreamCost: '0.002', isByok: true }),
        generationEvent({ accountId, ...free, createdAt: at(3, 12), cost: '0', upstreamCost: '0' }),
      ];
      const outside = [
        generationEvent({ accountId, ...mini, createdAt: new Date().toISOString() }), // today: not a completed day
        generationEvent({ accountId, ...mini, createdAt: at(31, 12) }), // before the window
        generationEvent({ accountId: `${accountId}-other`, ...mini, createdAt: at(1, 12) }), // another account
      ];
      await nats.publishGenerations([...recent, ...outside]);
      await waitFor(async () => (await count('SELECT count(*) AS n FROM generations WHERE account_id LIKE $1', [`${accountId}%`])) === 7, { message: 'all stored' });

      const answer = (await activity({ accountId })) as { data: Array<Record<string, unknown>> };
      expect(answer.data).toEqual([
        {
          date: dayOf(1),
          model: 'openai/gpt-4o-mini',
          model_permaslug: 'openai/gpt-4o-mini',
          endpoint_id: 'openai/gpt-4o-mini@openai',
          provider_name: 'OpenAI',
          usage: 0.000423,
          byok_usage_inference: 0.002,
          requests: 3,
          prompt_tokens: recent.slice(0, 3).reduce((sum, event) => sum + event.usage.promptTokens, 0),
          completion_tokens: recent.slice(0, 3).reduce((sum, event) => sum + event.usage.completionTokens, 0),
          reasoning_tokens: recent.slice(0, 3).reduce((sum, event) => sum + (event.usage.reasoningTokens ?? 0), 0),
        },
        expect.objectContaining({ date: dayOf(3), model: 'meta-llama/llama-3.3-70b-instruct:free', model_permaslug: 'meta-llama/llama-3.3-70b-instruct', provider_name: 'DeepInfra', usage: 0, requests: 1 }),
      ]);

      const oneDay = (await activity({ accountId, date: dayOf(3) })) as { data: Array<{ date: string }> };
      expect(oneDay.data.map((row) => row.date)).toEqual([dayOf(3)]);
      // Read from the per-endpoint aggregate, which holds exactly the generation log's sums (every account of this file).
      expect(await endpointAggregateDrift(db)).toEqual([]);
    });

    it('backfills the per-endpoint aggregate from the stored generations when its migration runs', async () => {
      const groups = async () => count('SELECT count(*) AS n FROM usage_daily_endpoints WHERE requests > 0');
      const before = await groups();
      expect(before).toBeGreaterThan(0);
      const runner = metering.app.get(DataSource).createQueryRunner();
      try {
        await new UsageDailyEndpoints1764900000000().down(runner);
        await new UsageDailyEndpoints1764900000000().up(runner);
      } finally {
        await runner.release();
      }
      expect(await groups()).toBe(before);
      expect(await endpointAggregateDrift(db)).toEqual([]);
    });

    it('refuses a day outside the window (today, 31 days ago, not a day) and a malformed request with a 400', async () => {
      for (const date of [dayOf(0), dayOf(31), '2025-02-30', 'yesterday']) {
        expect(await activity({ accountId: 'acct-a', date })).toMatchObject({ status: 400 });
      }
      expect(await activity({ date: dayOf(1) })).toMatchObject({ status: 400 });
      expect(await activity({ accountId: 'acct-nobody' })).toEqual({ data: [] });
    });
  });

  describe('admin activity (from the aggregates)', () => {
    const inWindow = (event: GenerationCompleted) => event.createdAt.slice(0, 10) >= '2025-03-01' && event.createdAt.slice(0, 10) <= '2025-03-03';

    it('groups by model, provider, key and day with exact decimal sums', async () => {
      const byModel = await adminJson(metering.base, '/admin/activity?group_by=model&from=2025-03-01&to=2025-03-03');
      expect(byModel).toMatchObject({ group_by: 'model', from: '2025-03-01', to: '2025-03-03' });
      const models = [...new Set(events.map((event) => event.model))].sort();
      expect(byModel.data.map((row: { model: string }) => row.model)).toEqual(models);
      for (const row of byModel.data) {
        const matching = events.filter((event) => event.model === row.model && inWindow(event));
        expect(row).toMatchObject({
          requests: matching.length,
          cost: sumOf(matching, (event) => event.cost),
          upstream_cost: sumOf(matching, (event) => event.upstreamCost),
          prompt_tokens: matching.reduce((total, event) => total + event.usage.promptTokens, 0),
          byok_requests: matching.filter((event) => event.isByok).length,
          unpriced_requests: 0,
        });
      }

      const byProvider = await adminJson(metering.base, '/admin/activity?group_by=provider&from=2025-03-01&to=2025-03-03&account_id=acct-b');
      for (const row of byProvider.data) {
        const matching = events.filter((event) => event.providerSlug === row.provider && event.accountId === 'acct-b');
        expect(row.requests).toBe(matching.length);
        expect(row.cost).toBe(sumOf(matching, (event) => event.cost));
      }
      expect(byProvider.data.reduce((total: number, row: { requests: number }) => total + row.requests, 0)).toBe(events.filter((event) => event.accountId === 'acct-b').length);

      const byKey = await adminJson(metering.base, '/admin/activity?group_by=key&from=2025-03-01&to=2025-03-03&key_id=acct-a-key-1');
      const keyEvents = events.filter((event) => event.keyId === 'acct-a-key-1');
      expect(byKey.data).toEqual([expect.objectContaining({ account_id: 'acct-a', key_id: 'acct-a-key-1', requests: keyEvents.length, cost: sumOf(keyEvents, (event) => event.cost) })]);

      const byDay = await adminJson(metering.base, '/admin/activity?group_by=day&from=2025-03-02&to=2025-03-02');
      const dayEvents = events.filter((event) => event.createdAt.startsWith('2025-03-02'));
      expect(byDay.data).toEqual([expect.objectContaining({ date: '2025-03-02', requests: dayEvents.length, cost: sumOf(dayEvents, (event) => event.cost) })]);
    });

    it('rejects bad parameters with a 400 envelope and requires the admin token', async () => {
      for (const query of ['group_by=user', 'from=2025-02-30', 'from=2025-03-05&to=2025-03-01', 'groupby=day', 'from=2025-01-01&from=2025-01-02']) {
        const response = await adminGet(metering.base, `/admin/activity?${query}`);
        expect(response.status).toBe(400);
        expect(await response.json()).toMatchObject({ error: { code: 400, message: expect.stringMatching(/^Invalid query parameters/), metadata: { error_type: 'invalid_request' } } });
      }
      expect((await adminGet(metering.base, '/admin/activity', null)).status).toBe(401);
      expect((await adminGet(metering.base, '/admin/usage.csv?to=nope')).status).toBe(400);
    });
  });

  describe('CSV export', () => {
    it('streams the daily aggregates with a header row and exact cost sums', async () => {
      const response = await adminGet(metering.base, '/admin/usage.csv?from=2025-03-01&to=2025-03-03');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(response.headers.get('content-disposition')).toBe('attachment; filename="usage-2025-03-01-to-2025-03-03.csv"');
      const text = await response.text();
      expect(text.endsWith('\r\n')).toBe(true);
      const [header, ...rows] = parseCsv(text);
      expect(header).toEqual(['date', 'account_id', 'key_id', 'model', 'provider', 'requests', 'prompt_tokens', 'completion_tokens', 'reasoning_tokens', 'cached_tokens', 'cost', 'upstream_cost', 'byok_requests', 'byok_cost', 'unpriced_requests']);
      const groups = new Set(events.map((event) => `${event.createdAt.slice(0, 10)}|${event.accountId}|${event.keyId}|${event.model}|${event.providerSlug}`));
      expect(rows).toHaveLength(groups.size);
      expect(rows.reduce((total, row) => total + Number(row[5]), 0)).toBe(1000);
      expect(sumMoney(rows.map((row) => row[10]!)).toString()).toBe(sumOf(events, (event) => event.cost));
      const order = rows.map((row) => row.slice(0, 5).join('|'));
      expect(order).toEqual([...order].sort());
    });

    it('filters by account and quotes fields per RFC 4180', async () => {
      const odd = generationEvent({ accountId: 'acct-csv', keyId: 'key,"quoted"', model: 'vendor/model, with "quotes"', createdAt: '2025-04-01T00:00:00Z' });
      await nats.publishGenerations([odd]);
      await waitFor(async () => (await count(`SELECT count(*) AS n FROM generations WHERE id = $1`, [odd.id])) === 1, { message: 'odd event stored' });
      const text = await (await adminGet(metering.base, '/admin/usage.csv?from=2025-04-01&to=2025-04-01&account_id=acct-csv')).text();
      expect(text).toContain('2025-04-01,acct-csv,"key,""quoted""","vendor/model, with ""quotes""",openai,1,');
      expect(parseCsv(text)[1]!.slice(0, 6)).toEqual(['2025-04-01', 'acct-csv', 'key,"quoted"', 'vendor/model, with "quotes"', 'openai', '1']);
    });
  });

  describe('admin generations', () => {
    it('pages through an account newest first with keyset pagination, every generation exactly once', async () => {
      const expected = events
        .filter((event) => event.accountId === 'acct-c')
        .sort((left, right) => Date.parse(right.createdAt) - Date.parse(left.createdAt) || (left.id < right.id ? 1 : -1))
        .map((event) => event.id);
      const seen: string[] = [];
      let before: string | null = null;
      do {
        const query: string = `/admin/generations?account_id=acct-c&limit=97${before ? `&before=${before}` : ''}`;
        const page = await adminJson(metering.base, query);
        seen.push(...page.data.map((row: { id: string }) => row.id));
        expect(page.data.every((row: { account_id: string }) => row.account_id === 'acct-c')).toBe(true);
        before = page.next_before;
      } while (before);
      expect(seen).toEqual(expected);
    });

    it('returns one generation with its opted-in content, and 404/400 for unknown ids and bad parameters', async () => {
      const withContent = generationEvent({ accountId: 'acct-content', content: { input: [{ role: 'user', content: 'What is 2+2?' }], output: '4' } });
      await nats.publishGenerations([withContent]);
      await waitFor(async () => (await adminGet(metering.base, `/admin/generations/${withContent.id}`)).status === 200, { message: 'content generation stored' });
      const { data } = await adminJson(metering.base, `/admin/generations/${withContent.id}`);
      expect(data).toMatchObject({ id: withContent.id, account_id: 'acct-content', has_content: true, cost: withContent.cost, content: { input: [{ role: 'user', content: 'What is 2+2?' }], output: '4' } });
      const plain = await adminJson(metering.base, `/admin/generations/${events[0]!.id}`);
      expect(plain.data).toMatchObject({ has_content: false, content: null, key_id: events[0]!.keyId, pricing: events[0]!.pricing });

      const missing = await adminGet(metering.base, `/admin/generations/${newGenerationId()}`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({ error: { code: 404, message: 'Generation not found' } });
      expect((await adminGet(metering.base, '/admin/generations?limit=0')).status).toBe(400);
      expect((await adminGet(metering.base, '/admin/generations?before=gen-nope')).status).toBe(400);
    });
  });

  describe('generation content RPC (GET /api/v1/generation/content)', () => {
    async function content(payload: unknown): Promise<unknown> {
      return metering.app.get(NatsService).request(subjects.metering.generationContent, payload).catch((error: unknown) => error);
    }

    it("returns the stored prompt and output of the account's own opted-in generation, and 404s that say why otherwise", async () => {
      const logged = generationEvent({ accountId: 'acct-logged', content: { input: [{ role: 'user', content: 'Keep this one' }], output: 'Kept.' } });
      const unlogged = generationEvent({ accountId: 'acct-logged' });
      await nats.publishGenerations([logged, unlogged]);
      await waitFor(async () => (await count(`SELECT count(*) AS n FROM generations WHERE account_id = 'acct-logged'`)) === 2, { timeoutMs: 15_000, message: 'both stored' });

      expect(await content({ id: logged.id, accountId: 'acct-logged' })).toEqual({ id: logged.id, input: [{ role: 'user', content: 'Keep this one' }], output: 'Kept.' });
      expect(await content({ id: unlogged.id, accountId: 'acct-logged' })).toMatchObject({ status: 404, message: expect.stringMatching(/opt in to prompt logging/) });
      // Another account's generation, content or not, is as unknown as an id that never existed.
      expect(await content({ id: logged.id, accountId: 'acct-someone-else' })).toMatchObject({ status: 404, message: 'Generation not found' });
      expect(await content({ id: newGenerationId(), accountId: 'acct-logged' })).toMatchObject({ status: 404, message: 'Generation not found' });
      expect(await content({ id: 7 })).toMatchObject({ status: 400, errorType: 'invalid_request' });
    });
  });

  describe('generation feedback RPC (POST /api/v1/generation/feedback)', () => {
    async function feedback(payload: unknown): Promise<unknown> {
      return metering.app.get(NatsService).request(subjects.metering.generationFeedback, payload).catch((error: unknown) => error);
    }

    it("records feedback on the account's own generation, shows it in the admin view, and 404s another account's", async () => {
      const event = events[11]!;
      expect(await feedback({ accountId: event.accountId, generationId: event.id, category: 'incorrect_response', comment: 'Repeated itself.' })).toEqual({ data: { success: true } });
      expect(await feedback({ accountId: event.accountId, generationId: event.id, category: 'latency' })).toEqual({ data: { success: true } });
      const { data } = await adminJson(metering.base, `/admin/generations/${event.id}`);
      expect(data.feedback).toEqual([
        { category: 'incorrect_response', comment: 'Repeated itself.', created_at: expect.any(String) },
        { category: 'latency', comment: null, created_at: expect.any(String) },
      ]);
      expect(await feedback({ accountId: 'acct-someone-else', generationId: event.id, category: 'other' })).toMatchObject({ status: 404, message: 'Generation not found' });
      expect(await feedback({ accountId: event.accountId, generationId: event.id, category: 'rude' })).toMatchObject({ status: 400 });
      expect(await count('SELECT count(*) AS n FROM generation_feedback')).toBe(2);
      // At most 20 entries per generation: one key cannot fill the table through one generation.
      for (let index = 2; index < 20; index++) expect(await feedback({ accountId: event.accountId, generationId: event.id, category: 'other' })).toEqual({ data: { success: true } });
      expect(await feedback({ accountId: event.accountId, generationId: event.id, category: 'other' })).toMatchObject({ status: 429 });
      expect(await count('SELECT count(*) AS n FROM generation_feedback')).toBe(20);
    });
  });
});
