import { jest } from '@jest/globals';
import OpenAI from 'openai';
import { Decimal } from '@switchyard/money';
import { TEST_ADMIN_TOKEN, waitFor } from '@switchyard/nest-kit/testing';
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
});
