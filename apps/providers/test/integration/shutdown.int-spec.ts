import { subjects, type AttemptCompleted } from '@switchyard/contracts';
import { checkStreamGrammar } from '@switchyard/llm-spec';
import { dropSchema, NatsService, ProviderAttemptClient } from '@switchyard/nest-kit';
import { TEST_DATABASE_URL, uniqueSchema, waitFor } from '@switchyard/nest-kit/testing';
import { bootProviders, chatRequest, connectCaller, FakeCatalog, provider, Recorder, runAttempt, type AttemptRun, type ProvidersInstance } from './support/harness.js';
import { FakeUpstream, openAiAnswer } from './support/fake-upstream.js';

const schema = uniqueSchema('providers');

describe('graceful shutdown with attempts in flight', () => {
  let upstream: FakeUpstream;
  let caller: NatsService;
  let catalog: FakeCatalog;
  let providers: ProvidersInstance;
  let completed: Recorder<AttemptCompleted>;

  beforeAll(async () => {
    upstream = await new FakeUpstream().start();
    upstream.on('short', openAiAnswer(Array.from({ length: 12 }, (_, index) => `s${index} `), { delayMs: 50 }));
    upstream.on('long', openAiAnswer(Array.from({ length: 200 }, (_, index) => `l${index} `), { delayMs: 50 }));
    caller = await connectCaller();
    catalog = new FakeCatalog(caller, [provider('fake-openai', `${upstream.baseUrl}/v1`)]).start();
    completed = new Recorder(caller, subjects.providers.attemptCompleted);
    providers = await bootProviders({ schema, env: { PROVIDER_API_KEY_FAKE_OPENAI: 'sk-fake', SHUTDOWN_DRAIN_MS: '1000' } });
  });

  afterAll(async () => {
    completed?.stop();
    catalog?.stop();
    await caller?.onApplicationShutdown();
    await upstream?.stop();
    await dropSchema(TEST_DATABASE_URL, schema);
  });

  it('stops taking attempts, lets short ones finish, and aborts the rest with a retryable failure after the drain deadline', async () => {
    const client = new ProviderAttemptClient(caller, { livenessMs: 1_500 });
    const shortRequest = chatRequest({ provider: 'fake-openai', model: 'short', stream: true });
    const longRequest = chatRequest({ provider: 'fake-openai', model: 'long', stream: true });
    let shortStarted = false;
    let longStarted = false;
    const shortRun = runAttempt(client, shortRequest, { onParts: () => (shortStarted = true) });
    const longRun = runAttempt(client, longRequest, { onParts: () => (longStarted = true) });
    await waitFor(() => shortStarted && longStarted, { timeoutMs: 3_000, message: 'both streams started' });

    const closing = providers.close();
    await waitFor(() => !providers.handler.accepting, { timeoutMs: 1_000, message: 'stopped accepting' });

    // A new attempt finds no replica: the caller's liveness check turns it into a retryable failure.
    const late = await runAttempt(client, chatRequest({ provider: 'fake-openai', model: 'late' }));
    expect(late.outcome).toMatchObject({ ok: false, contentSent: false, error: { status: 502, retryable: true, message: 'No providers replica answered the attempt in time' } });
    expect(upstream.callsFor('late')).toHaveLength(0);

    const [shortResult, longResult]: AttemptRun[] = await Promise.all([shortRun, longRun]);
    await closing;

    expect(shortResult.outcome.ok).toBe(true);
    expect(checkStreamGrammar(shortResult.parts)).toEqual([]);
    expect(shortResult.text).toBe(Array.from({ length: 12 }, (_, index) => `s${index} `).join(''));

    expect(longResult.outcome).toMatchObject({ ok: false, contentSent: true, error: { status: 502, errorType: 'provider_unavailable', retryable: true, phase: 'body', message: 'The providers replica running this attempt is shutting down' } });
    expect(longResult.text.length).toBeGreaterThan(0);
    expect(longResult.elapsedMs).toBeGreaterThan(1_000);
    expect(longResult.elapsedMs).toBeLessThan(4_000);
    expect(await upstream.closedCall('long')).toMatchObject({ aborted: true });

    // Both outcomes reached the health monitor before the connection closed.
    expect(await completed.find((message) => message.attemptId === shortRequest.attemptId)).toMatchObject({ ok: true });
    expect(await completed.find((message) => message.attemptId === longRequest.attemptId)).toMatchObject({ ok: false, retryable: true });
  });
});
