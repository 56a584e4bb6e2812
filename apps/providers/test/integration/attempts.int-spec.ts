import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { providerFrameSchema, subjects, type AttemptCompleted, type AttemptUsage, type ProviderFrame } from '@switchyard/contracts';
import { checkStreamGrammar } from '@switchyard/llm-spec';
import { dropSchema, flushTelemetry, NatsService, ProviderAttemptClient, startTelemetry, withSpan } from '@switchyard/nest-kit';
import { freePort, TEST_DATABASE_URL, uniqueSchema, waitFor } from '@switchyard/nest-kit/testing';
import { createInbox } from '@nats-io/transport-node';
import { admin, bootProviders, chatRequest, connectCaller, FakeCatalog, provider, Recorder, runAttempt, type ProvidersInstance } from './support/harness.js';
import { FakeUpstream, hang, midStreamError, noFirstToken, openAiAnswer, openAiError, sleep, stallAfterFirstToken, toolCallStream, truncatedStream } from './support/fake-upstream.js';

// Spans are exported in memory so the trace test can look at them (before anything creates a span).
const spans = new InMemorySpanExporter();
startTelemetry({ serviceName: 'providers-test', exporter: spans });

const schema = uniqueSchema('providers');

describe('provider attempts (real NATS, fake upstream, through ProviderAttemptClient)', () => {
  let upstream: FakeUpstream;
  let otherUpstream: FakeUpstream;
  let caller: NatsService;
  let catalog: FakeCatalog;
  let providers: ProvidersInstance;
  let client: ProviderAttemptClient;
  let completed: Recorder<AttemptCompleted>;
  let usage: Recorder<AttemptUsage>;
  let deadPort: number;

  const catalogProviders = () => [
    provider('fake-openai', `${upstream.baseUrl}/v1`),
    provider('fake-anthropic', `${upstream.baseUrl}/v1`, { wireFormat: 'anthropic', adapter: undefined }),
    provider('dead', `http://127.0.0.1:${deadPort}/v1`),
    provider('nokey', `${upstream.baseUrl}/nokey/v1`),
    provider('simulator', `${upstream.baseUrl}/simulator/v1`, { adapter: 'simulator' }),
    provider('switched-off', `${upstream.baseUrl}/v1`, { status: 'disabled' }),
    provider('movable', `${upstream.baseUrl}/movable/v1`),
  ];

  beforeAll(async () => {
    upstream = await new FakeUpstream().start();
    otherUpstream = await new FakeUpstream().start();
    deadPort = await freePort();
    upstream
      .on('slow-stream', openAiAnswer(Array.from({ length: 60 }, (_, index) => `t${index} `), { delayMs: 50 }))
      .on('ticking', openAiAnswer(Array.from({ length: 25 }, (_, index) => `t${index} `), { delayMs: 25 }))
      .on('slow-headers', openAiAnswer(['late', ' but', ' fine'], { delayMs: 1_300 }))
      .on('rate-limited', openAiError(429, 'Rate limit reached for requests', { code: 'rate_limit_exceeded', headers: { 'retry-after': '2' } }))
      .on('server-error', openAiError(500, 'The server had an error while processing your request', { code: 'server_error' }))
      .on('bad-request', openAiError(400, "Invalid value for 'temperature'", { code: 'invalid_value' }))
      .on('hang', hang())
      .on('stall', stallAfterFirstToken())
      .on('no-first-token', noFirstToken())
      .on('midstream-error', midStreamError(['Partial', ' answer'], { message: 'Upstream overloaded', code: 'server_error' }))
      .on('midstream-error-early', midStreamError([], { message: 'Rate limit exceeded', code: 429 }))
      .on('truncated', truncatedStream(['Cut', ' off']))
      .on('tool-ok', toolCallStream('get_weather', ['{"city":', '"Paris"}']))
      .on('tool-broken', toolCallStream('get_weather', ['{"city":', '"Par']));
    caller = await connectCaller();
    catalog = new FakeCatalog(caller, catalogProviders()).start();
    completed = new Recorder(caller, subjects.providers.attemptCompleted);
    usage = new Recorder(caller, subjects.providers.attemptUsage);
    providers = await bootProviders({
      schema,
      env: { PROVIDER_API_KEY_FAKE_OPENAI: 'sk-fake-openai-0001', PROVIDER_API_KEY_FAKE_ANTHROPIC: 'sk-ant-fake-0002', PROVIDER_API_KEY_DEAD: 'dead-key-0003', PROVIDER_API_KEY_MOVABLE: 'movable-key-0004' },
    });
    client = new ProviderAttemptClient(caller);
  });

  afterAll(async () => {
    completed?.stop();
    usage?.stop();
    catalog?.stop();
    await providers?.close();
    await caller?.onApplicationShutdown();
    await upstream?.stop();
    await otherUpstream?.stop();
    await dropSchema(TEST_DATABASE_URL, schema);
  });

  it('answers a non-streaming request with one parts frame carrying end, usage and a well-formed stream', async () => {
    const request = chatRequest({ provider: 'fake-openai', model: 'plain' });
    const run = await runAttempt(client, request);
    expect(run.outcome).toEqual({ ok: true, end: { upstreamMs: expect.any(Number), ttftMs: expect.any(Number), upstreamStatus: 200 } });
    expect(run.batchTimes).toHaveLength(1);
    expect(checkStreamGrammar(run.parts)).toEqual([]);
    expect(run.text).toBe('Hello there!');
    expect(run.parts).toContainEqual({ type: 'usage', usage: expect.objectContaining({ promptTokens: 11, completionTokens: 3, totalTokens: 14 }) });
    expect(run.parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'stop' });
    const [call] = upstream.callsFor('plain');
    expect(call).toMatchObject({ path: '/v1/chat/completions', headers: expect.objectContaining({ authorization: 'Bearer sk-fake-openai-0001' }), body: expect.objectContaining({ model: 'plain', messages: [{ role: 'user', content: 'Say hello' }] }) });
  });

  it('streams parts as they come, with usage and end timings, and publishes attempt-completed and attempt-usage', async () => {
    const request = chatRequest({ provider: 'fake-openai', model: 'streamed', stream: true });
    const run = await runAttempt(client, request);
    expect(run.outcome).toMatchObject({ ok: true });
    if (!run.outcome.ok) return;
    expect(checkStreamGrammar(run.parts)).toEqual([]);
    expect(run.text).toBe('Hello there!');
    expect(run.parts.filter((part) => part.type === 'text-delta').length).toBeGreaterThanOrEqual(1);
    expect(run.parts.find((part) => part.type === 'usage')).toMatchObject({ usage: { promptTokens: 11, completionTokens: 3 } });
    expect(run.outcome.end.ttftMs).not.toBeNull();
    expect(run.outcome.end.ttftMs!).toBeLessThanOrEqual(run.outcome.end.upstreamMs);
    expect(upstream.callsFor('streamed')[0]!.headers.accept).toBe('text/event-stream');

    const event = await completed.find((message) => message.attemptId === request.attemptId);
    expect(event).toMatchObject({
      generationId: request.generationId,
      endpointId: request.endpoint.id,
      providerSlug: 'fake-openai',
      modelId: 'test/model',
      ok: true,
      status: 200,
      errorType: null,
      retryable: false,
      completionTokens: 3,
      usedTools: false,
      probe: false,
    });
    expect(event.ttftMs).toBeGreaterThanOrEqual(0);
    expect(event.durationMs).toBeGreaterThan(0);
    const recorded = await usage.find((message) => message.attemptId === request.attemptId);
    expect(recorded).toMatchObject({ generationId: request.generationId, accountId: 'acct-1', endpointId: request.endpoint.id, usage: { promptTokens: 11, completionTokens: 3, totalTokens: 14 } });
  });

  it('sends the first content part as soon as the upstream sends it (no batching delay)', async () => {
    const request = chatRequest({ provider: 'fake-openai', model: 'ticking', stream: true });
    const run = await runAttempt(client, request);
    expect(run.outcome.ok).toBe(true);
    expect(checkStreamGrammar(run.parts)).toEqual([]);
    // 25 tokens 25 ms apart arrive as separate frames as they come, not as one batch at the end.
    expect(run.batchTimes.length).toBeGreaterThan(15);
    expect(run.batchTimes.at(-1)! - run.batchTimes[0]!).toBeGreaterThan(400);
    expect(run.text).toBe(Array.from({ length: 25 }, (_, index) => `t${index} `).join(''));
  });

  it('speaks the Anthropic wire format, streaming and not', async () => {
    const streamed = await runAttempt(client, chatRequest({ provider: 'fake-anthropic', model: 'claude-test', stream: true }));
    expect(streamed.outcome.ok).toBe(true);
    expect(checkStreamGrammar(streamed.parts)).toEqual([]);
    expect(streamed.text).toBe('Hello from Claude');
    expect(streamed.parts.find((part) => part.type === 'usage')).toMatchObject({ usage: { promptTokens: 25, completionTokens: 15 } });
    const plain = await runAttempt(client, chatRequest({ provider: 'fake-anthropic', model: 'claude-test' }));
    expect(plain.text).toBe('Hello from Claude');
    const calls = upstream.callsFor('claude-test');
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({ path: '/v1/messages', headers: expect.objectContaining({ 'x-api-key': 'sk-ant-fake-0002', 'anthropic-version': '2023-06-01' }) });
  });

  it('turns a 429 with Retry-After into a retryable failure with retryAfterMs, reported to the health monitor', async () => {
    const request = chatRequest({ provider: 'fake-openai', model: 'rate-limited' });
    const run = await runAttempt(client, request);
    expect(run.outcome).toEqual({
      ok: false,
      contentSent: false,
      upstreamMs: expect.any(Number),
      ttftMs: null,
      error: expect.objectContaining({ status: 429, errorType: 'rate_limit_exceeded', retryable: true, retryAfterMs: 2_000, phase: 'status', message: 'Rate limit reached for requests' }),
    });
    expect(await completed.find((message) => message.attemptId === request.attemptId)).toMatchObject({ ok: false, status: 429, errorType: 'rate_limit_exceeded', retryable: true, retryAfterMs: 2_000 });
    await sleep(100);
    expect(usage.messages.find((message) => message.attemptId === request.attemptId)).toBeUndefined();
  });

  it('makes a 500 retryable and a 400 final', async () => {
    const server = await runAttempt(client, chatRequest({ provider: 'fake-openai', model: 'server-error' }));
    expect(server.outcome).toMatchObject({ ok: false, contentSent: false, error: { status: 500, errorType: 'server', retryable: true } });
    const bad = await runAttempt(client, chatRequest({ provider: 'fake-openai', model: 'bad-request' }));
    expect(bad.outcome).toMatchObject({ ok: false, contentSent: false, error: { status: 400, errorType: 'invalid_request', retryable: false, message: "Invalid value for 'temperature'" } });
  });

  it('reports a refused connection as a retryable 502 in the connect phase', async () => {
    const run = await runAttempt(client, chatRequest({ provider: 'dead', model: 'anything' }));
    expect(run.outcome).toMatchObject({ ok: false, contentSent: false, error: { status: 502, errorType: 'provider_unavailable', retryable: true, phase: 'connect', message: expect.stringContaining('ECONNREFUSED') } });
  });

  it('times out an upstream that sends no headers (connect phase) and closes its socket', async () => {
    const run = await runAttempt(client, chatRequest({ provider: 'fake-openai', model: 'hang', timeouts: { connectMs: 300 } }));
    expect(run.outcome).toMatchObject({ ok: false, contentSent: false, error: { status: 504, errorType: 'timeout', retryable: true, phase: 'connect' } });
    expect(run.elapsedMs).toBeGreaterThanOrEqual(290);
    expect(run.elapsedMs).toBeLessThan(1_500);
    expect(await upstream.closedCall('hang')).toMatchObject({ aborted: true });
  });

  it('times out a stream whose first token never comes (first-token phase)', async () => {
    const run = await runAttempt(client, chatRequest({ provider: 'fake-openai', model: 'no-first-token', stream: true, timeouts: { firstTokenMs: 400 } }));
    expect(run.outcome).toMatchObject({ ok: false, contentSent: false, error: { errorType: 'timeout', retryable: true, phase: 'first-token' } });
    expect(run.parts.filter((part) => part.type === 'text-delta')).toEqual([]);
  });

  it('times out a stream that stalls after its first token (idle phase) with contentSent', async () => {
    const run = await runAttempt(client, chatRequest({ provider: 'fake-openai', model: 'stall', stream: true, timeouts: { idleMs: 300 } }));
    expect(run.text).toBe('Once');
    expect(run.outcome).toMatchObject({ ok: false, contentSent: true, ttftMs: expect.any(Number), error: { status: 504, errorType: 'timeout', phase: 'idle' } });
    expect(await upstream.closedCall('stall')).toMatchObject({ aborted: true });
  });

  it('ends a stream that fails mid-way with the failure, contentSent telling whether failover is still possible', async () => {
    const late = await runAttempt(client, chatRequest({ provider: 'fake-openai', model: 'midstream-error', stream: true }));
    expect(late.text).toBe('Partial answer');
    expect(late.outcome).toMatchObject({ ok: false, contentSent: true, error: { status: 500, message: 'Upstream overloaded' } });
    expect(late.parts.some((part) => part.type === 'error')).toBe(false);

    const early = await runAttempt(client, chatRequest({ provider: 'fake-openai', model: 'midstream-error-early', stream: true }));
    expect(early.outcome).toMatchObject({ ok: false, contentSent: false, error: { status: 429, retryable: true } });

    const truncated = await runAttempt(client, chatRequest({ provider: 'fake-openai', model: 'truncated', stream: true }));
    expect(truncated.text).toBe('Cut off');
    expect(truncated.outcome).toMatchObject({ ok: false, contentSent: true, error: { status: 502, errorType: 'provider_unavailable', phase: 'body' } });
  });

  it('streams tool calls and tells the health monitor whether the tool-call round was sound', async () => {
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const good = chatRequest({ provider: 'fake-openai', model: 'tool-ok', stream: true, request: { tools } });
    const run = await runAttempt(client, good);
    expect(run.outcome.ok).toBe(true);
    expect(checkStreamGrammar(run.parts)).toEqual([]);
    expect(run.parts).toContainEqual({ type: 'tool-call-start', index: 0, id: 'call_fake_1', name: 'get_weather' });
    expect(run.parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'tool_calls' });
    expect(await completed.find((message) => message.attemptId === good.attemptId)).toMatchObject({ ok: true, usedTools: true, completionTokens: 9 });

    const broken = chatRequest({ provider: 'fake-openai', model: 'tool-broken', stream: true, request: { tools } });
    expect((await runAttempt(client, broken)).outcome.ok).toBe(true);
    expect(await completed.find((message) => message.attemptId === broken.attemptId)).toMatchObject({ ok: false, usedTools: true, status: 200, errorType: 'invalid_tool_call' });
  });

  it('stops the upstream request within 100 ms of a cancel from the caller, and lists the attempt in flight before', async () => {
    const controller = new AbortController();
    const request = chatRequest({ provider: 'fake-openai', model: 'slow-stream', stream: true });
    let abortedAt = 0;
    let inflight: unknown;
    const callsBefore = upstream.callsFor('slow-stream').length;
    const run = runAttempt(client, request, {
      signal: controller.signal,
      onParts: (parts) => {
        if (abortedAt === 0 && parts.some((part) => part.type === 'text-delta')) {
          void (async () => {
            inflight = await (await admin(providers.base).get('/admin/inflight')).json();
            abortedAt = performance.now();
            controller.abort();
          })();
        }
      },
    });
    const result = await run;
    expect(result.outcome).toMatchObject({ ok: false, error: { status: 499, phase: 'cancelled' } });
    expect(inflight).toMatchObject({ accepting: true, count: 1, data: [expect.objectContaining({ attemptId: request.attemptId, provider: 'fake-openai', stream: true, stage: 'streaming', contentSent: true })] });
    await waitFor(() => upstream.callsFor('slow-stream').length > callsBefore && upstream.callsFor('slow-stream')[callsBefore]!.closedAt !== undefined, { timeoutMs: 2_000, message: 'upstream socket closed' });
    const call = upstream.callsFor('slow-stream')[callsBefore]!;
    expect(call.aborted).toBe(true);
    expect(call.closedAt! - abortedAt).toBeLessThan(100);
    const event = await completed.find((message) => message.attemptId === request.attemptId);
    expect(event).toMatchObject({ ok: false, status: 499, errorType: 'cancelled', retryable: false });
    // A cancelled stream with content and no reported usage is reconciled with an estimate, marked as such.
    expect(await usage.find((message) => message.attemptId === request.attemptId)).toMatchObject({ usage: { estimated: true, completionTokens: expect.any(Number) } });
    await waitFor(async () => ((await (await admin(providers.base).get('/admin/inflight')).json()) as { count: number }).count === 0, { timeoutMs: 2_000, message: 'no attempt in flight' });
  });

  it('heartbeats while the upstream is slow, so a strict caller does not give up', async () => {
    const strict = new ProviderAttemptClient(caller, { livenessMs: 600 });
    const run = await runAttempt(strict, chatRequest({ provider: 'fake-openai', model: 'slow-headers', heartbeatMs: 150 }));
    expect(run.outcome.ok).toBe(true);
    expect(run.text).toBe('late but fine');

    // The frames themselves, on a raw inbox: heartbeats until the answer, then one parts frame with end.
    const frames: Array<{ frame: ProviderFrame; at: number }> = [];
    const inbox = createInbox();
    const subscription = caller.connection.subscribe(inbox, { callback: (_error, message) => {
        frames.push({ frame: providerFrameSchema.parse(JSON.parse(new TextDecoder().decode(message.data))), at: performance.now() });
      },
    });
    const started = performance.now();
    caller.connection.publish(subjects.providers.chat, JSON.stringify(chatRequest({ provider: 'fake-openai', model: 'slow-headers', heartbeatMs: 150 })), { reply: inbox });
    await waitFor(() => frames.some((entry) => entry.frame.k === 'parts'), { timeoutMs: 5_000, message: 'answer' });
    subscription.unsubscribe();
    const heartbeats = frames.filter((entry) => entry.frame.k === 'heartbeat');
    expect(heartbeats.length).toBeGreaterThanOrEqual(6);
    let previous = started;
    for (const entry of frames) {
      expect(entry.at - previous).toBeLessThan(500);
      previous = entry.at;
    }
    expect(frames.at(-1)!.frame).toMatchObject({ k: 'parts', end: { upstreamStatus: 200 } });
  });

  it('answers an invalid attempt request with a 400 failed frame', async () => {
    const inbox = createInbox();
    const reply = new Promise<ProviderFrame>((resolve) => {
      const subscription = caller.connection.subscribe(inbox, {
        callback: (_error, message) => {
          subscription.unsubscribe();
          resolve(providerFrameSchema.parse(JSON.parse(new TextDecoder().decode(message.data))));
        },
      });
    });
    caller.connection.publish(subjects.providers.chat, JSON.stringify({ attemptId: 'att-x', endpoint: { id: 'x' } }), { reply: inbox });
    expect(await reply).toMatchObject({ k: 'failed', contentSent: false, error: { status: 400, errorType: 'invalid_request', retryable: false } });
  });

  it('fails over from providers it cannot use (unknown, disabled, no credential) without calling anything', async () => {
    const before = upstream.calls.length;
    const unknown = await runAttempt(client, chatRequest({ provider: 'not-in-catalog', model: 'x' }));
    expect(unknown.outcome).toMatchObject({ ok: false, error: { status: 502, errorType: 'provider_unavailable', retryable: true } });
    const disabled = await runAttempt(client, chatRequest({ provider: 'switched-off', model: 'x' }));
    expect(disabled.outcome).toMatchObject({ ok: false, error: { status: 502, message: 'Provider switched-off is disabled' } });
    const noKey = await runAttempt(client, chatRequest({ provider: 'nokey', model: 'x' }));
    expect(noKey.outcome).toMatchObject({ ok: false, error: { status: 502, errorType: 'provider_unavailable', message: 'no credential configured for nokey' } });
    expect(upstream.calls.length).toBe(before);
  });

  it('uses "sim-key" for the simulator provider when no key is configured', async () => {
    const run = await runAttempt(client, chatRequest({ provider: 'simulator', model: 'sim-model' }));
    expect(run.outcome.ok).toBe(true);
    expect(upstream.callsFor('sim-model')[0]).toMatchObject({ path: '/simulator/v1/chat/completions', headers: expect.objectContaining({ authorization: 'Bearer sim-key' }) });
  });

  it('honours a provider base URL change from the catalog, and calls nothing but the configured origin', async () => {
    const first = await runAttempt(client, chatRequest({ provider: 'movable', model: 'moving' }));
    expect(first.outcome.ok).toBe(true);
    expect(upstream.callsFor('moving')).toHaveLength(1);
    expect(otherUpstream.calls).toHaveLength(0);

    const version = catalog.publish(catalogProviders().map((entry) => (entry.slug === 'movable' ? { ...entry, baseUrl: `${otherUpstream.baseUrl}/elsewhere/v1` } : entry)));
    await waitFor(() => providers.directory.version === version, { timeoutMs: 5_000, message: 'catalog version applied' });

    const second = await runAttempt(client, chatRequest({ provider: 'movable', model: 'moving' }));
    expect(second.outcome.ok).toBe(true);
    expect(upstream.callsFor('moving')).toHaveLength(1);
    expect(otherUpstream.calls).toHaveLength(1);
    expect(otherUpstream.calls[0]).toMatchObject({ path: '/elsewhere/v1/chat/completions', headers: expect.objectContaining({ authorization: 'Bearer movable-key-0004' }) });
  });

  it("continues the caller's trace: an attempt span and a child span for the upstream call", async () => {
    let traceId = '';
    await withSpan('test.ingress', async (span) => {
      traceId = span.spanContext().traceId;
      const run = await runAttempt(client, chatRequest({ provider: 'fake-openai', model: 'traced' }));
      expect(run.outcome.ok).toBe(true);
    });
    await waitFor(
      async () => {
        await flushTelemetry();
        return spans.getFinishedSpans().some((span) => span.name === 'upstream fake-openai POST' && span.spanContext().traceId === traceId);
      },
      { timeoutMs: 5_000, message: 'upstream span exported' },
    );
    const inTrace = spans.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
    const attempt = inTrace.find((span) => span.name === 'providers.attempt')!;
    const call = inTrace.find((span) => span.name === 'upstream fake-openai POST')!;
    expect(attempt).toBeDefined();
    expect(call.parentSpanContext?.spanId).toBe(attempt.spanContext().spanId);
    expect(call.attributes).toMatchObject({ 'http.response.status_code': 200, 'switchyard.provider': 'fake-openai', 'http.request.method': 'POST' });
    expect(attempt.attributes).toMatchObject({ 'switchyard.provider': 'fake-openai' });
  });

  it('serves metrics for attempts, upstream latency, time to first token and in-flight attempts', async () => {
    const body = await (await admin(providers.base).get('/metrics')).text();
    expect(body).toMatch(/switchyard_provider_attempts_total\{[^}]*provider="fake-openai"[^}]*outcome="ok"[^}]*\} \d+/);
    expect(body).toMatch(/switchyard_provider_attempts_total\{[^}]*outcome="rate_limit_exceeded"/);
    expect(body).toContain('switchyard_provider_upstream_duration_seconds_bucket');
    expect(body).toContain('switchyard_provider_ttft_seconds_bucket');
    expect(body).toContain('switchyard_provider_attempts_in_flight');
  });

  it('reports readiness of NATS, Postgres, the catalog cache, credentials and attempts', async () => {
    const report = (await (await admin(providers.base).get('/admin/health')).json()) as { status: string; checks: Record<string, unknown> };
    expect(report.status).toBe('ok');
    expect(Object.keys(report.checks)).toEqual(expect.arrayContaining(['nats', 'postgres', 'cache:catalog', 'credentials', 'attempts']));
  });
});
