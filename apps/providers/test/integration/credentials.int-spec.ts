import { subjects, type CredentialsChanged } from '@switchyard/contracts';
import { dropSchema, NatsService, ProviderAttemptClient } from '@switchyard/nest-kit';
import { TEST_DATABASE_URL, uniqueSchema, waitFor } from '@switchyard/nest-kit/testing';
import pg from 'pg';
import { CredentialsService } from '../../src/credentials/credentials.service.js';
import { admin, bootProviders, chatRequest, connectCaller, FakeCatalog, provider, Recorder, runAttempt, type ProvidersInstance } from './support/harness.js';
import { FakeUpstream } from './support/fake-upstream.js';

const schema = uniqueSchema('providers');

describe('provider credentials (real Postgres and NATS)', () => {
  let upstream: FakeUpstream;
  let caller: NatsService;
  let catalog: FakeCatalog;
  let first: ProvidersInstance;
  let second: ProvidersInstance;
  let client: ProviderAttemptClient;
  let changes: Recorder<CredentialsChanged>;
  let database: pg.Client;

  beforeAll(async () => {
    upstream = await new FakeUpstream().start();
    caller = await connectCaller();
    catalog = new FakeCatalog(caller, [provider('fake-openai', `${upstream.baseUrl}/v1`), provider('groq', `${upstream.baseUrl}/groq/v1`, { adapter: 'groq' }), provider('mistral', `${upstream.baseUrl}/mistral/v1`, { adapter: 'mistral' })]).start();
    changes = new Recorder(caller, subjects.providers.credentialsChanged);
    const env = { PROVIDER_API_KEY_FAKE_OPENAI: 'sk-env-openai-1111' };
    // Two replicas on the same schema: a change through one must reach the other.
    first = await bootProviders({ schema, env });
    second = await bootProviders({ schema, env });
    client = new ProviderAttemptClient(caller);
    database = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await database.connect();
  });

  afterAll(async () => {
    changes?.stop();
    catalog?.stop();
    await first?.close();
    await second?.close();
    await caller?.onApplicationShutdown();
    await upstream?.stop();
    await database?.end();
    await dropSchema(TEST_DATABASE_URL, schema);
  });

  const authorizationOf = (model: string) => upstream.callsFor(model).at(-1)?.headers.authorization;

  it('requires the admin token', async () => {
    const response = await fetch(`${first.base}/admin/credentials`);
    expect(response.status).toBe(401);
  });

  it('uses the platform key from the environment and lists it without the key', async () => {
    const run = await runAttempt(client, chatRequest({ provider: 'fake-openai', model: 'env-key' }));
    expect(run.outcome.ok).toBe(true);
    expect(authorizationOf('env-key')).toBe('Bearer sk-env-openai-1111');
    const response = await admin(first.base).get('/admin/credentials');
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toContain('sk-env-openai');
    expect(JSON.parse(text).data).toEqual([{ provider: 'fake-openai', scope: 'platform', accountId: null, source: 'env', last4: '1111', usable: true, problem: null, createdAt: null, updatedAt: null }]);
  });

  it('stores a platform key through the admin API (encrypted at rest), used by every replica at once', async () => {
    const response = await admin(first.base).post('/admin/credentials', { provider: 'groq', apiKey: 'gsk_platform_key_2222' });
    expect(response.status).toBe(201);
    expect(((await response.json()) as { data: unknown }).data).toMatchObject({ provider: 'groq', scope: 'platform', accountId: null, source: 'stored', last4: '2222', usable: true });

    const rows = await database.query(`SELECT provider, account_id, secret, last4 FROM "${schema}".credentials`);
    expect(rows.rows).toEqual([{ provider: 'groq', account_id: null, secret: expect.stringMatching(/^v1\.[0-9a-f]{8}\./), last4: '2222' }]);
    expect(rows.rows[0].secret).not.toContain('gsk_platform');

    await waitFor(() => second.app.get(CredentialsService).resolve('groq', { byok: false, accountId: 'a', simulator: false }).ok, { timeoutMs: 3_000, message: 'second replica sees the key' });
    for (let index = 0; index < 4; index++) {
      const run = await runAttempt(client, chatRequest({ provider: 'groq', model: `platform-${index}` }));
      expect(run.outcome.ok).toBe(true);
      expect(authorizationOf(`platform-${index}`)).toBe('Bearer gsk_platform_key_2222');
    }
  });

  it('a stored platform key wins over the environment; deleting it falls back to the environment', async () => {
    expect((await admin(first.base).post('/admin/credentials', { provider: 'fake-openai', apiKey: 'sk-stored-openai-3333' })).status).toBe(201);
    await waitFor(() => second.app.get(CredentialsService).list({ provider: 'fake-openai' }).some((entry) => entry.source === 'stored'), { timeoutMs: 3_000, message: 'replicated' });
    await runAttempt(client, chatRequest({ provider: 'fake-openai', model: 'stored-key' }));
    expect(authorizationOf('stored-key')).toBe('Bearer sk-stored-openai-3333');

    expect((await admin(first.base).delete('/admin/credentials/fake-openai')).status).toBe(204);
    await waitFor(() => !second.app.get(CredentialsService).list({ provider: 'fake-openai' }).some((entry) => entry.source === 'stored'), { timeoutMs: 3_000, message: 'replicated' });
    await runAttempt(client, chatRequest({ provider: 'fake-openai', model: 'after-delete' }));
    expect(authorizationOf('after-delete')).toBe('Bearer sk-env-openai-1111');
    expect((await admin(first.base).delete('/admin/credentials/fake-openai')).status).toBe(404);
  });

  it("routes BYOK attempts to the account's own key, announces the account's providers, and 401s without one", async () => {
    const missing = await runAttempt(client, chatRequest({ provider: 'mistral', model: 'byok-missing', byok: true, accountId: 'acct-byok' }));
    expect(missing.outcome).toMatchObject({ ok: false, contentSent: false, error: { status: 401, errorType: 'authentication', retryable: false } });
    expect(upstream.callsFor('byok-missing')).toHaveLength(0);

    expect((await admin(first.base).post('/admin/credentials', { provider: 'mistral', apiKey: 'mistral-own-key-4444', accountId: 'acct-byok' })).status).toBe(201);
    expect((await admin(first.base).post('/admin/credentials', { provider: 'groq', apiKey: 'gsk_own_key_5555', accountId: 'acct-byok' })).status).toBe(201);
    expect(await changes.find((message) => message.accountId === 'acct-byok' && message.providerSlugs.length === 2)).toMatchObject({ providerSlugs: ['groq', 'mistral'], at: expect.any(Number) });
    await waitFor(() => second.app.get(CredentialsService).accountProviders('acct-byok').length === 2, { timeoutMs: 3_000, message: 'replicated' });

    for (let index = 0; index < 3; index++) {
      const own = await runAttempt(client, chatRequest({ provider: 'groq', model: `byok-${index}`, byok: true, accountId: 'acct-byok' }));
      expect(own.outcome.ok).toBe(true);
      expect(authorizationOf(`byok-${index}`)).toBe('Bearer gsk_own_key_5555');
    }
    // Without byok the same account uses the platform key; another account's BYOK request has no key.
    await runAttempt(client, chatRequest({ provider: 'groq', model: 'not-byok', accountId: 'acct-byok' }));
    expect(authorizationOf('not-byok')).toBe('Bearer gsk_platform_key_2222');
    const stranger = await runAttempt(client, chatRequest({ provider: 'groq', model: 'stranger', byok: true, accountId: 'acct-other' }));
    expect(stranger.outcome).toMatchObject({ ok: false, error: { status: 401 } });

    const listed = (await (await admin(first.base).get('/admin/credentials?accountId=acct-byok')).json()) as { data: Array<{ provider: string; last4: string; scope: string }> };
    expect(listed.data.map((entry) => [entry.provider, entry.scope, entry.last4])).toEqual([
      ['groq', 'account', '5555'],
      ['mistral', 'account', '4444'],
    ]);

    const seen = changes.messages.length;
    expect((await admin(first.base).delete('/admin/credentials/mistral?accountId=acct-byok')).status).toBe(204);
    expect(await changes.find((message) => changes.messages.indexOf(message) >= seen && message.accountId === 'acct-byok')).toMatchObject({ providerSlugs: ['groq'] });
    await waitFor(() => second.app.get(CredentialsService).accountProviders('acct-byok').length === 1, { timeoutMs: 3_000, message: 'replicated' });
  });

  it("lets an account manage its own keys over the BYOK RPC (GET|POST /api/v1/byok, DELETE /api/v1/byok/{provider}): scoped to it, never echoed", async () => {
    const byok = (payload: Record<string, unknown>) => caller.request(subjects.providers.byok, payload).catch((error: unknown) => error);
    expect(await byok({ op: 'list', accountId: 'acct-self' })).toEqual({ data: [] });

    const stored = (await byok({ op: 'put', accountId: 'acct-self', body: { provider: 'mistral', api_key: 'mistral-self-key-7777' } })) as { data: Record<string, unknown> };
    expect(stored.data).toEqual({ provider: 'mistral', last4: '7777', usable: true, problem: null, created_at: expect.any(String), updated_at: expect.any(String) });
    expect(JSON.stringify(stored)).not.toContain('mistral-self-key');
    expect(await changes.find((message) => message.accountId === 'acct-self')).toMatchObject({ providerSlugs: ['mistral'] });
    // Used for the account's BYOK attempts, on the other replica too.
    await waitFor(() => second.app.get(CredentialsService).accountProviders('acct-self').length === 1, { timeoutMs: 3_000, message: 'replicated' });
    const own = await runAttempt(client, chatRequest({ provider: 'mistral', model: 'self-byok', byok: true, accountId: 'acct-self' }));
    expect(own.outcome.ok).toBe(true);
    expect(authorizationOf('self-byok')).toBe('Bearer mistral-self-key-7777');

    // Scoped: another account sees nothing and cannot delete it; platform keys are never listed.
    expect(await byok({ op: 'list', accountId: 'acct-stranger' })).toEqual({ data: [] });
    expect(await byok({ op: 'delete', accountId: 'acct-stranger', provider: 'mistral' })).toMatchObject({ status: 404 });
    expect(((await byok({ op: 'list', accountId: 'acct-self' })) as { data: Array<{ provider: string }> }).data.map((entry) => entry.provider)).toEqual(['mistral']);

    expect(await byok({ op: 'put', accountId: 'acct-self', body: { provider: 'nobody', api_key: 'k-0000' } })).toMatchObject({ status: 400, message: expect.stringContaining('Unknown provider nobody') });
    expect(await byok({ op: 'put', accountId: 'acct-self', body: { provider: 'mistral', api_key: 'has spaces' } })).toMatchObject({ status: 400, message: expect.stringContaining('api_key') });
    expect(await byok({ op: 'put', accountId: 'acct-self', body: { provider: 'mistral', apiKey: 'k' } })).toMatchObject({ status: 400 });
    expect(await byok({ op: 'launch', accountId: 'acct-self' })).toMatchObject({ status: 400 });

    expect(await byok({ op: 'delete', accountId: 'acct-self', provider: 'mistral' })).toEqual({ deleted: true });
    // Read-your-writes on whichever replica answers next (the other one's cache may not have heard of it yet).
    for (const replica of [first, second]) expect(await replica.app.get(CredentialsService).accountKeys('acct-self')).toEqual([]);
    expect(await byok({ op: 'list', accountId: 'acct-self' })).toEqual({ data: [] });
    expect(await byok({ op: 'delete', accountId: 'acct-self', provider: 'mistral' })).toMatchObject({ status: 404 });
  });

  it('rejects bad admin input with OpenRouter-shaped 400s', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ provider: 'groq' }, /apiKey/],
      [{ provider: 'Not A Slug', apiKey: 'k' }, /provider/],
      [{ provider: 'groq', apiKey: 'has space inside' }, /apiKey/],
      [{ provider: 'groq', apiKey: 'line\nbreak' }, /apiKey/],
      [{ provider: 'groq', apiKey: 'k', extra: true }, /extra|Unrecognized/i],
      [{ provider: 'unknown-provider', apiKey: 'k' }, /Unknown provider/],
    ];
    for (const [body, message] of cases) {
      const response = await admin(first.base).post('/admin/credentials', body);
      expect(response.status).toBe(400);
      const envelope = (await response.json()) as { error: { code: number; message: string; metadata: { error_type: string } } };
      expect(envelope.error).toMatchObject({ code: 400, metadata: { error_type: 'invalid_request' } });
      expect(envelope.error.message).toMatch(message);
    }
    const malformed = await fetch(`${first.base}/admin/credentials`, { method: 'POST', headers: { authorization: `Bearer ${'test-admin-token-0123456789'}`, 'content-type': 'application/json' }, body: '{"provider":' });
    expect(malformed.status).toBe(400);
    expect((await admin(first.base).delete('/admin/credentials/BAD_SLUG')).status).toBe(400);
  });

  it('detects a tampered stored key: reported as unusable, never used, attempts fail over', async () => {
    expect((await admin(first.base).post('/admin/credentials', { provider: 'mistral', apiKey: 'mistral-platform-6666' })).status).toBe(201);
    // Flip one character of the stored ciphertext, as an attacker with database access would.
    await database.query(
      `UPDATE "${schema}".credentials SET secret = left(secret, length(secret) - 3) || CASE WHEN substr(secret, length(secret) - 2, 1) = 'A' THEN 'B' ELSE 'A' END || right(secret, 2) WHERE provider = 'mistral' AND account_id IS NULL`,
    );
    const service = first.app.get(CredentialsService);
    await service.reloadAll();
    await second.app.get(CredentialsService).reloadAll();
    expect(service.list({ provider: 'mistral' }).find((entry) => entry.scope === 'platform')).toMatchObject({ usable: false, problem: expect.stringContaining('authentication tag mismatch') });
    const run = await runAttempt(client, chatRequest({ provider: 'mistral', model: 'tampered' }));
    expect(run.outcome).toMatchObject({ ok: false, error: { status: 502, errorType: 'provider_unavailable', retryable: true, message: expect.stringContaining('cannot be used') } });
    expect(upstream.callsFor('tampered')).toHaveLength(0);
  });

  it('answers the status RPC with credential status, in-flight attempts and the providers no request can call without its own key', async () => {
    const status = await caller.request<{ accepting: boolean; catalogVersion: number; credentials: Array<{ provider: string; accountId: string | null }>; inflight: unknown[]; uncredentialed: string[] }>(subjects.providers.status, { accountId: 'acct-byok' });
    expect(status).toMatchObject({ accepting: true, catalogVersion: 1, inflight: [] });
    // fake-openai has an environment key and groq a stored one (above); mistral's stored key was tampered with (unusable).
    expect(status.uncredentialed).toEqual(['mistral']);
    expect(status.credentials.map((entry) => entry.provider)).toEqual(['groq']);
    const error = await caller.request(subjects.providers.status, { accountId: 'has space' }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 400 });
  });
});
