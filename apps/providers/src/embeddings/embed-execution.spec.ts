import { getAdapter, encodeFloat32Base64, type ProviderAdapter } from '@switchyard/adapters';
import { providerEmbedFrameSchema, providerEmbedRequestSchema, type ProviderEmbedFrame, type ProviderEmbedRequest } from '@switchyard/contracts';
import { MockAgent, type Dispatcher } from 'undici';
import type { ResolvedProvider } from '../catalog/resolved-provider.js';
import { EmbedExecution, type EmbedDependencies } from './embed-execution.js';

const ORIGIN = 'https://api.fake.test';

function embedRequest(overrides: Partial<ProviderEmbedRequest> = {}, request: Partial<ProviderEmbedRequest['request']> = {}) {
  return providerEmbedRequestSchema.parse({
    attemptId: 'att-embed-1',
    generationId: 'gen-1',
    accountId: 'acct-1',
    endpoint: { id: 'openai/text-embedding-3-small@fake', modelId: 'openai/text-embedding-3-small', providerSlug: 'fake', upstreamModelId: 'text-embedding-3-small' },
    request: { input: ['hello world', 'second input'], encodingFormat: 'float', ...request },
    timeouts: { connectMs: 1_000, totalMs: 2_000 },
    heartbeatMs: 1_000,
    ...overrides,
  });
}

function provider(overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  const adapter: ProviderAdapter = getAdapter('openai', 'openai');
  return { slug: 'fake', name: 'Fake', active: true, wireFormat: 'openai', preset: 'openai', baseUrl: `${ORIGIN}/v1`, apiVersion: undefined, origin: ORIGIN, adapter, problem: null, simulator: false, ...overrides };
}

function harness(options: { resolved?: ResolvedProvider; maxFrameBytes?: number; publish?: (frame: string) => void } = {}) {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const pool = agent.get(ORIGIN);
  const frames: ProviderEmbedFrame[] = [];
  const rawFrames: string[] = [];
  const origins: string[] = [];
  const dependencies: EmbedDependencies = {
    publishFrame: (subject, frame) => {
      expect(subject).toBe('_INBOX.embed');
      options.publish?.(frame);
      rawFrames.push(frame);
      frames.push(providerEmbedFrameSchema.parse(JSON.parse(frame)));
    },
    resolveProvider: () => ('resolved' in options ? options.resolved : provider()),
    resolveKey: () => ({ ok: true, apiKey: 'sk-fake', source: 'env' }),
    dispatcher: (origin) => {
      origins.push(origin);
      return pool as unknown as Dispatcher;
    },
    maxFrameBytes: options.maxFrameBytes ?? 64 * 1024,
    maxResponseBytes: 1024 * 1024,
  };
  const start = (request = embedRequest()) => {
    const execution = new EmbedExecution(request, '_INBOX.embed', dependencies);
    return { execution, done: execution.run() };
  };
  return { pool, frames, rawFrames, origins, start, close: () => agent.close() };
}

const answer = (embeddings: unknown[], usage: Record<string, number> | undefined = { prompt_tokens: 6, total_tokens: 6 }) =>
  JSON.stringify({ object: 'list', model: 'text-embedding-3-small', data: embeddings.map((embedding, index) => ({ object: 'embedding', index, embedding })), ...(usage ? { usage } : {}) });

function assembled(frames: ProviderEmbedFrame[]): Array<number[] | string> {
  const out: Array<number[] | string> = [];
  for (const frame of frames) {
    if (frame.k !== 'items') continue;
    for (const item of frame.items) {
      const existing = out[item.index];
      if (existing === undefined) out[item.index] = item.embedding;
      else out[item.index] = typeof existing === 'string' ? existing + (item.embedding as string) : [...existing, ...(item.embedding as number[])];
    }
  }
  return out;
}

