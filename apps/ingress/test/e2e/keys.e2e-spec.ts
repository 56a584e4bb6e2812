import { jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import { Decimal, formatMoney, roundMoney, toDecimal } from '@switchyard/money';
import { TEST_ADMIN_TOKEN, waitFor } from '@switchyard/nest-kit/testing';
import { Admin, chat, client, debits, SIMULATOR_PRICES, sum } from './money-support/harness.js';
import { Stack, type IngressReplica } from './stack.js';

jest.setTimeout(150_000);

const FREE_MODEL = 'meta-llama/llama-3.3-70b-instruct:free';

/** Plain HTTP against the public API, keeping status, headers and the JSON body. */
async function call(baseUrl: string, key: string, method: string, route: string, body?: unknown): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(`${baseUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

function completion(baseUrl: string, key: string, model: string, content = 'Hello there'): ReturnType<typeof call> {
  return call(baseUrl, key, 'POST', '/chat/completions', { model, messages: [{ role: 'user', content }] });
}

/**
 * Keys, limits and the account rules users pay by, through the public API with the official clients' shapes:
 * OpenRouter's key management API on a management key, key changes on every replica within a second, key limits
 * under concurrency, the `:free` quota, the prompt-logging discount, BYOK fees beyond the allowance, and what is
 * never charged.
 */
describe('keys, limits and account rules', () => {
  const stack = new Stack({
    readyTimeoutMs: 90_000,
    env: {
      billing: { FREE_REQUESTS_PER_MINUTE: '4', FREE_REQUESTS_PER_DAY: '3', FREE_REQUESTS_PER_DAY_PAID: '9', FREE_QUOTA_FLUSH_MS: '100', BYOK_MONTHLY_ALLOWANCE_REQUESTS: '2' },
    },
  });
  let admin: Admin;
  let second: IngressReplica;
  let replicas: string[];

  beforeAll(async () => {
    try {
      await stack.start();
      second = await stack.startIngressReplica();
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${stack.logs()}`);
    }
    admin = new Admin(stack);
    replicas = [stack.baseUrl, second.baseUrl];
  }, 150_000);

  afterAll(async () => {
    await stack.stop();
  });

  /** Every replica answers `probe` as expected within a second (key changes reach every replica that fast). */
  async function everyReplicaWithinASecond(key: string, expectedStatus: number): Promise<number> {
    const started = Date.now();
    await waitFor(async () => {
      const statuses = await Promise.all(replicas.map(async (baseUrl) => (await call(baseUrl, key, 'GET', '/key')).status));
      return statuses.every((status) => status === expectedStatus);
    }, { timeoutMs: 1_000, intervalMs: 20, message: `every replica answers ${expectedStatus}` });
    return Date.now() - started;
  }

  it('manages keys through /api/v1/keys with a management key: create with a daily limit, use, /key usage and limit_remaining, disable (401 on every replica within 1 s), delete; /credits', async () => {
    const accountId = await admin.createAccount('key-api', { topUp: '20', method: 'card' });
    const management = (await admin.createKey(accountId, { name: 'ops', kind: 'management' })).key;
    const inference = (await admin.createKey(accountId, { name: 'app' })).key;
    await waitFor(async () => (await call(second.baseUrl, management, 'GET', '/keys')).status === 200, { message: 'management key known on every replica' });

    expect((await call(stack.baseUrl, inference, 'GET', '/keys')).status).toBe(403);
    expect((await call(stack.baseUrl, management, 'POST', '/chat/completions', { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] })).status).toBe(403);
    expect((await call(stack.baseUrl, management, 'POST', '/keys', { name: 'bad', limit: -1 })).status).toBe(400);
    expect((await call(stack.baseUrl, management, 'POST', '/keys', { name: 'bad', expires_at: '2099-01-01T00:00:00+02:00' })).status).toBe(400);

    const created = await call(stack.baseUrl, management, 'POST', '/keys', { name: 'limited', limit: 0.01, limit_reset: 'daily' });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^sk-sy-v1-/);
    expect(created.body.data).toMatchObject({ name: 'limited', limit: 0.01, limit_remaining: 0.01, limit_reset: 'daily', disabled: false, usage: 0 });
    const { hash } = created.body.data as { hash: string };
    const key = created.body.key as string;
    expect((await call(second.baseUrl, management, 'GET', '/keys')).body.data.map((entry: { hash: string }) => entry.hash)).toContain(hash);
    expect((await call(second.baseUrl, management, 'GET', `/keys/${hash}`)).body.data).toMatchObject({ hash, name: 'limited' });

    // Use it on both replicas; /key converges on exactly what the responses said they cost.
    await everyReplicaWithinASecond(key, 200);
    const outcomes = await Promise.all(replicas.map((baseUrl) => chat(client(baseUrl, key), { model: 'openai/gpt-4o-mini', max_tokens: 16 })));
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    const spent = sum(outcomes.map((outcome) => outcome.cost));
    const info = await waitFor(async () => {
      const response = await call(second.baseUrl, key, 'GET', '/key');
      return formatMoney(String(response.body.data.usage)) === formatMoney(spent) ? response.body.data : undefined;
    }, { timeoutMs: 15_000, message: `/key usage reaches ${formatMoney(spent)}` });
    expect(info).toMatchObject({ limit: 0.01, limit_reset: 'daily', is_management_key: false });
    expect(formatMoney(String(info.usage_daily))).toBe(formatMoney(spent));
    expect(formatMoney(String(info.limit_remaining))).toBe(formatMoney(new Decimal('0.01').minus(spent)));
    const listed = (await call(stack.baseUrl, management, 'GET', `/keys/${hash}`)).body.data;
    expect(formatMoney(String(listed.usage))).toBe(formatMoney(spent));

    const credits = (await call(stack.baseUrl, management, 'GET', '/credits')).body.data;
    expect(credits.total_credits).toBe(20);
    expect(formatMoney(String(credits.total_usage))).toBe(formatMoney(spent));

    // Disable: every replica refuses the key within a second; enable: back within a second.
    expect((await call(stack.baseUrl, management, 'PATCH', `/keys/${hash}`, { disabled: true })).body.data).toMatchObject({ disabled: true });
    expect(await everyReplicaWithinASecond(key, 401)).toBeLessThan(1_000);
    const refused = await completion(second.baseUrl, key, 'openai/gpt-4o-mini');
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toMatch(/disabled/i);
    await call(stack.baseUrl, management, 'PATCH', `/keys/${hash}`, { disabled: false });
    await everyReplicaWithinASecond(key, 200);

    expect((await call(second.baseUrl, management, 'DELETE', `/keys/${hash}`)).body).toMatchObject({ deleted: true });
    await everyReplicaWithinASecond(key, 401);
    expect((await call(stack.baseUrl, management, 'GET', `/keys/${hash}`)).status).toBe(404);
  });

  it('a key works on every replica the moment its creation returns (no waiting for keys-changed); a made-up key is still 401', async () => {
    const accountId = await admin.createAccount('key-at-once', { topUp: '5' });
    const management = (await admin.createKey(accountId, { name: 'ops', kind: 'management' })).key;
    await waitFor(async () => (await call(second.baseUrl, management, 'GET', '/keys')).status === 200, { message: 'management key known on every replica' });
    for (let index = 0; index < 10; index++) {
      // Created through one replica's management API, used at once on the other, then on the first.
      const created = await call(stack.baseUrl, management, 'POST', '/keys', { name: `at-once-${index}` });
      expect(created.status).toBe(201);
      const key = created.body.key as string;
      expect([(await call(second.baseUrl, key, 'GET', '/key')).status, (await completion(stack.baseUrl, key, 'openai/gpt-4o-mini')).status]).toEqual([200, 200]);
      // Created through billing's admin API, used at once on both replicas.
      const direct = (await admin.createKey(accountId, { name: `direct-${index}` })).key;
      expect(await Promise.all(replicas.map(async (baseUrl) => (await completion(baseUrl, direct, 'openai/gpt-4o-mini')).status))).toEqual([200, 200]);
    }
    const madeUp = await completion(second.baseUrl, `sk-sy-v1-${'0'.repeat(64)}`, 'openai/gpt-4o-mini');
    expect(madeUp.status).toBe(401);
    expect(madeUp.body.error).toMatchObject({ code: 401, message: 'Invalid API key' });
  });

  it('OAuth PKCE: a key creates a code, an app exchanges it once with its S256 verifier (on the other replica) for a key that works at once with the openai SDK', async () => {
    const accountId = await admin.createAccount('oauth-app', { topUp: '1' });
    const userKey = (await admin.createKey(accountId, { name: 'user' })).key;
    await waitFor(async () => (await call(stack.baseUrl, userKey, 'GET', '/key')).status === 200, { message: 'user key known' });
    const verifier = 'e2e-verifier-0123456789-abcdefghijklmnopqrstuvwxyz';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    expect((await call(stack.baseUrl, 'sk-sy-v1-nobody', 'POST', '/auth/keys/code', { callback_url: 'http://localhost:3000/cb' })).status).toBe(401);
    const code = await call(stack.baseUrl, userKey, 'POST', '/auth/keys/code', { callback_url: 'http://localhost:3000/cb', code_challenge: challenge, code_challenge_method: 'S256', key_label: 'Some app', limit: 0.5 });
    expect(code.status).toBe(200);
    expect(code.body.data).toMatchObject({ id: expect.stringMatching(/^sy-auth-/), app_id: 0, created_at: expect.any(String) });

    // The exchange needs no key: the code and its verifier are the credential.
    const exchange = (body: unknown) => fetch(`${second.baseUrl}/auth/keys`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const exchanged = await exchange({ code: code.body.data.id, code_verifier: verifier, code_challenge_method: 'S256' });
    expect(exchanged.status).toBe(200);
    const { key, user_id: userId } = (await exchanged.json()) as { key: string; user_id: string };
    expect(userId).toBe(accountId);
    const answer = await chat(client(stack.baseUrl, key), { model: 'openai/gpt-4o-mini', content: 'Signed in through OAuth' });
    expect(answer.ok).toBe(true);
    expect((await call(second.baseUrl, key, 'GET', '/key')).body.data).toMatchObject({ limit: 0.5, is_management_key: false });

    const again = await exchange({ code: code.body.data.id, code_verifier: verifier });
    expect(again.status).toBe(403);
    expect(await again.json()).toMatchObject({ error: { code: 403, message: expect.stringMatching(/Invalid code/) } });
    expect((await exchange({ code_verifier: verifier })).status).toBe(400);
  });

  it('stops a runaway agent: a key past its max_spend_per_hour is refused on every replica with the reason, until re-enabled', async () => {
    const accountId = await admin.createAccount('runaway', { topUp: '5' });
    const management = (await admin.createKey(accountId, { name: 'ops', kind: 'management' })).key;
    await waitFor(async () => (await call(stack.baseUrl, management, 'GET', '/keys')).status === 200, { message: 'management key known' });
    const created = await call(stack.baseUrl, management, 'POST', '/keys', { name: 'agent', max_spend_per_hour: 0.001 });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ max_spend_per_hour: 0.001, disabled: false, disabled_reason: null });
    const agent = created.body.key as string;
    await waitFor(async () => (await call(stack.baseUrl, agent, 'GET', '/key')).status === 200, { message: 'agent key known' });
    expect((await call(stack.baseUrl, agent, 'GET', '/key')).body.data).toMatchObject({ max_spend_per_hour: 0.001 });

    // An agent loop: one request every 50 ms until the gateway refuses it.
    let refused: Awaited<ReturnType<typeof call>> | undefined;
    let served = 0;
    const deadline = Date.now() + 20_000;
    while (!refused && Date.now() < deadline) {
      const answer = await completion(replicas[served % 2]!, agent, 'anthropic/claude-haiku-4.5', 'Keep going, forever');
      if (answer.status === 200) served += 1;
      else refused = answer;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(refused?.status).toBe(401);
    expect(refused?.body.error.message).toMatch(/^This API key is disabled: runaway stop: it spent \$[0-9.]+ in the last hour, more than its max_spend_per_hour of \$0\.001/);
    expect(served).toBeGreaterThanOrEqual(2);
    expect((await completion(replicas[served % 2 === 0 ? 1 : 0]!, agent, 'openai/gpt-4o-mini')).status).toBe(401);
    const stopped = await call(stack.baseUrl, management, 'GET', `/keys/${created.body.data.hash}`);
    expect(stopped.body.data).toMatchObject({ disabled: true, disabled_reason: expect.stringMatching(/^runaway stop/) });

    // The owner raises the stop and re-enables the key: it works again at once.
    const reenabled = await call(stack.baseUrl, management, 'PATCH', `/keys/${created.body.data.hash}`, { disabled: false, max_spend_per_hour: 1 });
    expect(reenabled.body.data).toMatchObject({ disabled: false, disabled_reason: null, max_spend_per_hour: 1 });
    await waitFor(async () => (await completion(second.baseUrl, agent, 'openai/gpt-4o-mini')).status === 200, { timeoutMs: 3_000, message: 'the key serves again' });
  });

  it("caps each end user's spend on a key (user_limit): a user past it is a 402 on every replica, others and unnamed requests go on", async () => {
    const accountId = await admin.createAccount('per-user', { topUp: '5' });
    const management = (await admin.createKey(accountId, { name: 'ops', kind: 'management' })).key;
    await waitFor(async () => (await call(stack.baseUrl, management, 'GET', '/keys')).status === 200, { message: 'management key known' });
    const created = await call(stack.baseUrl, management, 'POST', '/keys', { name: 'saas', user_limit: 0.000001, user_limit_reset: 'daily' });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ user_limit: 0.000001, user_limit_reset: 'daily' });
    const key = created.body.key as string;
    await waitFor(async () => (await call(stack.baseUrl, key, 'GET', '/key')).status === 200, { message: 'the key known' });
    expect((await call(stack.baseUrl, key, 'GET', '/key')).body.data).toMatchObject({ user_limit: 0.000001, user_limit_reset: 'daily' });
    const sdk = client(stack.baseUrl, key);
    const ask = (user?: string, on = sdk) => on.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }], ...(user ? { user } : {}) });

    // Alice's first request costs more than her limit: once billing has debited it, she is refused on every replica.
    expect((await ask('alice')).choices[0]?.message.content).toBeTruthy();
    const refusal = await waitFor(async () => {
      try {
        await ask('alice');
        return undefined;
      } catch (error) {
        return error as { status: number; error: { message: string; metadata: Record<string, unknown> } };
      }
    }, { timeoutMs: 10_000, message: 'alice refused' });
    expect(refusal.status).toBe(402);
    expect(refusal.error.message).toMatch(/^This user has reached its spend limit on this API key \(\$0\.000001 per day\); it resets at \d{4}-\d{2}-\d{2}T00:00:00\.000Z$/);
    expect(refusal.error.metadata).toMatchObject({ user: 'alice', user_limit: '0.000001', user_limit_reset: 'daily' });
    await expect(ask('alice', client(second.baseUrl, key))).rejects.toMatchObject({ status: 402 });
    // Embeddings (a unary route) name the user too.
    await expect(sdk.embeddings.create({ model: 'openai/text-embedding-3-small', input: 'hello', user: 'alice' })).rejects.toMatchObject({ status: 402 });
    // The Anthropic route names the user in metadata.user_id.
    expect((await call(second.baseUrl, key, 'POST', '/messages', { model: 'anthropic/claude-haiku-4.5', max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }], metadata: { user_id: 'alice' } })).status).toBe(402);
    // Bob has his own budget; a request naming nobody is not limited per user.
    expect((await ask('bob')).choices).toHaveLength(1);
    expect((await ask()).choices).toHaveLength(1);
    // The owner sees the key's users by spend this window (bob's debit may still be on its way).
    const users = await call(stack.baseUrl, management, 'GET', `/keys/${created.body.data.hash}/users`);
    expect(users.status).toBe(200);
    expect(users.body).toMatchObject({ user_limit: 0.000001, user_limit_reset: 'daily', window_end: expect.stringMatching(/T00:00:00\.000Z$/) });
    expect(users.body.data).toContainEqual({ user: 'alice', usage: expect.any(Number), limit_remaining: expect.any(Number), limited: true });
    expect((await call(stack.baseUrl, key, 'GET', `/keys/${created.body.data.hash}/users`)).status).toBe(403); // an inference key cannot manage keys

    // The owner removes the limit: alice is served again, on every replica.
    expect((await call(stack.baseUrl, management, 'PATCH', `/keys/${created.body.data.hash}`, { user_limit: null })).body.data).toMatchObject({ user_limit: null });
    for (const baseUrl of replicas) {
      await waitFor(async () => (await call(baseUrl, key, 'POST', '/chat/completions', { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'Again' }], user: 'alice' })).status === 200, { timeoutMs: 5_000, message: 'alice served again' });
    }
  });

  it('spend alerts through /api/v1/alerts: the owner sets thresholds with a management key, spends past them, and reads the alerts raised', async () => {
    const accountId = await admin.createAccount('alerted', { topUp: '1' });
    const management = (await admin.createKey(accountId, { name: 'ops', kind: 'management' })).key;
    const worker = (await admin.createKey(accountId, { name: 'worker' })).key;
    await waitFor(async () => (await call(stack.baseUrl, management, 'GET', '/alerts')).status === 200, { message: 'management key known' });
    expect((await call(stack.baseUrl, management, 'GET', '/alerts')).body.data).toEqual({ balance_below: null, daily_spend_above: null, recent: [] });
    expect((await call(stack.baseUrl, worker, 'GET', '/alerts')).status).toBe(403); // inference keys cannot see or change them
    expect((await call(stack.baseUrl, management, 'PATCH', '/alerts', { balance_below: 'soon' })).status).toBe(400);
    const set = await call(second.baseUrl, management, 'PATCH', '/alerts', { balance_below: '0.999999', daily_spend_above: 0 });
    expect(set.status).toBe(200);
    expect(set.body.data).toEqual({ balance_below: '0.999999', daily_spend_above: '0', recent: [] });

    expect((await completion(stack.baseUrl, worker, 'openai/gpt-4o-mini', 'Spend a little')).status).toBe(200);
    const raised = await waitFor(
      async () => {
        const read = (await call(stack.baseUrl, management, 'GET', '/alerts')).body.data as { recent: Array<{ kind: string; threshold: string }> };
        return read.recent.length === 2 ? read : undefined;
      },
      { timeoutMs: 10_000, message: 'both alerts raised by the debit' },
    );
    expect(raised.recent.map((alert) => [alert.kind, alert.threshold]).sort()).toEqual([
      ['daily_spend', '0'],
      ['low_balance', '0.999999'],
    ]);
  });

  it('activity through /api/v1/activity: management keys only, the last 30 completed UTC days (today not yet), one day by ?date, 400 outside', async () => {
    const accountId = await admin.createAccount('active', { topUp: '1' });
    const management = (await admin.createKey(accountId, { name: 'ops', kind: 'management' })).key;
    const worker = (await admin.createKey(accountId, { name: 'worker' })).key;
    await waitFor(async () => (await call(stack.baseUrl, management, 'GET', '/activity')).status === 200, { message: 'management key known' });
    expect((await completion(stack.baseUrl, worker, 'openai/gpt-4o-mini', 'Be active')).status).toBe(200);
    // Today's generation is not in a completed day yet.
    expect((await call(second.baseUrl, management, 'GET', '/activity')).body).toEqual({ data: [] });
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    expect((await call(stack.baseUrl, management, 'GET', `/activity?date=${yesterday}`)).body).toEqual({ data: [] });
    const today = new Date().toISOString().slice(0, 10);
    const refused = await call(stack.baseUrl, management, 'GET', `/activity?date=${today}`);
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('last 30 completed UTC days');
    expect((await call(stack.baseUrl, management, 'GET', '/activity?date=soon')).status).toBe(400);
    expect((await call(stack.baseUrl, worker, 'GET', '/activity')).status).toBe(403);
  });

  it('presets through /api/v1/presets: a management key makes one from a chat body, every key of the account uses it as @preset/<slug> on every replica, a new version applies at once, another account cannot', async () => {
    const accountId = await admin.createAccount('preset-owner', { topUp: '5' });
    const management = (await admin.createKey(accountId, { name: 'ops', kind: 'management' })).key;
    const inference = (await admin.createKey(accountId, { name: 'app' })).key;
    await waitFor(async () => (await call(second.baseUrl, inference, 'GET', '/key')).status === 200 && (await call(second.baseUrl, management, 'GET', '/key')).status === 200, { message: 'keys on every replica' });
    const systemPrompt = 'You are the support bot of Acme. Answer in one short sentence, politely, and never mention competitors.';

    // Only a management key makes presets.
    expect((await call(stack.baseUrl, inference, 'POST', '/presets/support-bot/chat/completions', { model: 'openai/gpt-4o-mini' })).status).toBe(403);
    const created = await call(stack.baseUrl, management, 'POST', '/presets/support-bot/chat/completions', {
      name: 'Support bot',
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'system', content: systemPrompt }],
      max_completion_tokens: 3,
    });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ slug: 'support-bot', version: 1, name: 'Support bot', system_prompt: systemPrompt, config: { model: 'openai/gpt-4o-mini', max_tokens: 3 } });
    expect((await call(second.baseUrl, inference, 'GET', '/presets')).body.data).toEqual([expect.objectContaining({ slug: 'support-bot', version: 1 })]);

    // The openai SDK names it as the model, on either replica: the preset's model, system prompt and max_tokens apply.
    const question = [{ role: 'user' as const, content: 'Where is my order?' }];
    const plain = await client(stack.baseUrl, inference).chat.completions.create({ model: 'openai/gpt-4o-mini', messages: question });
    for (const baseUrl of replicas) {
      const viaPreset = await client(baseUrl, inference).chat.completions.create({ model: '@preset/support-bot', messages: question });
      expect(viaPreset.model).toBe('openai/gpt-4o-mini');
      expect(viaPreset.usage?.completion_tokens).toBe(3);
      expect(viaPreset.choices[0]?.finish_reason).toBe('length');
      expect(viaPreset.usage!.prompt_tokens).toBeGreaterThan(plain.usage!.prompt_tokens + 10);
      // /generation names the preset.
      const recorded = await waitFor(async () => {
        const response = await call(baseUrl, inference, 'GET', `/generation?id=${viaPreset.id}`);
        return response.status === 200 ? response.body.data : undefined;
      }, { timeoutMs: 15_000, message: 'the preset generation recorded' });
      expect(recorded).toMatchObject({ preset_id: 'support-bot', model: 'openai/gpt-4o-mini' });
    }
    // A model named with it wins over the preset's; the request's own fields win over the preset's.
    const named = await client(second.baseUrl, inference).chat.completions.create({ model: 'openai/gpt-4.1-nano@preset/support-bot', messages: question, max_tokens: 5 });
    expect(named.model).toBe('openai/gpt-4.1-nano');
    expect(named.usage?.completion_tokens).toBe(5);

    // A new version applies on every replica the moment it is made (each replica had version 1 in memory).
    const changed = await call(second.baseUrl, management, 'POST', '/presets/support-bot/chat/completions', { model: 'openai/gpt-4.1-nano', max_tokens: 2 });
    expect(changed.body.data).toMatchObject({ version: 2, system_prompt: null });
    for (const baseUrl of replicas) {
      const latest = await client(baseUrl, inference).chat.completions.create({ model: '@preset/support-bot', messages: question });
      expect([latest.model, latest.usage?.completion_tokens]).toEqual(['openai/gpt-4.1-nano', 2]);
    }
    expect((await call(stack.baseUrl, inference, 'GET', '/presets/support-bot/versions')).body.data.map((version: { version: number }) => version.version)).toEqual([2, 1]);
    expect((await call(stack.baseUrl, inference, 'GET', '/presets/support-bot/versions/1')).body.data).toMatchObject({ version: 1, system_prompt: systemPrompt });

    // An Anthropic Messages or Responses body makes one too (system / instructions as the system prompt).
    const fromMessages = await call(stack.baseUrl, management, 'POST', '/presets/terse/messages', { model: 'openai/gpt-4o-mini', system: 'Answer in three words.', max_tokens: 4 });
    expect(fromMessages.status).toBe(201);
    expect(fromMessages.body.data).toMatchObject({ slug: 'terse', version: 1, system_prompt: 'Answer in three words.', config: { model: 'openai/gpt-4o-mini', max_tokens: 4 } });
    const fromResponses = await call(stack.baseUrl, management, 'POST', '/presets/terse/responses', { model: 'openai/gpt-4.1-nano', instructions: 'Answer in two words.', max_output_tokens: 2 });
    expect(fromResponses.body.data).toMatchObject({ version: 2, system_prompt: 'Answer in two words.', config: { model: 'openai/gpt-4.1-nano', max_tokens: 2 } });
    const terse = await client(second.baseUrl, inference).chat.completions.create({ model: '@preset/terse', messages: question });
    expect([terse.model, terse.usage?.completion_tokens]).toEqual(['openai/gpt-4.1-nano', 2]);

    // Another account's key knows no such preset; after a delete, neither does the owner.
    const stranger = (await admin.createKey(await admin.createAccount('preset-stranger', { topUp: '1' }))).key;
    await waitFor(async () => (await call(stack.baseUrl, stranger, 'GET', '/key')).status === 200, { message: 'stranger key known' });
    const refused = await completion(stack.baseUrl, stranger, '@preset/support-bot');
    expect(refused.status).toBe(404);
    expect(refused.body.error.message).toContain("Preset 'support-bot' not found");
    expect((await call(stack.baseUrl, management, 'DELETE', '/presets/support-bot')).body).toEqual({ deleted: true });
    for (const baseUrl of replicas) expect((await completion(baseUrl, inference, '@preset/support-bot')).status).toBe(404);
  });

  it("redacts instead of blocking with action redact: the provider sees markers, the stored prompt too, the metadata says what; embeddings as well", async () => {
    const accountId = await admin.createAccount('redacted', { topUp: '5', logPrompts: true });
    const management = (await admin.createKey(accountId, { name: 'ops', kind: 'management' })).key;
    const inference = (await admin.createKey(accountId, { name: 'app' })).key;
    await waitFor(async () => (await call(second.baseUrl, inference, 'GET', '/key')).status === 200 && (await call(stack.baseUrl, management, 'GET', '/key')).status === 200, { message: 'keys known' });
    const ask = (baseUrl: string, content: string) =>
      fetch(`${baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${inference}`, 'content-type': 'application/json', 'x-openrouter-metadata': 'enabled' },
        body: JSON.stringify({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content }], max_tokens: 12 }),
      }).then(async (response) => ({ status: response.status, body: (await response.json()) as any }));
    const original = 'Reach me at jane.doe@example.com about Project Falcon';
    // Without guardrails the simulator answers the prompt as sent (its answer is seeded by the last user message).
    const unguarded = await ask(stack.baseUrl, original);
    expect(unguarded.status).toBe(200);

    const set = await call(stack.baseUrl, management, 'PATCH', '/guardrails', { detectors: ['email'], keywords: ['Project Falcon'], action: 'redact' });
    expect(set.body.data).toEqual({ detectors: ['email'], keywords: ['Project Falcon'], action: 'redact' });
    const redacted = await waitFor(async () => {
      const answer = await ask(second.baseUrl, original);
      return answer.body.openrouter_metadata?.pipeline?.some((stage: { type: string }) => stage.type === 'guardrails') ? answer : undefined;
    }, { timeoutMs: 5_000, message: 'redaction applied on the second replica' });
    expect(redacted.status).toBe(200);
    expect(redacted.body.openrouter_metadata.pipeline).toContainEqual(expect.objectContaining({ type: 'guardrails', name: 'redact', data: { patterns: ['email', 'keyword:Project Falcon'] } }));
    // What the provider answered is what it answers to the markers themselves, and not what it answers to the original.
    const markers = await ask(stack.baseUrl, 'Reach me at [REDACTED:email] about [REDACTED:keyword]');
    expect(redacted.body.choices[0].message.content).toBe(markers.body.choices[0].message.content);
    expect(redacted.body.choices[0].message.content).not.toBe(unguarded.body.choices[0].message.content);
    // The stored prompt (the account logs prompts) holds the markers, never the address.
    const stored = await waitFor(async () => {
      const answer = await call(stack.baseUrl, inference, 'GET', `/generation/content?id=${redacted.body.id}`);
      return answer.status === 200 ? answer.body : undefined;
    }, { timeoutMs: 15_000, message: 'stored content' });
    expect(JSON.stringify(stored.data.input)).toContain('[REDACTED:email]');
    expect(JSON.stringify(stored.data.input)).not.toContain('jane.doe@example.com');
    const replicaMetrics = await (await fetch(`${second.adminUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).text();
    expect(replicaMetrics).toMatch(/switchyard_guardrail_findings_total\{api="completions",action="redact",pattern="email"[^}]*\} [1-9]/);
    expect(replicaMetrics).toMatch(/switchyard_guardrail_findings_total\{api="completions",action="redact",pattern="keyword"[^}]*\} [1-9]/);
    // Embeddings inputs are redacted too: the same vectors as for the markers.
    const embed = async (input: string) => (await call(stack.baseUrl, inference, 'POST', '/embeddings', { model: 'openai/text-embedding-3-small', input })).body.data[0].embedding as number[];
    expect(await embed('mail jane.doe@example.com')).toEqual(await embed('mail [REDACTED:email]'));
    // And a rerank's query and documents alike: the same scores as for the markers (the simulator scores the words;
    // the documents the answer echoes are the caller's own, as sent).
    const rerank = async (query: string, documents: string[]) =>
      ((await call(stack.baseUrl, inference, 'POST', '/rerank', { model: 'cohere/rerank-v3.5', query, documents })).body.results as Array<{ index: number; relevance_score: number }>).map(({ index, relevance_score }) => [index, relevance_score]);
    expect(await rerank('contact jane.doe@example.com', ['mail jane.doe@example.com today', 'weekly notes'])).toEqual(
      await rerank('contact [REDACTED:email]', ['mail [REDACTED:email] today', 'weekly notes']),
    );
    expect((await call(stack.baseUrl, management, 'PATCH', '/guardrails', { detectors: [], keywords: [], action: 'block' })).status).toBe(200);
  });

  it("applies a key's own guardrails (guardrails on /keys) with its account's: that key is blocked or redacted, its siblings are not", async () => {
    const accountId = await admin.createAccount('per-key-guardrails', { topUp: '5' });
    const management = (await admin.createKey(accountId, { name: 'ops', kind: 'management' })).key;
    await waitFor(async () => (await call(stack.baseUrl, management, 'GET', '/key')).status === 200, { message: 'management key known' });
    const guarded = await call(stack.baseUrl, management, 'POST', '/keys', { name: 'public-app', guardrails: { keywords: ['Project Falcon'] } });
    expect(guarded.status).toBe(201);
    expect(guarded.body.data.guardrails).toEqual({ detectors: [], keywords: ['Project Falcon'], action: 'block' });
    const sibling = (await call(stack.baseUrl, management, 'POST', '/keys', { name: 'internal' })).body.key as string;
    const prompt = 'What is the status of Project Falcon?';
    const blocked = await waitFor(async () => {
      const answer = await completion(second.baseUrl, guarded.body.key, 'openai/gpt-4o-mini', prompt);
      return answer.status === 401 ? undefined : answer;
    }, { timeoutMs: 5_000, message: 'the new key known' });
    expect(blocked.status).toBe(403);
    expect(blocked.body.error).toMatchObject({ message: expect.stringContaining("(the API key's guardrails)"), metadata: { patterns: ['keyword:Project Falcon'] } });
    expect((await waitFor(async () => {
      const answer = await completion(second.baseUrl, sibling, 'openai/gpt-4o-mini', prompt);
      return answer.status === 401 ? undefined : answer;
    }, { timeoutMs: 5_000, message: 'the sibling known' })).status).toBe(200);

    // Switched to redaction: the key's requests go on with the keyword replaced.
    expect((await call(stack.baseUrl, management, 'PATCH', `/keys/${guarded.body.data.hash}`, { guardrails: { keywords: ['Project Falcon'], action: 'redact' } })).status).toBe(200);
    const redacted = await waitFor(async () => {
      const response = await fetch(`${stack.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${guarded.body.key}`, 'content-type': 'application/json', 'x-openrouter-metadata': 'enabled' },
        body: JSON.stringify({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: prompt }], max_tokens: 8 }),
      });
      return response.status === 200 ? ((await response.json()) as { openrouter_metadata: { pipeline: Array<{ type: string; data?: unknown }> } }) : undefined;
    }, { timeoutMs: 5_000, message: 'redaction applied' });
    expect(redacted.openrouter_metadata.pipeline).toContainEqual(expect.objectContaining({ type: 'guardrails', data: { patterns: ['keyword:Project Falcon'] } }));
  });

  it("limits a key to the models of its allowlist (allowed_models on /keys): others are a 403 naming it, an allowed fallback serves, and a change applies at once", async () => {
    const accountId = await admin.createAccount('allowlist-owner', { topUp: '5' });
    const management = (await admin.createKey(accountId, { name: 'ops', kind: 'management' })).key;
    await waitFor(async () => (await call(stack.baseUrl, management, 'GET', '/key')).status === 200, { message: 'management key known' });
    const created = await call(stack.baseUrl, management, 'POST', '/keys', { name: 'agent', allowed_models: ['openai/*'] });
    expect(created.status).toBe(201);
    expect(created.body.data.allowed_models).toEqual(['openai/*']);
    const agent = created.body.key as string;

    const blocked = await completion(second.baseUrl, agent, 'anthropic/claude-haiku-4.5');
    expect(blocked.status).toBe(403);
    expect(blocked.body.error).toMatchObject({ code: 403, message: 'Request blocked: this key may only use openai/*; anthropic/claude-haiku-4.5 is not among them', metadata: { allowed_models: ['openai/*'] } });
    expect((await completion(stack.baseUrl, agent, 'openai/gpt-4o-mini')).status).toBe(200);
    const fallback = await call(stack.baseUrl, agent, 'POST', '/chat/completions', { model: 'anthropic/claude-haiku-4.5', models: ['openai/gpt-4.1-nano'], messages: [{ role: 'user', content: 'x' }], max_tokens: 4 });
    expect([fallback.status, fallback.body.model]).toEqual([200, 'openai/gpt-4.1-nano']);
    const usable = (await call(stack.baseUrl, agent, 'GET', '/models/user')).body.data.map((model: { id: string }) => model.id);
    expect(usable.length).toBeGreaterThan(0);
    // Its models, and the routers, which then pick among them.
    expect(usable.filter((id: string) => !id.startsWith('openai/'))).toEqual(expect.arrayContaining(['openrouter/auto']));
    expect(usable.every((id: string) => id.startsWith('openai/') || id.startsWith('openrouter/'))).toBe(true);

    const widened = await call(stack.baseUrl, management, 'PATCH', `/keys/${created.body.data.hash}`, { allowed_models: null });
    expect(widened.body.data.allowed_models).toBeNull();
    await waitFor(async () => (await Promise.all(replicas.map((baseUrl) => completion(baseUrl, agent, 'anthropic/claude-haiku-4.5')))).every((response) => response.status === 200), { timeoutMs: 2_000, message: 'every replica allows every model again' });
  });

  it("blocks prompts by the account's guardrails (/api/v1/guardrails): a card number or a keyword is a 403 'Request blocked' on every replica, before any provider", async () => {
    const accountId = await admin.createAccount('guarded', { topUp: '5' });
    const management = (await admin.createKey(accountId, { name: 'ops', kind: 'management' })).key;
    const inference = (await admin.createKey(accountId, { name: 'app' })).key;
    await waitFor(async () => (await call(second.baseUrl, inference, 'GET', '/key')).status === 200 && (await call(stack.baseUrl, management, 'GET', '/key')).status === 200, { message: 'keys known' });
    expect((await call(stack.baseUrl, inference, 'PATCH', '/guardrails', { detectors: ['credit_card'] })).status).toBe(403);
    const set = await call(stack.baseUrl, management, 'PATCH', '/guardrails', { detectors: ['credit_card'], keywords: ['Project Falcon'] });
    expect(set.body.data).toEqual({ detectors: ['credit_card'], keywords: ['Project Falcon'], action: 'block' });

    const card = 'Charge 4111 1111 1111 1111 for the order';
    await waitFor(async () => (await Promise.all(replicas.map((baseUrl) => completion(baseUrl, inference, 'openai/gpt-4o-mini', card)))).every((response) => response.status === 403), { timeoutMs: 2_000, message: 'every replica blocks' });
    const blocked = await completion(second.baseUrl, inference, 'openai/gpt-4o-mini', 'Summarise the project falcon roadmap');
    expect(blocked.status).toBe(403);
    expect(blocked.body.error).toMatchObject({ code: 403, message: expect.stringContaining('Request blocked'), metadata: { patterns: ['keyword:Project Falcon'] } });
    expect((await completion(stack.baseUrl, inference, 'openai/gpt-4o-mini', 'An ordinary question')).status).toBe(200);
    // Embeddings inputs and rerank documents too.
    expect((await call(stack.baseUrl, inference, 'POST', '/embeddings', { model: 'openai/text-embedding-3-small', input: ['fine', card] })).status).toBe(403);
    const rerank = await call(second.baseUrl, inference, 'POST', '/rerank', { model: 'cohere/rerank-v3.5', query: 'status', documents: ['weekly notes', 'Project Falcon budget'] });
    expect([rerank.status, rerank.body.error?.metadata?.patterns]).toEqual([403, ['keyword:Project Falcon']]);
    // Operators see the findings in Prometheus, by action and pattern (keywords as one label).
    const metrics = await (await fetch(`${stack.adminUrl('ingress')}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).text();
    expect(metrics).toMatch(/switchyard_guardrail_findings_total\{api="embeddings",action="block",pattern="credit_card"[^}]*\} [1-9]/);
    // No generation was recorded for the blocked requests: nothing reached a provider.
    const recorded = await waitFor(async () => {
      const rows = await admin.generations(accountId);
      return rows.length > 0 ? rows : undefined;
    }, { timeoutMs: 15_000, message: 'the ordinary generation recorded' });
    expect(recorded).toHaveLength(1);

    expect((await call(stack.baseUrl, management, 'PATCH', '/guardrails', { detectors: [], keywords: [] })).body.data).toEqual({ detectors: [], keywords: [], action: 'block' });
    await waitFor(async () => (await completion(second.baseUrl, inference, 'openai/gpt-4o-mini', card)).status === 200, { timeoutMs: 2_000, message: 'cleared on every replica' });
  });

  it('never lets a key spend beyond its limit: 40 parallel requests on two replicas against a limit that affords 5', async () => {
    const accountId = await admin.createAccount('key-limit', { topUp: '10' });
    const request = { model: 'openai/gpt-4o-mini', max_tokens: 20, content: 'Limit me' };
    const probe = (await admin.createKey(accountId, { name: 'zero', limit: '0' })).key;
    await waitFor(async () => (await call(second.baseUrl, probe, 'GET', '/key')).status === 200, { message: 'probe key on every replica' });
    const refusal = await chat(client(stack.baseUrl, probe), request);
    expect(refusal).toMatchObject({ ok: false, status: 402 });
    expect(refusal.error?.message).toContain('You requested up to 20 tokens, but can only afford 0');
    const reserved = toDecimal(String(refusal.error?.metadata?.required));
    const limit = reserved.times(5);

    const limited = (await admin.createKey(accountId, { name: 'five', limit: formatMoney(limit) })).key;
    await waitFor(async () => (await call(second.baseUrl, limited, 'GET', '/key')).status === 200, { message: 'limited key on every replica' });
    const outcomes = await Promise.all(Array.from({ length: 40 }, (_, index) => chat(client(replicas[index % 2]!, limited), request)));
    const spent = sum(outcomes.filter((outcome) => outcome.ok).map((outcome) => outcome.cost));
    expect(spent.lte(limit)).toBe(true);
    expect(outcomes.filter((outcome) => outcome.ok).length).toBeGreaterThanOrEqual(1);
    for (const outcome of outcomes.filter((entry) => !entry.ok)) expect(outcome).toMatchObject({ status: 402, error: { message: expect.stringContaining('can only afford') } });
    const info = await waitFor(async () => {
      const data = (await call(stack.baseUrl, limited, 'GET', '/key')).body.data;
      return formatMoney(String(data.usage)) === formatMoney(spent) ? data : undefined;
    }, { timeoutMs: 15_000, message: 'the key usage debited' });
    expect(toDecimal(String(info.limit_remaining)).gte(0)).toBe(true);
  });

  it('enforces the :free quota for every replica (per minute, per day; more per day once $10 was bought) with 429, X-RateLimit-* and Retry-After; free costs $0 but needs a non-negative balance', async () => {
    // Free tier (grants only): 3 a day here, whichever replica serves them.
    const unpaid = await admin.createAccount('free-unpaid', { topUp: '1' });
    const unpaidKey = (await admin.createKey(unpaid)).key;
    await waitFor(async () => (await call(second.baseUrl, unpaidKey, 'GET', '/key')).status === 200, { message: 'key on every replica' });
    for (let index = 0; index < 3; index += 1) {
      const ok = await completion(replicas[index % 2]!, unpaidKey, FREE_MODEL);
      expect(ok.status).toBe(200);
      expect(ok.body.model).toBe(FREE_MODEL);
      expect(ok.body.usage.cost).toBe(0);
      // Served free requests carry the tighter window of the quota (here the day's 3) as X-RateLimit-*.
      expect([ok.headers.get('x-ratelimit-limit'), ok.headers.get('x-ratelimit-remaining')]).toEqual(['3', String(2 - index)]);
    }
    const perDay = await completion(second.baseUrl, unpaidKey, FREE_MODEL);
    expect(perDay.status).toBe(429);
    expect(perDay.body.error.message).toContain('Rate limit exceeded: free-models-per-day');
    expect(perDay.headers.get('x-ratelimit-limit')).toBe('3');
    expect(perDay.headers.get('x-ratelimit-remaining')).toBe('0');
    const midnight = new Date();
    midnight.setUTCHours(24, 0, 0, 0);
    expect(Number(perDay.headers.get('x-ratelimit-reset'))).toBe(midnight.getTime());
    expect(Number(perDay.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(perDay.body.error.metadata.headers).toMatchObject({ 'X-RateLimit-Limit': '3', 'X-RateLimit-Remaining': '0' });
    // A paid model still works for the same account.
    expect((await completion(stack.baseUrl, unpaidKey, 'openai/gpt-4o-mini')).status).toBe(200);

    // $10 bought: past the free tier's daily 3, then the per-minute window (4) refuses.
    const paid = await admin.createAccount('free-paid', { topUp: '10', method: 'card' });
    const paidKey = (await admin.createKey(paid)).key;
    await waitFor(async () => (await call(second.baseUrl, paidKey, 'GET', '/key')).status === 200, { message: 'key on every replica' });
    for (let index = 0; index < 4; index += 1) expect((await completion(replicas[index % 2]!, paidKey, FREE_MODEL)).status).toBe(200);
    const perMinute = await completion(stack.baseUrl, paidKey, FREE_MODEL);
    expect(perMinute.status).toBe(429);
    expect(perMinute.body.error.message).toContain('Rate limit exceeded: free-models-per-min');
    expect(perMinute.headers.get('x-ratelimit-limit')).toBe('4');
    const retryAfter = Number(perMinute.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(Number(perMinute.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now());

    // Free generations are recorded at $0 and never debited.
    const generations = await waitFor(async () => {
      const rows = await admin.generations(paid);
      return rows.length === 4 ? rows : undefined;
    }, { message: 'free generations recorded' });
    expect(generations.every((row) => row.cost === '0' && row.model === FREE_MODEL)).toBe(true);
    expect(debits(await admin.ledger(paid)).generationIds).toEqual([]);

    // A negative balance cannot use free models (402), as on OpenRouter.
    const negative = await admin.createAccount('free-negative', { topUp: '1' });
    await admin.adjust(negative, '-2', 'e2e: debt');
    const negativeKey = (await admin.createKey(negative)).key;
    await waitFor(async () => (await call(stack.baseUrl, negativeKey, 'GET', '/key')).status === 200, { message: 'key known' });
    const inDebt = await completion(stack.baseUrl, negativeKey, FREE_MODEL);
    expect(inDebt.status).toBe(402);
    expect(inDebt.body.error.message).toMatch(/negative/);
  });

  it('takes 1 % off for accounts that opted in to prompt logging, in usage.cost and in the debit alike, and keeps their prompts and outputs readable at /generation/content; feedback on a generation', async () => {
    const plain = await admin.createAccount('no-logging', { topUp: '1' });
    const logging = await admin.createAccount('logging', { topUp: '1', logPrompts: true });
    const plainKey = (await admin.createKey(plain)).key;
    const loggingKey = (await admin.createKey(logging)).key;
    await waitFor(async () => (await call(stack.baseUrl, loggingKey, 'GET', '/key')).status === 200, { message: 'keys known' });
    const request = { model: 'anthropic/claude-haiku-4.5', content: 'The same prompt for both accounts' };
    const [full, discounted] = await Promise.all([chat(client(stack.baseUrl, plainKey), request), chat(client(stack.baseUrl, loggingKey), { ...request, stream: true })]);
    expect(full.ok && discounted.ok).toBe(true);
    expect(discounted.usage).toMatchObject({ prompt_tokens: full.usage!.prompt_tokens, completion_tokens: full.usage!.completion_tokens });
    const price = SIMULATOR_PRICES[request.model]!;
    const list = toDecimal(price.prompt).times(full.usage!.prompt_tokens).plus(toDecimal(price.completion).times(full.usage!.completion_tokens));
    expect(full.cost).toBe(formatMoney(list));
    expect(discounted.cost).toBe(formatMoney(roundMoney(list.times('0.99'))));
    for (const [accountId, cost] of [[plain, full.cost!], [logging, discounted.cost!]] as const) {
      await waitFor(async () => debits(await admin.ledger(accountId)).total.equals(toDecimal(cost)), { timeoutMs: 15_000, message: `debit of ${cost}` });
    }

    // What opting in bought: the prompt and the output, readable by the account at /generation/content.
    const stored = await waitFor(async () => {
      const answer = await call(stack.baseUrl, loggingKey, 'GET', `/generation/content?id=${discounted.id}`);
      return answer.status === 200 ? answer.body : undefined;
    }, { timeoutMs: 15_000, message: 'stored content' });
    expect(stored.data).toMatchObject({ id: discounted.id, input: [{ role: 'user', content: request.content }] });
    expect(typeof stored.data.output).toBe('string');
    expect(stored.data.output.length).toBeGreaterThan(0);
    await waitFor(async () => (await call(stack.baseUrl, plainKey, 'GET', `/generation?id=${full.id}`)).status === 200, { timeoutMs: 15_000, message: 'plain generation recorded' });
    const notLogged = await call(stack.baseUrl, plainKey, 'GET', `/generation/content?id=${full.id}`);
    expect(notLogged.status).toBe(404);
    expect(notLogged.body.error.message).toMatch(/opt in to prompt logging/);
    expect((await call(stack.baseUrl, plainKey, 'GET', `/generation/content?id=${discounted.id}`)).status).toBe(404);
    expect((await call(stack.baseUrl, plainKey, 'GET', '/generation/content')).status).toBe(400);

    // Feedback on a generation reaches the operator's view of it; only its account may give it.
    const feedback = await call(stack.baseUrl, loggingKey, 'POST', '/generation/feedback', { generation_id: discounted.id, category: 'formatting', comment: 'Too many bullet points.' });
    expect(feedback).toMatchObject({ status: 200, body: { data: { success: true } } });
    expect((await call(stack.baseUrl, plainKey, 'POST', '/generation/feedback', { generation_id: discounted.id, category: 'other' })).status).toBe(404);
    const badCategory = await call(stack.baseUrl, loggingKey, 'POST', '/generation/feedback', { generation_id: discounted.id, category: 'rude' });
    expect(badCategory.status).toBe(400);
    expect(badCategory.body.error.message).toContain('category');
    const operatorView = await stack.admin('metering', 'GET', `/admin/generations/${discounted.id}`);
    expect(operatorView.body.data.feedback).toEqual([{ category: 'formatting', comment: 'Too many bullet points.', created_at: expect.any(String) }]);
  });

  it('charges nothing for a request whose attempts all failed, and the prompt (not the insurance) for zero completion tokens with a normal stop', async () => {
    const accountId = await admin.createAccount('never-charged', { topUp: '1' });
    const key = (await admin.createKey(accountId)).key;
    await waitFor(async () => (await call(stack.baseUrl, key, 'GET', '/key')).status === 200, { message: 'key known' });
    await admin.setKnobs('google/gemini-2.5-flash', { failureRate: 1, failureStatus: 500 });
    await admin.setKnobs('openai/gpt-4.1-nano', { completionTokens: 0 });
    const failed = await chat(client(stack.baseUrl, key), { model: 'google/gemini-2.5-flash' });
    expect(failed.ok).toBe(false);
    expect(failed.status).toBeGreaterThanOrEqual(500);
    const empty = await chat(client(stack.baseUrl, key), { model: 'openai/gpt-4.1-nano' });
    expect(empty.ok).toBe(true);
    expect(empty.usage?.completion_tokens).toBe(0);
    const prompt = toDecimal(SIMULATOR_PRICES['openai/gpt-4.1-nano']!.prompt).times(empty.usage!.prompt_tokens);
    expect(empty.cost).toBe(formatMoney(prompt));
    const generations = await waitFor(async () => {
      const rows = await admin.generations(accountId);
      return rows.length >= 1 ? rows : undefined;
    }, { message: 'generation recorded' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await admin.generations(accountId)).map((row) => row.id)).toEqual([empty.id]);
    expect(generations[0]!.cost).toBe(formatMoney(prompt));
    await waitFor(async () => debits(await admin.ledger(accountId)).total.equals(prompt), { timeoutMs: 15_000, message: 'only the prompt debited' });
    expect(debits(await admin.ledger(accountId)).generationIds).toEqual([empty.id]);
    await admin.resetSimulator();
  });

  it('BYOK through /api/v1/byok: the owner stores its provider key with a management key, requests then use it, and deleting it stops that', async () => {
    const accountId = await admin.createAccount('self-byok', { topUp: '1' });
    const management = (await admin.createKey(accountId, { name: 'ops', kind: 'management' })).key;
    const key = (await admin.createKey(accountId)).key;
    await waitFor(async () => (await call(stack.baseUrl, management, 'GET', '/byok')).status === 200, { message: 'management key known' });
    expect((await call(stack.baseUrl, management, 'GET', '/byok')).body).toEqual({ data: [] });
    expect((await call(stack.baseUrl, key, 'GET', '/byok')).status).toBe(403);
    expect((await call(stack.baseUrl, management, 'POST', '/byok', { provider: 'no-such-provider', api_key: 'sk-1234' })).status).toBe(400);

    const stored = await call(second.baseUrl, management, 'POST', '/byok', { provider: 'simulator', api_key: 'sk-self-simulator-key-9876' });
    expect(stored.status).toBe(201);
    expect(stored.body.data).toMatchObject({ provider: 'simulator', last4: '9876', usable: true });
    expect(JSON.stringify((await call(stack.baseUrl, management, 'GET', '/byok')).body)).not.toContain('sk-self-simulator');
    const request = { model: 'anthropic/claude-haiku-4.5', content: 'My own key, stored by me' };
    await waitFor(async () => {
      const outcome = await chat(client(stack.baseUrl, key), request);
      return outcome.ok && outcome.usage?.is_byok ? outcome : undefined;
    }, { timeoutMs: 10_000, intervalMs: 200, message: 'a BYOK-served response' });

    expect((await call(stack.baseUrl, management, 'DELETE', '/byok/simulator')).body).toEqual({ deleted: true });
    await waitFor(async () => {
      const outcome = await chat(client(stack.baseUrl, key), request);
      return outcome.ok && !outcome.usage?.is_byok ? outcome : undefined;
    }, { timeoutMs: 10_000, intervalMs: 200, message: 'served with the platform key again' });
    expect((await call(stack.baseUrl, management, 'DELETE', '/byok/simulator')).status).toBe(404);
  });

  it('serves an account with its own provider key (BYOK): free inside the monthly allowance, then 5 % of the list price', async () => {
    const accountId = await admin.createAccount('byok', { topUp: '1' });
    const key = (await admin.createKey(accountId)).key;
    await admin.storeProviderKey(accountId, 'simulator', 'sk-own-simulator-key-0001');
    await waitFor(async () => (await admin.account(accountId)).byokProviders.includes('simulator'), { message: 'billing learned the BYOK provider' });
    await waitFor(async () => (await call(stack.baseUrl, key, 'GET', '/key')).status === 200, { message: 'key known' });
    const request = { model: 'anthropic/claude-haiku-4.5', content: 'My own key pays' };
    const price = SIMULATOR_PRICES[request.model]!;
    const listOf = (usage: { prompt_tokens: number; completion_tokens: number }) => toDecimal(price.prompt).times(usage.prompt_tokens).plus(toDecimal(price.completion).times(usage.completion_tokens));

    // Ingress learns the BYOK provider from keys-changed: the first BYOK-served response may take a moment.
    const first = await waitFor(async () => {
      const outcome = await chat(client(stack.baseUrl, key), request);
      return outcome.ok && outcome.usage?.is_byok ? outcome : undefined;
    }, { timeoutMs: 10_000, intervalMs: 200, message: 'a BYOK-served response' });
    const second = await chat(client(stack.baseUrl, key), request);
    for (const outcome of [first, second]) expect(outcome).toMatchObject({ ok: true, cost: '0', usage: { is_byok: true } });

    // Two BYOK requests is this stack's monthly allowance: once billing counted them, the 5 % fee applies.
    await waitFor(async () => (await admin.account(accountId)).byok.feeWaived === false, { timeoutMs: 15_000, message: 'allowance used up' });
    const charged = await waitFor(async () => {
      const outcome = await chat(client(stack.baseUrl, key), request);
      return outcome.ok && outcome.cost !== '0' ? outcome : undefined;
    }, { timeoutMs: 10_000, intervalMs: 200, message: 'a BYOK response with the fee' });
    expect(charged.usage?.is_byok).toBe(true);
    expect(charged.cost).toBe(formatMoney(roundMoney(listOf(charged.usage!).times('0.05'))));

    // BYOK generations are `byok_fee` lines (the fee, 0 inside the allowance) carrying the list price as BYOK usage.
    const feesOf = (entries: Awaited<ReturnType<Admin['ledger']>>) => entries.filter((entry) => entry.kind === 'byok_fee');
    const ledger = await waitFor(async () => {
      const entries = await admin.ledger(accountId);
      return feesOf(entries).some((entry) => entry.generationId === charged.id) ? entries : undefined;
    }, { timeoutMs: 15_000, message: 'BYOK fee debited' });
    const fees = feesOf(ledger);
    expect(fees.length).toBeGreaterThanOrEqual(3);
    expect(fees.filter((entry) => entry.amount !== '0').map((entry) => entry.amount)).toEqual([`-${charged.cost}`]);
    for (const entry of fees) expect(entry.byokUsage).not.toBeNull();
    const info = (await call(stack.baseUrl, key, 'GET', '/key')).body.data;
    expect(toDecimal(String(info.byok_usage)).gt(0)).toBe(true);
  });
});
