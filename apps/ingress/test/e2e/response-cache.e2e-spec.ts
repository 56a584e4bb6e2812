import { jest } from '@jest/globals';
import OpenAI from 'openai';
import { Decimal } from '@switchyard/money';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { responseCacheStreamName } from '@switchyard/contracts';
import { TEST_ADMIN_TOKEN, TEST_NATS_URL, waitFor } from '@switchyard/nest-kit/testing';
import { Admin } from './money-support/harness.js';
import { Stack } from './stack.js';

jest.setTimeout(120_000);

const MODEL = 'openai/gpt-4o-mini';
const CACHE = { 'X-OpenRouter-Cache': 'true' };

/** The `cost` OpenRouter adds to a usage object, as an exact decimal string. */
const costOf = (usage: unknown): string => String((usage as { cost: number }).cost);

/**
 * Response caching (OpenRouter's `X-OpenRouter-Cache`), driven with the official openai SDK through every service:
 * a repeated request is answered from the cache (no provider call), free, under a new generation id that names the
 * one it replays; stores are shared by every ingress replica and scoped to the API key.
 */
describe('response caching end to end (X-OpenRouter-Cache)', () => {
  const stack = new Stack();
  let client: OpenAI;
  /** Every usage.cost this file received: the account's total usage must end up exactly this (hits add nothing). */
  let spent = new Decimal(0);

  /** Requests the simulator has answered so far (a hit must not add one). */
  async function upstreamRequests(): Promise<number> {
    return (await stack.admin('simulator', 'GET', '/admin/usage')).body.totals.requests as number;
  }

  /** Responses an ingress stored in the cache so far (`switchyard_response_cache_total{event="stored"}`). */
  async function stored(adminUrl = stack.adminUrl('ingress')): Promise<number> {
    const text = await (await fetch(`${adminUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).text();
    return Number(/switchyard_response_cache_total\{[^}]*event="stored"[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
  }

  /** The response is stored off the request's path: wait for the store before asking again. */
  async function waitStored(count: number): Promise<void> {
    await waitFor(async () => (await stored()) >= count, { timeoutMs: 10_000, message: `${count} responses stored` });
  }

  function chat(content: string, headers: Record<string, string> = CACHE, on = client) {
    return on.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content }], max_tokens: 24 }, { headers }).withResponse();
  }

  beforeAll(async () => {
    await stack.start();
    client = new OpenAI({ baseURL: stack.baseUrl, apiKey: stack.demoKey, maxRetries: 0 });
  }, 120_000);

  afterAll(async () => {
    await stack.stop();
  });

  it('answers a repeated chat completion from the cache: the same answer, a new id, zero usage, nothing charged, no provider call', async () => {
    const first = await chat('What is the capital of France?');
    expect(first.response.headers.get('x-openrouter-cache-status')).toBe('MISS');
    expect(first.response.headers.get('x-openrouter-cache-ttl')).toBe('300');
    const firstUsage = first.data.usage as OpenAI.CompletionUsage & { cost: number };
    expect(firstUsage.cost).toBeGreaterThan(0);
    spent = spent.plus(String(firstUsage.cost));
    await waitStored(1);

    const upstreamBefore = await upstreamRequests();
    const second = await chat('What is the capital of France?');
    expect(second.response.headers.get('x-openrouter-cache-status')).toBe('HIT');
    expect(Number(second.response.headers.get('x-openrouter-cache-age'))).toBeGreaterThanOrEqual(0);
    expect(Number(second.response.headers.get('x-openrouter-cache-ttl'))).toBeLessThanOrEqual(300);
    expect(Number(second.response.headers.get('x-openrouter-cache-ttl'))).toBeGreaterThan(250);
    expect(await upstreamRequests()).toBe(upstreamBefore);

    expect(second.data.id).toMatch(/^gen-/);
    expect(second.data.id).not.toBe(first.data.id);
    expect(second.response.headers.get('x-generation-id')).toBe(second.data.id);
    expect(second.data.choices[0]?.message.content).toBe(first.data.choices[0]?.message.content);
    expect(second.data.choices[0]?.finish_reason).toBe(first.data.choices[0]?.finish_reason);
    expect((second.data as unknown as { provider: string }).provider).toBe((first.data as unknown as { provider: string }).provider);
    expect(second.data.model).toBe(first.data.model);
    const usage = second.data.usage as OpenAI.CompletionUsage & { cost: number };
    expect({ prompt: usage.prompt_tokens, completion: usage.completion_tokens, total: usage.total_tokens, cost: usage.cost }).toEqual({ prompt: 0, completion: 0, total: 0, cost: 0 });

    // The hit is a generation of its own, free, naming the one it replayed; the account paid for the first only.
    const hit = await stack.generation(second.data.id);
    expect(hit).toMatchObject({ response_cache_source_id: first.data.id, total_cost: 0, tokens_prompt: 0, tokens_completion: 0, provider_responses: [] });
    expect((await stack.generation(first.data.id)).response_cache_source_id).toBeNull();
    await stack.demoUsageReaches(spent);
  });

  it('replays a stream as the same content chunks, ending with a free usage chunk, under one new id', async () => {
    const ask = () => client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Stream me a short poem' }], max_tokens: 24, stream: true }, { headers: CACHE }).withResponse();
    const collect = async (stream: AsyncIterable<OpenAI.ChatCompletionChunk>) => {
      const chunks: OpenAI.ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      return chunks;
    };
    const storedBefore = await stored();
    const first = await ask();
    expect(first.response.headers.get('x-openrouter-cache-status')).toBe('MISS');
    const firstChunks = await collect(first.data);
    spent = spent.plus(costOf(firstChunks.at(-1)!.usage));
    await waitStored(storedBefore + 1);

    const second = await ask();
    expect(second.response.headers.get('x-openrouter-cache-status')).toBe('HIT');
    const secondChunks = await collect(second.data);
    const text = (chunks: OpenAI.ChatCompletionChunk[]) => chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(text(secondChunks)).toBe(text(firstChunks));
    expect(text(secondChunks).length).toBeGreaterThan(0);
    expect(secondChunks.filter((chunk) => chunk.choices.length > 0).at(-1)?.choices[0]?.finish_reason).toBe('stop');
    expect(new Set(secondChunks.map((chunk) => chunk.id))).toEqual(new Set([second.response.headers.get('x-generation-id')]));
    const last = secondChunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 0, completion_tokens: 0, cost: 0 });
    expect((await stack.generation(second.response.headers.get('x-generation-id')!)).streamed).toBe(true);
    await stack.demoUsageReaches(spent);
  });

  it('keeps stores per API key, per body and per streaming mode, and does nothing without the header', async () => {
    const question = 'Name a prime number.';
    const storedBefore = await stored();
    const first = await chat(question);
    spent = spent.plus(costOf(first.data.usage));
    await waitStored(storedBefore + 1);
    expect((await chat(question)).response.headers.get('x-openrouter-cache-status')).toBe('HIT');

    // Another key of the same account: its own cache.
    const accounts = await stack.admin('billing', 'GET', '/admin/accounts');
    const demo = (accounts.body.data as Array<{ id: string; name: string }>).find((account) => account.name.toLowerCase().includes('demo'))!;
    const other = await new Admin(stack).createKey(demo.id, { name: 'second key' });
    const otherClient = new OpenAI({ baseURL: stack.baseUrl, apiKey: other.key, maxRetries: 0 });
    await waitFor(async () => (await fetch(`${stack.baseUrl}/key`, { headers: { authorization: `Bearer ${other.key}` } })).status === 200, { message: 'second key known' });
    const otherKey = await chat(question, CACHE, otherClient);
    expect(otherKey.response.headers.get('x-openrouter-cache-status')).toBe('MISS');
    spent = spent.plus(costOf(otherKey.data.usage));

    // Another body: a miss. No header: no caching at all, and no cache headers.
    const otherBody = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: question }], max_tokens: 24, temperature: 0 }, { headers: CACHE }).withResponse();
    expect(otherBody.response.headers.get('x-openrouter-cache-status')).toBe('MISS');
    spent = spent.plus(costOf(otherBody.data.usage));
    const plain = await chat(question, {});
    expect(plain.response.headers.get('x-openrouter-cache-status')).toBeNull();
    expect(Number(costOf(plain.data.usage))).toBeGreaterThan(0);
    spent = spent.plus(costOf(plain.data.usage));
    await stack.demoUsageReaches(spent);
  });

  it('refreshes a stored response with X-OpenRouter-Cache-Clear, and lets one expire after its X-OpenRouter-Cache-TTL', async () => {
    const question = 'Give me one word.';
    let storedCount = await stored();
    const first = await chat(question);
    spent = spent.plus(costOf(first.data.usage));
    await waitStored(++storedCount);

    const upstreamBefore = await upstreamRequests();
    const cleared = await chat(question, { ...CACHE, 'X-OpenRouter-Cache-Clear': 'true' });
    expect(cleared.response.headers.get('x-openrouter-cache-status')).toBe('MISS');
    expect(await upstreamRequests()).toBe(upstreamBefore + 1);
    spent = spent.plus(costOf(cleared.data.usage));
    await waitStored(++storedCount);
    const hit = await chat(question);
    expect(hit.response.headers.get('x-openrouter-cache-status')).toBe('HIT');
    expect((await stack.generation(hit.data.id)).response_cache_source_id).toBe(cleared.data.id);

    const shortLived = await chat('A one-second answer, please.', { ...CACHE, 'X-OpenRouter-Cache-TTL': '1' });
    expect(shortLived.response.headers.get('x-openrouter-cache-ttl')).toBe('1');
    spent = spent.plus(costOf(shortLived.data.usage));
    await waitStored(++storedCount);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const expired = await chat('A one-second answer, please.', { ...CACHE, 'X-OpenRouter-Cache-TTL': '1' });
    expect(expired.response.headers.get('x-openrouter-cache-status')).toBe('MISS');
    spent = spent.plus(costOf(expired.data.usage));
    await stack.demoUsageReaches(spent);
  });

  it('serves a hit from another ingress replica (one cache for every replica), and on the Anthropic messages route', async () => {
    const question = 'Which ocean is the largest?';
    const storedBefore = await stored();
    const first = await chat(question);
    spent = spent.plus(costOf(first.data.usage));
    await waitStored(storedBefore + 1);
    const replica = await stack.startIngressReplica();
    const fromReplica = await chat(question, CACHE, new OpenAI({ baseURL: replica.baseUrl, apiKey: stack.demoKey, maxRetries: 0 }));
    expect(fromReplica.response.headers.get('x-openrouter-cache-status')).toBe('HIT');
    expect(fromReplica.data.choices[0]?.message.content).toBe(first.data.choices[0]?.message.content);

    const messages = async () => {
      const response = await fetch(`${stack.baseUrl}/messages`, {
        method: 'POST',
        headers: { 'x-api-key': stack.demoKey, 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...CACHE },
        body: JSON.stringify({ model: 'anthropic/claude-sonnet-4.5', max_tokens: 24, messages: [{ role: 'user', content: question }] }),
      });
      return { status: response.status, cache: response.headers.get('x-openrouter-cache-status'), body: (await response.json()) as { content: Array<{ text: string }>; usage: { input_tokens: number; output_tokens: number; cost?: number } } };
    };
    const storedNow = await stored();
    const miss = await messages();
    expect(miss).toMatchObject({ status: 200, cache: 'MISS' });
    if (miss.body.usage.cost !== undefined) spent = spent.plus(String(miss.body.usage.cost));
    await waitStored(storedNow + 1);
    const hit = await messages();
    expect(hit).toMatchObject({ status: 200, cache: 'HIT' });
    expect(hit.body.content).toEqual(miss.body.content);
    expect(hit.body.usage).toMatchObject({ input_tokens: 0, output_tokens: 0 });
  });

  it('caches embeddings too: the same vectors, free, from the cache', async () => {
    const embed = () => client.embeddings.create({ model: 'openai/text-embedding-3-small', input: ['cache me', 'and me'], encoding_format: 'float' }, { headers: CACHE }).withResponse();
    const storedBefore = await stored();
    const first = await embed();
    expect(first.response.headers.get('x-openrouter-cache-status')).toBe('MISS');
    spent = spent.plus(costOf(first.data.usage));
    await waitStored(storedBefore + 1);
    const upstreamBefore = await upstreamRequests();
    const second = await embed();
    expect(second.response.headers.get('x-openrouter-cache-status')).toBe('HIT');
    expect(await upstreamRequests()).toBe(upstreamBefore);
    expect(second.data.data.map((item) => item.embedding)).toEqual(first.data.data.map((item) => item.embedding));
    expect(second.data.data[0]!.embedding.length).toBeGreaterThan(0);
    expect(second.data.usage).toMatchObject({ prompt_tokens: 0, total_tokens: 0, cost: 0 });
    const id = second.response.headers.get('x-generation-id')!;
    expect(await stack.generation(id)).toMatchObject({ api_type: 'embeddings', response_cache_source_id: first.response.headers.get('x-generation-id'), total_cost: 0 });
    await stack.demoUsageReaches(spent);
  });

  describe('with presets, allowlists and guardrails (an account of its own)', () => {
    const admin = new Admin(stack);
    let management: string;
    let inference: string;
    let keyHash: string;
    let account: OpenAI;

    /** A JSON call with a key of this account. */
    async function call(key: string, method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> {
      const response = await fetch(`${stack.baseUrl}${route}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: response.status, body: await response.json() };
    }

    beforeAll(async () => {
      const accountId = await admin.createAccount('cache-governed', { topUp: '5' });
      management = (await admin.createKey(accountId, { name: 'ops', kind: 'management' })).key;
      const created = await admin.createKey(accountId, { name: 'app' });
      [inference, keyHash] = [created.key, created.data.hash];
      await waitFor(async () => (await call(management, 'GET', '/key')).status === 200 && (await call(inference, 'GET', '/key')).status === 200, { message: 'keys known' });
      account = new OpenAI({ baseURL: stack.baseUrl, apiKey: inference, maxRetries: 0 });
    });

    it("follows a preset's cache_enabled: its requests are cached without the header, a new version is a new entry, and false beats the header", async () => {
      const makePreset = async (body: Record<string, unknown>) => {
        const made = await call(management, 'POST', '/presets/cached-bot/chat/completions', { model: MODEL, max_tokens: 24, ...body });
        expect(made.status).toBe(201);
        return made.body.data as { version: number; cache_enabled: boolean | null; cache_ttl_seconds: number | null };
      };
      expect(await makePreset({ cache_enabled: true, cache_ttl_seconds: 120 })).toMatchObject({ version: 1, cache_enabled: true, cache_ttl_seconds: 120 });
      const ask = (headers: Record<string, string> = {}) => account.chat.completions.create({ model: '@preset/cached-bot', messages: [{ role: 'user', content: 'Is this cached?' }] }, { headers }).withResponse();

      let storedCount = await stored();
      const first = await ask();
      expect([first.response.headers.get('x-openrouter-cache-status'), first.response.headers.get('x-openrouter-cache-ttl')]).toEqual(['MISS', '120']);
      await waitStored(++storedCount);
      const upstreamBefore = await upstreamRequests();
      const hit = await ask();
      expect(hit.response.headers.get('x-openrouter-cache-status')).toBe('HIT');
      expect(hit.data.choices[0]?.message.content).toBe(first.data.choices[0]?.message.content);
      expect(await upstreamRequests()).toBe(upstreamBefore);

      // A new version of the preset, even with the same fields, is a new cache entry: the old answer is not replayed.
      expect(await makePreset({ cache_enabled: true, cache_ttl_seconds: 120 })).toMatchObject({ version: 2 });
      const afterChange = await ask();
      expect(afterChange.response.headers.get('x-openrouter-cache-status')).toBe('MISS');
      expect(await upstreamRequests()).toBe(upstreamBefore + 1);
      await waitStored(++storedCount);
      expect((await ask()).response.headers.get('x-openrouter-cache-status')).toBe('HIT');

      // cache_enabled: false wins over the request's X-OpenRouter-Cache: true.
      await makePreset({ cache_enabled: false });
      const off = await ask(CACHE);
      expect(off.response.headers.get('x-openrouter-cache-status')).toBeNull();
      expect(Number(costOf(off.data.usage))).toBeGreaterThan(0);
      expect(await upstreamRequests()).toBe(upstreamBefore + 2);
    });

    it('does not replay a stored answer of a model the key may no longer use: the allowlist refuses it as if uncached', async () => {
      const ask = () => account.chat.completions.create({ model: 'anthropic/claude-haiku-4.5', messages: [{ role: 'user', content: 'Allowed still?' }], max_tokens: 8 }, { headers: CACHE }).withResponse();
      const storedBefore = await stored();
      expect((await ask()).response.headers.get('x-openrouter-cache-status')).toBe('MISS');
      await waitStored(storedBefore + 1);
      expect((await ask()).response.headers.get('x-openrouter-cache-status')).toBe('HIT');

      expect((await call(management, 'PATCH', `/keys/${keyHash}`, { allowed_models: ['openai/*'] })).status).toBe(200);
      const refused = await waitFor(async () => {
        const response = await call(inference, 'POST', '/chat/completions', { model: 'anthropic/claude-haiku-4.5', messages: [{ role: 'user', content: 'Allowed still?' }], max_tokens: 8 });
        return response.status === 200 ? undefined : response;
      }, { timeoutMs: 5_000, message: 'the allowlist applied' });
      // The same request with caching asked for: a 403 naming the allowlist, not the stored answer.
      const cached = await fetch(`${stack.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${inference}`, 'content-type': 'application/json', ...CACHE },
        body: JSON.stringify({ model: 'anthropic/claude-haiku-4.5', messages: [{ role: 'user', content: 'Allowed still?' }], max_tokens: 8 }),
      });
      expect(cached.status).toBe(403);
      expect(((await cached.json()) as { error: { message: string } }).error.message).toContain('may only use openai/*');
      expect(refused.status).toBe(403);
      expect((await call(management, 'PATCH', `/keys/${keyHash}`, { allowed_models: null })).status).toBe(200);
      await waitFor(async () => (await ask()).response.headers.get('x-openrouter-cache-status') === 'HIT', { timeoutMs: 5_000, message: 'the stored answer served again once allowed' });
    });

    it("checks the account's guardrails before the cache: a stored answer to a prompt they now block is not served", async () => {
      const prompt = 'Reach me at someone@example.com about it';
      const ask = () => fetch(`${stack.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${inference}`, 'content-type': 'application/json', ...CACHE },
        body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: prompt }], max_tokens: 8 }),
      });
      const storedBefore = await stored();
      expect((await ask()).headers.get('x-openrouter-cache-status')).toBe('MISS');
      await waitStored(storedBefore + 1);
      expect((await ask()).headers.get('x-openrouter-cache-status')).toBe('HIT');

      expect((await call(management, 'PATCH', '/guardrails', { detectors: ['email'] })).status).toBe(200);
      const upstreamBefore = await upstreamRequests();
      const blocked = await waitFor(async () => {
        const response = await ask();
        return response.status === 403 ? response : undefined;
      }, { timeoutMs: 5_000, message: 'the guardrail applied' });
      expect(blocked.headers.get('x-openrouter-cache-status')).toBeNull();
      expect(((await blocked.json()) as { error: { message: string; metadata: { patterns: string[] } } }).error).toMatchObject({ message: expect.stringContaining('Request blocked'), metadata: { patterns: ['email'] } });
      expect(await upstreamRequests()).toBe(upstreamBefore);
      expect((await call(management, 'PATCH', '/guardrails', { detectors: [] })).status).toBe(200);
    });
  });

  it("lets the operator purge stored responses by key, by account or all, and purges a key's responses when it is deleted", async () => {
    const admin = new Admin(stack);
    const accountId = await admin.createAccount('Cache purge team', { topUp: '5' });
    const inference = await admin.createKey(accountId, { name: 'app' });
    const management = await admin.createKey(accountId, { name: 'ops', kind: 'management' });
    const hash = inference.data.hash as string;
    const team = new OpenAI({ baseURL: stack.baseUrl, apiKey: inference.key, maxRetries: 0 });
    await waitFor(async () => (await fetch(`${stack.baseUrl}/key`, { headers: { authorization: `Bearer ${inference.key}` } })).status === 200, { message: 'the key known' });
    const question = 'Which planet is the largest?';
    /** Asks until the answer is stored (a MISS the first time, then a HIT). */
    const cached = async () => {
      const before = await stored();
      expect((await chat(question, CACHE, team)).response.headers.get('x-openrouter-cache-status')).toBe('MISS');
      await waitStored(before + 1);
      expect((await chat(question, CACHE, team)).response.headers.get('x-openrouter-cache-status')).toBe('HIT');
    };
    const purge = (query: string, token = TEST_ADMIN_TOKEN) => fetch(`${stack.adminUrl('ingress')}/admin/response-cache${query}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });

    await cached();
    // Asked wrongly: nothing is purged. The admin token guards it.
    for (const query of ['', `?key_hash=${hash}&all=true`, '?key_hash=nothex', '?all=yes']) {
      const refused = await purge(query);
      expect(refused.status).toBe(400);
      expect(await refused.json()).toEqual({ error: { code: 400, message: expect.stringMatching(/^Invalid purge/), metadata: expect.anything() } });
    }
    expect((await purge(`?key_hash=${'0'.repeat(64)}`)).status).toBe(404);
    expect((await purge(`?key_hash=${hash}`, 'not-the-admin-token')).status).toBe(401);
    expect((await chat(question, CACHE, team)).response.headers.get('x-openrouter-cache-status')).toBe('HIT');

    // By key, then by account: the next request is a miss and stores afresh.
    const byKey = await purge(`?key_hash=${hash}`);
    expect(byKey.status).toBe(200);
    expect(await byKey.json()).toEqual({ purged: 1 });
    await cached();
    expect(await (await purge(`?account_id=${accountId}`)).json()).toEqual({ purged: 1 });
    await cached();

    // Deleting the key (its owner's management key) removes what it stored, on its own.
    const nats = await connect({ servers: TEST_NATS_URL });
    try {
      const manager = await jetstreamManager(nats);
      const stream = responseCacheStreamName(stack.prefix);
      const entries = async () => (await manager.streams.info(stream)).state.messages;
      const before = await entries();
      const deleted = await fetch(`${stack.baseUrl}/keys/${hash}`, { method: 'DELETE', headers: { authorization: `Bearer ${management.key}` } });
      expect(deleted.status).toBe(200);
      await waitFor(async () => (await entries()) === before - 1, { timeoutMs: 10_000, message: "the deleted key's entry purged" });
      // Everything: what the tests before this one stored goes too.
      expect(before - 1).toBeGreaterThan(0);
      expect(await (await purge('?all=true')).json()).toEqual({ purged: before - 1 });
      expect(await entries()).toBe(0);
    } finally {
      await nats.close();
    }
  });
});
