import { createInbox } from '@nats-io/transport-node';
import { newAttemptId, newGenerationId, providerEmbedFrameSchema, subjects, type AttemptCompleted, type AttemptUsage, type ProviderEmbedFrame, type ProviderEmbedRequest } from '@switchyard/contracts';
import { dropSchema, type NatsService } from '@switchyard/nest-kit';
import { TEST_DATABASE_URL, uniqueSchema, waitFor } from '@switchyard/nest-kit/testing';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EmbedHandler } from '../../src/embeddings/embed.handler.js';
import { admin, bootProviders, connectCaller, FakeCatalog, provider, Recorder, type ProvidersInstance } from './support/harness.js';

/** A fake upstream speaking OpenAI `/v1/embeddings` and Gemini `:embedContent` / `:batchEmbedContents`. */
class EmbeddingsUpstream {
  readonly calls: Array<{ path: string; headers: IncomingMessage['headers']; body: Record<string, unknown>; aborted?: boolean }> = [];
  private server: Server | undefined;
  baseUrl = '';

  async start(): Promise<this> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    const call: (typeof this.calls)[number] = { path: request.url ?? '', headers: request.headers, body };
    this.calls.push(call);
    response.on('close', () => (call.aborted = !response.writableFinished));
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(value));
    };
    const vector = (seed: number, dimensions: number) => Array.from({ length: dimensions }, (_, index) => Math.fround(Math.cos(seed * 31 + index)));
    if (call.path === '/v2/rerank') {
      // Cohere's answer: best first, no tokens, one search unit billed.
      const documents = body.documents as string[];
      const ranked = documents.map((document, index) => ({ index, relevance_score: document.includes(String(body.query)) ? 0.9 : 0.1 / (index + 1) })).sort((a, b) => b.relevance_score - a.relevance_score);
      return json(200, { id: 'cohere-rerank-1', results: ranked.slice(0, typeof body.top_n === 'number' ? body.top_n : undefined), meta: { api_version: { version: '2' }, billed_units: { search_units: 1 } } });
    }
    if (call.path.includes(':embedContent')) return json(200, { embedding: { values: vector(0, 4) } });
    if (call.path.includes(':batchEmbedContents')) return json(200, { embeddings: (body.requests as unknown[]).map((_, index) => ({ values: vector(index, 4) })) });
    const model = String(body.model);
    const inputs = body.input as unknown[];
    if (model === 'rate-limited') return json(429, { error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } }, { 'retry-after': '3' });
    if (model === 'slow') {
      // Answers after 5 s unless the caller hangs up first (no timer left behind when the test is over).
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5_000);
        response.on('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (response.destroyed) return;
    const dimensions = typeof body.dimensions === 'number' ? body.dimensions : 8;
    json(200, { object: 'list', model, data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: vector(index, dimensions) })), usage: { prompt_tokens: inputs.length * 3, total_tokens: inputs.length * 3 } });
  }
}

interface EmbedRun {
  frames: ProviderEmbedFrame[];
  last: ProviderEmbedFrame;
  embeddings: Array<number[] | string>;
}

