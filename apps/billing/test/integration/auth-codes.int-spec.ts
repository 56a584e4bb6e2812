import { hashApiKey, keyInfoSchema, subjects } from '@switchyard/contracts';
import { createHash } from 'node:crypto';
import { ManualClock } from '../../src/common/clock.js';
import { BillingTestApp } from './billing-test-app.js';

const verifier = 'a-verifier-of-at-least-forty-three-characters_~.0123456789';
const s256 = (value: string) => createHash('sha256').update(value).digest('base64url');

describe('OAuth PKCE codes: create for an account, exchange once for a key (real NATS + Postgres)', () => {
  let billing: BillingTestApp;
  let clock: ManualClock;
  let accountId: string;
  const codes = (data: unknown) => billing.rpc(subjects.billing.authCodes, data);
  const create = (body: Record<string, unknown>) => codes({ op: 'create', accountId, body: { callback_url: 'http://localhost:3000/callback', ...body } });
  const exchange = (body: Record<string, unknown>) => codes({ op: 'exchange', body });

  beforeAll(async () => {
    clock = new ManualClock(Date.parse('2025-06-04T12:00:00Z'));
    billing = await BillingTestApp.start({ clock });
    accountId = (await billing.createAccount({ name: 'OAuth Inc' })).id;
  });

  afterAll(async () => {
    await billing?.destroy();
  });

  it('exchanges an S256 code with its verifier for a key of the account carrying the code’s label, limit and expiry, and stores only the code’s hash', async () => {
    const created = await create({ code_challenge: s256(verifier), code_challenge_method: 'S256', key_label: 'My app', limit: '2.5', usage_limit_type: 'monthly', expires_at: '2030-01-01T00:00:00Z' });
    expect(created.data).toEqual({ id: expect.stringMatching(/^sy-auth-[A-Za-z0-9_-]{32}$/), app_id: 0, created_at: '2025-06-04T12:00:00.000Z' });
    const stored = await billing.app.get((await import('typeorm')).DataSource).query(`SELECT * FROM auth_codes`);
    expect(JSON.stringify(stored)).not.toContain(created.data.id);

    const exchanged = await exchange({ code: created.data.id, code_verifier: verifier, code_challenge_method: 'S256' });
    expect(exchanged).toEqual({ key: expect.stringMatching(/^sk-sy-v1-[0-9a-f]{64}$/), user_id: accountId });
    const info = keyInfoSchema.parse(await billing.rpc(subjects.billing.keyInfo, { hash: hashApiKey(exchanged.key) }));
    expect(info).toMatchObject({ limit: 2.5, limit_reset: 'monthly', expires_at: '2030-01-01T00:00:00.000Z', is_management_key: false });
    const listed = await billing.rpc(subjects.billing.keys, { op: 'get', accountId, hash: hashApiKey(exchanged.key) });
    expect(listed.data).toMatchObject({ name: 'My app', limit: 2.5 });

    // Single use.
    await expect(exchange({ code: created.data.id, code_verifier: verifier })).rejects.toMatchObject({ status: 403, message: expect.stringMatching(/already used/) });
  });

  it('refuses a wrong or missing verifier (403) and then the code itself: no second try', async () => {
    const wrong = await create({ code_challenge: s256(verifier), code_challenge_method: 'S256' });
    await expect(exchange({ code: wrong.data.id, code_verifier: `${verifier}-not` })).rejects.toMatchObject({ status: 403, message: expect.stringMatching(/code_verifier/) });
    await expect(exchange({ code: wrong.data.id, code_verifier: verifier })).rejects.toMatchObject({ status: 403, message: expect.stringMatching(/already used/) });
    const missing = await create({ code_challenge: s256(verifier), code_challenge_method: 'S256' });
    await expect(exchange({ code: missing.data.id })).rejects.toMatchObject({ status: 403 });
    const otherMethod = await create({ code_challenge: s256(verifier), code_challenge_method: 'S256' });
    await expect(exchange({ code: otherMethod.data.id, code_verifier: verifier, code_challenge_method: 'plain' })).rejects.toMatchObject({ status: 403, message: expect.stringMatching(/S256/) });
  });

  it('takes a plain challenge (the default method) and a code without a challenge; names the key "OAuth key" without a label', async () => {
    const plain = await create({ code_challenge: verifier });
    const withPlain = await exchange({ code: plain.data.id, code_verifier: verifier });
    const withoutChallenge = await create({});
    const bare = await exchange({ code: withoutChallenge.data.id });
    for (const { key } of [withPlain, bare]) {
      const listed = await billing.rpc(subjects.billing.keys, { op: 'get', accountId, hash: hashApiKey(key) });
      expect(listed.data).toMatchObject({ name: 'OAuth key', limit: null, expires_at: null });
    }
  });

  it('lets a code expire after ten minutes', async () => {
    const code = await create({});
    clock.advance(10 * 60_000);
    await expect(exchange({ code: code.data.id })).rejects.toMatchObject({ status: 403, message: expect.stringMatching(/expired/) });
    const fresh = await create({});
    clock.advance(10 * 60_000 - 1);
    await expect(exchange({ code: fresh.data.id })).resolves.toMatchObject({ user_id: accountId });
    // Codes expired for more than their lifetime are deleted as new ones are created.
    const database = billing.app.get((await import('typeorm')).DataSource);
    const stale = async () => Number((await database.query(`SELECT count(*) AS n FROM auth_codes WHERE expires_at < $1`, [new Date(clock.now() - 10 * 60_000)]))[0].n);
    clock.advance(20 * 60_000);
    expect(await stale()).toBeGreaterThan(0);
    await create({});
    expect(await stale()).toBe(0);
  });

  it('keeps at most 100 codes of an account waiting (429 beyond), and takes new ones once some are used', async () => {
    const busy = (await billing.createAccount({ name: 'Busy app' })).id;
    const make = () => codes({ op: 'create', accountId: busy, body: { callback_url: 'https://app.example/cb' } });
    const made = [];
    for (let index = 0; index < 100; index++) made.push(await make());
    await expect(make()).rejects.toMatchObject({ status: 429, message: expect.stringMatching(/100 auth codes waiting/) });
    await exchange({ code: made[0].data.id });
    await expect(make()).resolves.toMatchObject({ data: { id: expect.stringMatching(/^sy-auth-/) } });
  });

  it('answers 400 for invalid bodies, 403 for a made-up code and 404 for an unknown account', async () => {
    for (const body of [
      { callback_url: 'not a url' },
      { callback_url: 'javascript:alert(1)' },
      { code_challenge: 'short' },
      { code_challenge_method: 'S256' },
      { code_challenge: s256(verifier), code_challenge_method: 'S512' },
      { limit: -1 },
      { usage_limit_type: 'hourly' },
      { expires_at: '2020-01-01T00:00:00Z' },
    ]) {
      await expect(create(body)).rejects.toMatchObject({ status: 400 });
    }
    await expect(codes({ op: 'create', accountId, body: {} })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/callback_url/) });
    await expect(exchange({})).rejects.toMatchObject({ status: 400 });
    await expect(exchange({ code: 'sy-auth-made-up' })).rejects.toMatchObject({ status: 403 });
    await expect(codes({ op: 'create', accountId: 'acct-nobody', body: { callback_url: 'https://app.example/cb' } })).rejects.toMatchObject({ status: 404 });
    await expect(codes({ op: 'steal' })).rejects.toMatchObject({ status: 400 });
  });
});