describe('EmbedExecution', () => {
  it('calls {base}/embeddings with the key and sends items then done with the usage', async () => {
    const { pool, frames, origins, start, close } = harness();
    let sent: Record<string, unknown> | undefined;
    pool
      .intercept({ path: '/v1/embeddings', method: 'POST', headers: { authorization: 'Bearer sk-fake' } })
      .reply(200, (options) => {
        sent = JSON.parse(String(options.body)) as Record<string, unknown>;
        return answer([[0.5, -0.25], [0.125, 1]]);
      });
    const result = await start().done;
    expect(origins).toEqual([ORIGIN]);
    expect(sent).toEqual({ model: 'text-embedding-3-small', input: ['hello world', 'second input'] });
    expect(frames.map((frame) => frame.k)).toEqual(['items', 'done']);
    expect(assembled(frames)).toEqual([[0.5, -0.25], [0.125, 1]]);
    expect(frames.at(-1)).toEqual({ k: 'done', count: 2, usage: expect.objectContaining({ promptTokens: 6, completionTokens: 0, totalTokens: 6 }), upstreamId: null, upstreamModel: 'text-embedding-3-small', upstreamMs: expect.any(Number), upstreamStatus: 200 });
    expect(result).toMatchObject({ ok: true, status: 200, error: null, usage: { promptTokens: 6 }, interrupted: null });
    await close();
  });

  it('splits large embeddings across frames under the limit, in base64 too', async () => {
    const vectors = Array.from({ length: 3 }, (_row, row) => Array.from({ length: 400 }, (_column, column) => Math.fround(Math.sin(row * 1000 + column))));
    const floats = harness({ maxFrameBytes: 4_096 });
    floats.pool.intercept({ path: '/v1/embeddings', method: 'POST' }).reply(200, answer(vectors));
    await floats.start(embedRequest({}, { input: ['a', 'b', 'c'] })).done;
    expect(floats.rawFrames.every((frame) => frame.length <= 4_096)).toBe(true);
    expect(floats.frames.filter((frame) => frame.k === 'items').length).toBeGreaterThan(3);
    expect(assembled(floats.frames)).toEqual(vectors);
    await floats.close();

    const base64 = harness({ maxFrameBytes: 4_096 });
    base64.pool.intercept({ path: '/v1/embeddings', method: 'POST' }).reply(200, answer(vectors.map((vector) => encodeFloat32Base64(vector))));
    await base64.start(embedRequest({}, { input: ['a', 'b', 'c'], encodingFormat: 'base64' })).done;
    expect(base64.rawFrames.every((frame) => frame.length <= 4_096)).toBe(true);
    expect(assembled(base64.frames)).toEqual(vectors.map((vector) => encodeFloat32Base64(vector)));
    await base64.close();
  });

  it("answers an upstream 429 with one retryable failed frame carrying the provider's wait", async () => {
    const { pool, frames, start, close } = harness();
    pool
      .intercept({ path: '/v1/embeddings', method: 'POST' })
      .reply(429, JSON.stringify({ error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }), { headers: { 'retry-after': '2', 'content-type': 'application/json' } });
    const result = await start().done;
    expect(frames).toEqual([{ k: 'failed', upstreamMs: expect.any(Number), error: expect.objectContaining({ status: 429, errorType: 'rate_limit_exceeded', retryable: true, retryAfterMs: 2_000, phase: 'status' }) }]);
    expect(result).toMatchObject({ ok: false, status: 429, usage: null });
    await close();
  });

  it('fails a 200 whose body is not an embeddings list as a retryable 502', async () => {
    const { pool, frames, start, close } = harness();
    pool.intercept({ path: '/v1/embeddings', method: 'POST' }).reply(200, answer([[0.5]]));
    await start().done;
    expect(frames).toEqual([{ k: 'failed', upstreamMs: expect.any(Number), error: expect.objectContaining({ status: 502, retryable: true, phase: 'body' }) }]);
    await close();
  });

  it('runs a rerank call against {base}/rerank and sends its scores, best first, on done (no items)', async () => {
    const { pool, frames, start, close } = harness({ resolved: provider({ preset: 'together' }) });
    let sent: Record<string, unknown> | undefined;
    pool
      .intercept({ path: '/v1/rerank', method: 'POST', headers: { authorization: 'Bearer sk-fake' } })
      .reply(200, (options) => {
        sent = JSON.parse(String(options.body)) as Record<string, unknown>;
        return JSON.stringify({ id: 'rr-1', model: 'Salesforce/Llama-Rank-V1', results: [{ index: 0, relevance_score: 0.1 }, { index: 2, relevance_score: 0.8 }], usage: { prompt_tokens: 11, total_tokens: 11 } });
      });
    const request = embedRequest({ endpoint: { id: 'r@fake', modelId: 'r', providerSlug: 'fake', upstreamModelId: 'Salesforce/Llama-Rank-V1' } });
    const result = await start({ ...request, request: { operation: 'rerank', query: 'which?', documents: ['a', 'b', 'c'], topN: 2 } }).done;
    expect(sent).toEqual({ model: 'Salesforce/Llama-Rank-V1', query: 'which?', documents: ['a', 'b', 'c'], top_n: 2, return_documents: false });
    expect(frames).toEqual([
      {
        k: 'done',
        count: 0,
        results: [
          { index: 2, relevanceScore: 0.8 },
          { index: 0, relevanceScore: 0.1 },
        ],
        usage: expect.objectContaining({ promptTokens: 11, completionTokens: 0 }),
        upstreamId: 'rr-1',
        upstreamModel: 'Salesforce/Llama-Rank-V1',
        upstreamMs: expect.any(Number),
        upstreamStatus: 200,
      },
    ]);
    expect(result).toMatchObject({ ok: true, status: 200, usage: { promptTokens: 11 } });
    await close();
  });

  it('fails a rerank call on a provider without a rerank API (retryable elsewhere) without calling it', async () => {
    const { frames, start, close } = harness();
    const request = embedRequest();
    await start({ ...request, request: { operation: 'rerank', query: 'q', documents: ['a'] } }).done;
    expect(frames).toEqual([{ k: 'failed', upstreamMs: 0, error: expect.objectContaining({ status: 502, retryable: true, message: expect.stringContaining('serves no rerank') }) }]);
    await close();
  });

  it('refuses before any call: a provider without embeddings (retryable), token inputs to Gemini (400), a foreign origin', async () => {
    const anthropic = harness({ resolved: provider({ wireFormat: 'anthropic', preset: undefined }) });
    await anthropic.start().done;
    expect(anthropic.frames[0]).toMatchObject({ k: 'failed', error: { status: 502, retryable: true, message: expect.stringContaining('serves no embeddings') } });
    expect(anthropic.origins).toEqual([]);

    const gemini = harness({ resolved: provider({ wireFormat: 'gemini', preset: undefined }) });
    await gemini.start(embedRequest({}, { input: [[1, 2, 3]] })).done;
    expect(gemini.frames[0]).toMatchObject({ k: 'failed', error: { status: 400, errorType: 'invalid_request', retryable: false } });
    expect(gemini.origins).toEqual([]);

    const foreign = harness({ resolved: provider({ origin: 'https://elsewhere.test' }) });
    const result = await foreign.start().done;
    expect(foreign.frames[0]).toMatchObject({ k: 'failed', error: { status: 502, retryable: false, message: expect.stringContaining('not the provider') } });
    expect(foreign.origins).toEqual([]);
    expect(result.upstreamMs).toBeNull();
    await Promise.all([anthropic.close(), gemini.close(), foreign.close()]);
  });

  it('sends heartbeats while the upstream works and times out after totalMs with a retryable 504', async () => {
    const { pool, frames, start, close } = harness();
    pool.intercept({ path: '/v1/embeddings', method: 'POST' }).reply(200, answer([[1], [2]])).delay(1_500);
    const result = await start(embedRequest({ heartbeatMs: 100, timeouts: { connectMs: 2_000, totalMs: 600 } })).done;
    expect(frames.filter((frame) => frame.k === 'heartbeat').length).toBeGreaterThanOrEqual(3);
    expect(frames.at(-1)).toMatchObject({ k: 'failed', error: { status: 504, errorType: 'timeout', retryable: true, message: expect.stringContaining('600 ms') } });
    expect(frames.filter((frame) => frame.k === 'failed')).toHaveLength(1);
    expect(result).toMatchObject({ ok: false, status: 504, interrupted: 'timeout' });
    await close();
  });

  it('ends at once with a 499 when cancelled, and reports a call whose caller is gone as cancelled', async () => {
    const cancelled = harness();
    cancelled.pool.intercept({ path: '/v1/embeddings', method: 'POST' }).reply(200, answer([[1], [2]])).delay(1_000);
    const { execution, done } = cancelled.start();
    setTimeout(() => execution.interrupt({ kind: 'cancelled', reason: 'client-cancelled' }), 50);
    const result = await done;
    expect(cancelled.frames).toEqual([{ k: 'failed', upstreamMs: expect.any(Number), error: expect.objectContaining({ status: 499, phase: 'cancelled', retryable: false }) }]);
    expect(result).toMatchObject({ ok: false, interrupted: 'cancelled' });
    await cancelled.close();

    const gone = harness({
      publish: () => {
        throw new Error('connection closed');
      },
    });
    gone.pool.intercept({ path: '/v1/embeddings', method: 'POST' }).reply(200, answer([[1], [2]]));
    const unreachable = await gone.start().done;
    expect(unreachable).toMatchObject({ ok: false, status: 499, interrupted: 'cancelled' });
    await gone.close();
  });
});