/** Stands in for ingress: an inbox, the request published with it as reply subject, frames collected to the end. */
async function embed(caller: NatsService, request: ProviderEmbedRequest, options: { afterFirstHeartbeat?: () => void } = {}): Promise<EmbedRun> {
  const inbox = createInbox();
  const frames: ProviderEmbedFrame[] = [];
  return new Promise<EmbedRun>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no end frame within 15 s (${frames.length} frames)`)), 15_000);
    const subscription = caller.connection.subscribe(inbox, {
      callback: (_error, message) => {
        const frame = providerEmbedFrameSchema.parse(JSON.parse(new TextDecoder().decode(message.data)));
        frames.push(frame);
        if (frame.k === 'heartbeat' && frames.filter((candidate) => candidate.k === 'heartbeat').length === 1) options.afterFirstHeartbeat?.();
        if (frame.k !== 'done' && frame.k !== 'failed') return;
        clearTimeout(timer);
        subscription.unsubscribe();
        const embeddings: Array<number[] | string> = [];
        for (const candidate of frames) {
          if (candidate.k !== 'items') continue;
          for (const item of candidate.items) {
            const existing = embeddings[item.index];
            embeddings[item.index] = existing === undefined ? item.embedding : typeof existing === 'string' ? existing + String(item.embedding) : [...existing, ...(item.embedding as number[])];
          }
        }
        resolve({ frames, last: frame, embeddings });
      },
    });
    caller.connection.publish(subjects.providers.embed, JSON.stringify(request), { reply: inbox });
  });
}

function embedRequest(input: { provider: string; model: string; inputs?: string[]; dimensions?: number; encodingFormat?: 'float' | 'base64'; billing?: boolean; totalMs?: number }): ProviderEmbedRequest {
  return {
    attemptId: newAttemptId(),
    generationId: newGenerationId(),
    accountId: 'acct-embed',
    endpoint: { id: `test/embedder@${input.provider}`, modelId: 'test/embedder', providerSlug: input.provider, upstreamModelId: input.model },
    request: { input: input.inputs ?? ['first', 'second'], encodingFormat: input.encodingFormat ?? 'float', ...(input.dimensions ? { dimensions: input.dimensions } : {}) },
    timeouts: { connectMs: 2_000, totalMs: input.totalMs ?? 4_000 },
    heartbeatMs: 200,
    ...(input.billing
      ? {
          billing: {
            keyId: 'key-1',
            keyHash: 'hash-1',
            attemptNumber: 1,
            requestedModel: 'test/embedder',
            model: 'test/embedder',
            providerName: input.provider,
            apiType: 'embeddings',
            pricing: { prompt: '0.00000002', completion: '0' },
          },
        }
      : {}),
  };
}

const schema = uniqueSchema('providers');

describe('embeddings and rerank calls (real NATS, fake upstream)', () => {
  let upstream: EmbeddingsUpstream;
  let caller: NatsService;
  let catalog: FakeCatalog;
  let providers: ProvidersInstance;
  let completed: Recorder<AttemptCompleted>;
  let usage: Recorder<AttemptUsage>;

  beforeAll(async () => {
    upstream = await new EmbeddingsUpstream().start();
    caller = await connectCaller('embeddings-caller');
    catalog = new FakeCatalog(caller, [
      provider('fake-openai', `${upstream.baseUrl}/v1`),
      provider('fake-gemini', `${upstream.baseUrl}/gemini/v1beta`, { wireFormat: 'gemini', adapter: undefined }),
      provider('fake-anthropic', `${upstream.baseUrl}/v1`, { wireFormat: 'anthropic', adapter: undefined }),
      provider('fake-cohere', `${upstream.baseUrl}/compatibility/v1`, { adapter: 'cohere' }),
    ]).start();
    completed = new Recorder(caller, subjects.providers.attemptCompleted);
    usage = new Recorder(caller, subjects.providers.attemptUsage);
    providers = await bootProviders({ schema, env: { PROVIDER_API_KEY_FAKE_OPENAI: 'sk-embed-0001', PROVIDER_API_KEY_FAKE_GEMINI: 'g-embed-0002', PROVIDER_API_KEY_FAKE_ANTHROPIC: 'a-0003', PROVIDER_API_KEY_FAKE_COHERE: 'co-0004', FRAME_MAX_BYTES: '8192' } });
    await waitFor(() => providers.app.get(EmbedHandler).accepting, { timeoutMs: 15_000, message: 'providers takes embeddings calls' });
  });

  afterAll(async () => {
    completed?.stop();
    usage?.stop();
    catalog?.stop();
    await providers?.close();
    await caller?.onApplicationShutdown();
    await upstream?.stop();
    await dropSchema(TEST_DATABASE_URL, schema);
  });

  it('answers an OpenAI-wire call with items and done, and publishes attempt-completed and attempt-usage with the billing', async () => {
    const request = embedRequest({ provider: 'fake-openai', model: 'text-embedding-3-small', dimensions: 4, billing: true });
    const run = await embed(caller, request);
    expect(run.last).toMatchObject({ k: 'done', count: 2, usage: { promptTokens: 6, completionTokens: 0 }, upstreamStatus: 200, upstreamModel: 'text-embedding-3-small' });
    expect(run.embeddings).toEqual([0, 1].map((seed) => Array.from({ length: 4 }, (_, index) => Math.fround(Math.cos(seed * 31 + index)))));
    const call = upstream.calls.find((candidate) => candidate.body.model === 'text-embedding-3-small')!;
    expect(call).toMatchObject({ path: '/v1/embeddings', body: { model: 'text-embedding-3-small', input: ['first', 'second'], dimensions: 4 } });
    expect(call.headers.authorization).toBe('Bearer sk-embed-0001');

    expect(await completed.find((event) => event.attemptId === request.attemptId)).toMatchObject({ ok: true, status: 200, endpointId: 'test/embedder@fake-openai', completionTokens: 0, probe: false });
    expect(await usage.find((event) => event.attemptId === request.attemptId)).toMatchObject({
      generationId: request.generationId,
      usage: { promptTokens: 6, completionTokens: 0 },
      outcome: { ok: true, contentSent: true, finishReason: 'stop' },
      billing: { apiType: 'embeddings' },
    });
  });

  it("runs a rerank call against Cohere's /v2/rerank at the base URL's origin: scores on done, usage estimated, attempt-usage with the searches billed", async () => {
    const documents = ['alpha', 'a needle here', 'gamma'];
    const base = embedRequest({ provider: 'fake-cohere', model: 'rerank-v3.5', billing: true });
    const request: ProviderEmbedRequest = {
      ...base,
      endpoint: { ...base.endpoint, id: 'cohere/rerank-v3.5@fake-cohere', modelId: 'cohere/rerank-v3.5' },
      request: { operation: 'rerank', query: 'needle', documents, topN: 2 },
      billing: { ...base.billing!, apiType: 'rerank', requestedModel: 'cohere/rerank-v3.5', model: 'cohere/rerank-v3.5', pricing: { prompt: '0', completion: '0', request: '0.002' }, requests: 2 },
    };
    const run = await embed(caller, request);
    expect(run.frames.filter((frame) => frame.k === 'items')).toEqual([]);
    expect(run.last).toMatchObject({ k: 'done', count: 0, upstreamId: 'cohere-rerank-1', upstreamStatus: 200, usage: { completionTokens: 0, estimated: true } });
    expect(run.last.k === 'done' && run.last.results).toEqual([
      { index: 1, relevanceScore: 0.9 },
      { index: 0, relevanceScore: 0.1 },
    ]);
    const call = upstream.calls.find((candidate) => candidate.path === '/v2/rerank')!;
    expect(call.body).toEqual({ model: 'rerank-v3.5', query: 'needle', documents, top_n: 2 });
    expect(call.headers.authorization).toBe('Bearer co-0004');
    expect(await usage.find((event) => event.attemptId === request.attemptId)).toMatchObject({ outcome: { ok: true, finishReason: 'stop' }, billing: { apiType: 'rerank', requests: 2 } });
    expect(await completed.find((event) => event.attemptId === request.attemptId)).toMatchObject({ ok: true, endpointId: 'cohere/rerank-v3.5@fake-cohere' });
  });

  it('streams embeddings larger than a NATS frame in several frames that reassemble exactly (base64 too)', async () => {
    const inputs = Array.from({ length: 6 }, (_, index) => `input ${index}`);
    const floats = await embed(caller, embedRequest({ provider: 'fake-openai', model: 'big', inputs, dimensions: 1_536 }));
    expect(floats.frames.filter((frame) => frame.k === 'items').length).toBeGreaterThan(6);
    expect(floats.embeddings).toHaveLength(6);
    expect(floats.embeddings.every((vector) => Array.isArray(vector) && vector.length === 1_536)).toBe(true);
    const base64 = await embed(caller, embedRequest({ provider: 'fake-openai', model: 'big', inputs, dimensions: 1_536, encodingFormat: 'base64' }));
    expect(base64.last).toMatchObject({ k: 'done', count: 6 });
    expect(base64.embeddings.map((vector) => Buffer.from(vector as string, 'base64').length)).toEqual(Array(6).fill(1_536 * 4));
  });

  it('speaks Gemini: one input to :embedContent, several to :batchEmbedContents, usage estimated', async () => {
    const one = await embed(caller, embedRequest({ provider: 'fake-gemini', model: 'gemini-embedding-001', inputs: ['What is the meaning of life?'] }));
    expect(one.last).toMatchObject({ k: 'done', count: 1, usage: { promptTokens: 7, estimated: true } });
    const batch = await embed(caller, embedRequest({ provider: 'fake-gemini', model: 'gemini-embedding-001', inputs: ['a', 'b', 'c'], dimensions: 4 }));
    expect(batch.last).toMatchObject({ k: 'done', count: 3 });
    const batchCall = upstream.calls.find((call) => call.path.endsWith(':batchEmbedContents'))!;
    expect(batchCall.path).toBe('/gemini/v1beta/models/gemini-embedding-001:batchEmbedContents');
    expect(batchCall.headers['x-goog-api-key']).toBe('g-embed-0002');
    expect((batchCall.body.requests as unknown[])[0]).toEqual({ model: 'models/gemini-embedding-001', content: { parts: [{ text: 'a' }] }, outputDimensionality: 4 });
  });

  it('fails fast with typed errors: upstream 429 (retryable, with its wait), no embeddings API (retryable), bad request (400)', async () => {
    const limited = embedRequest({ provider: 'fake-openai', model: 'rate-limited', billing: true });
    const run = await embed(caller, limited);
    expect(run.frames).toEqual([{ k: 'failed', upstreamMs: expect.any(Number), error: expect.objectContaining({ status: 429, retryable: true, retryAfterMs: 3_000 }) }]);
    expect(await usage.find((event) => event.attemptId === limited.attemptId)).toMatchObject({ usage: { promptTokens: 0 }, outcome: { ok: false, contentSent: false } });
    expect(await completed.find((event) => event.attemptId === limited.attemptId)).toMatchObject({ ok: false, status: 429, errorType: 'rate_limit_exceeded', retryAfterMs: 3_000 });

    const anthropic = await embed(caller, embedRequest({ provider: 'fake-anthropic', model: 'claude' }));
    expect(anthropic.last).toMatchObject({ k: 'failed', error: { status: 502, retryable: true } });

    const invalid = await embed(caller, { ...embedRequest({ provider: 'fake-openai', model: 'x' }), request: { input: [] } } as ProviderEmbedRequest);
    expect(invalid.last).toMatchObject({ k: 'failed', error: { status: 400, errorType: 'invalid_request', retryable: false, message: expect.stringContaining('request.input') } });
  });

  it('keeps a slow call alive with heartbeats, and a cancel on the shared broadcast closes the upstream socket', async () => {
    const request = embedRequest({ provider: 'fake-openai', model: 'slow', totalMs: 10_000 });
    const run = await embed(caller, request, { afterFirstHeartbeat: () => caller.publish(subjects.providers.cancel, { attemptId: request.attemptId, reason: 'client-cancelled' }) });
    expect(run.frames[0]).toEqual({ k: 'heartbeat' });
    expect(run.last).toMatchObject({ k: 'failed', error: { status: 499, phase: 'cancelled' } });
    await waitFor(() => upstream.calls.find((call) => call.body.model === 'slow')?.aborted === true, { timeoutMs: 2_000, message: 'upstream socket closed' });
    expect(await completed.find((event) => event.attemptId === request.attemptId)).toMatchObject({ ok: false, status: 499, errorType: 'cancelled' });
  });

  it('reports readiness in /admin/health', async () => {
    const body = (await (await admin(providers.base).get('/admin/health')).json()) as { checks: Record<string, { ok: boolean }> };
    expect(body.checks.embeddings).toMatchObject({ ok: true });
  });
});
