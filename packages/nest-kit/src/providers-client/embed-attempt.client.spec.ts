import { headers as natsHeaders, type Msg } from '@nats-io/transport-node';
import { subjects, type ProviderEmbedFrame, type ProviderEmbedRequest } from '@switchyard/contracts';
import { makeUsage } from '@switchyard/llm-spec';
import type { NatsService } from '../nats/nats.service.js';
import { EmbedAttemptClient, NO_REPLICA_MESSAGE } from './embed-attempt.client.js';

/** A NATS connection stand-in: records publishes, and lets the test deliver messages to the subscribed inbox. */
class FakeNats {
  readonly published: Array<{ subject: string; data: unknown; reply?: string }> = [];
  private callback: ((error: Error | null, message: Msg) => void) | undefined;
  unsubscribed = false;
  /** The server's max_payload (NatsService.maxPayload). */
  maxPayload = 64 * 1024;
  readonly connection = {
    subscribe: (_subject: string, options: { callback: (error: Error | null, message: Msg) => void }) => {
      this.callback = options.callback;
      return { unsubscribe: () => (this.unsubscribed = true) };
    },
    publish: (subject: string, data: string, options: { reply?: string } = {}) => {
      this.published.push({ subject, data: JSON.parse(data), reply: options.reply });
    },
  };
  traceHeaders() {
    return natsHeaders();
  }
  send(frame: ProviderEmbedFrame | Record<string, unknown>): void {
    this.callback?.(null, { data: new TextEncoder().encode(JSON.stringify(frame)), headers: undefined } as unknown as Msg);
  }
  noResponders(): void {
    const headers = natsHeaders(503, 'No Responders');
    this.callback?.(null, { data: new Uint8Array(), headers } as unknown as Msg);
  }
}

const request: ProviderEmbedRequest = {
  attemptId: 'att-1',
  generationId: 'gen-1',
  accountId: 'acct-1',
  endpoint: { id: 'm/e@p', modelId: 'm/e', providerSlug: 'p', upstreamModelId: 'e' },
  request: { input: ['a', 'b'], encodingFormat: 'float' },
  timeouts: { connectMs: 1_000, totalMs: 5_000 },
};

const done = (count: number): ProviderEmbedFrame => ({ k: 'done', count, usage: makeUsage({ promptTokens: 2, completionTokens: 0 }), upstreamId: 'up-1', upstreamModel: 'e', upstreamMs: 12, upstreamStatus: 200 });

function setup(livenessMs = 2_000) {
  const nats = new FakeNats();
  const client = new EmbedAttemptClient(nats as unknown as NatsService, livenessMs);
  return { nats, client };
}

describe('EmbedAttemptClient', () => {
  it('publishes the call with its inbox as reply and reassembles items, pieces included, in input order', async () => {
    const { nats, client } = setup();
    const running = client.run(request);
    const [call] = nats.published;
    expect(call).toMatchObject({ subject: subjects.providers.embed, data: request, reply: expect.stringMatching(/^_INBOX\./) });
    nats.send({ k: 'heartbeat' });
    nats.send({ k: 'items', items: [{ index: 0, embedding: [0.5, 0.25], more: true }] });
    nats.send({ k: 'items', items: [{ index: 0, embedding: [0.125] }, { index: 1, embedding: [1, 2, 3] }] });
    nats.send(done(2));
    expect(await running).toEqual({ ok: true, embeddings: [[0.5, 0.25, 0.125], [1, 2, 3]], results: [], usage: expect.objectContaining({ promptTokens: 2 }), upstreamId: 'up-1', upstreamModel: 'e', upstreamMs: 12, upstreamStatus: 200 });
    expect(nats.unsubscribed).toBe(true);
  });

  it('concatenates base64 pieces', async () => {
    const { nats, client } = setup();
    const running = client.run({ ...request, request: { input: ['a'], encodingFormat: 'base64' } });
    nats.send({ k: 'items', items: [{ index: 0, embedding: 'AAAA', more: true }, { index: 0, embedding: 'AAA=' }] });
    nats.send(done(1));
    expect(await running).toMatchObject({ ok: true, embeddings: ['AAAAAAA='] });
  });

  it("resolves a rerank call on done with its scores, and refuses scores of documents it did not send", async () => {
    const rerank: ProviderEmbedRequest = { ...request, request: { operation: 'rerank', query: 'q', documents: ['a', 'b', 'c'], topN: 2 } };
    const { nats, client } = setup();
    const running = client.run(rerank);
    expect(nats.published[0]).toMatchObject({ subject: subjects.providers.embed, data: rerank });
    const results = [
      { index: 2, relevanceScore: 0.9 },
      { index: 0, relevanceScore: 0.1 },
    ];
    nats.send({ ...done(0), results });
    expect(await running).toMatchObject({ ok: true, embeddings: [], results, upstreamStatus: 200 });

    const outOfRange = setup();
    const beyond = outOfRange.client.run(rerank);
    outOfRange.nats.send({ ...done(0), results: [{ index: 3, relevanceScore: 0.5 }] });
    expect(await beyond).toMatchObject({ ok: false, error: { status: 502, retryable: true, message: expect.stringContaining('document index 3 is out of range') } });

    const repeated = setup();
    const twice = repeated.client.run(rerank);
    repeated.nats.send({ ...done(0), results: [{ index: 1, relevanceScore: 0.5 }, { index: 1, relevanceScore: 0.4 }] });
    expect(await twice).toMatchObject({ ok: false, error: { status: 502, message: expect.stringContaining('document 1 is scored twice') } });
  });

  it("returns providers' failure as is", async () => {
    const { nats, client } = setup();
    const running = client.run(request);
    nats.send({ k: 'failed', upstreamMs: 7, error: { status: 429, errorType: 'rate_limit_exceeded', message: 'slow down', retryable: true, retryAfterMs: 1_000, phase: 'status' } });
    expect(await running).toEqual({ ok: false, upstreamMs: 7, error: { status: 429, errorType: 'rate_limit_exceeded', message: 'slow down', retryable: true, retryAfterMs: 1_000, phase: 'status' } });
  });

  it('turns an incomplete or malformed answer into a retryable 502', async () => {
    const missing = setup();
    const short = missing.client.run(request);
    missing.nats.send({ k: 'items', items: [{ index: 0, embedding: [1] }] });
    missing.nats.send(done(2));
    expect(await short).toMatchObject({ ok: false, error: { status: 502, retryable: true, message: expect.stringContaining('embedding 1 missing') } });

    const malformed = setup();
    const bad = malformed.client.run(request);
    malformed.nats.send({ k: 'items', items: [{ index: 5, embedding: [1] }] });
    expect(await bad).toMatchObject({ ok: false, error: { status: 502, retryable: true, message: expect.stringContaining('out of range') } });

    const twice = setup();
    const repeated = twice.client.run(request);
    twice.nats.send({ k: 'items', items: [{ index: 0, embedding: [1] }, { index: 0, embedding: [2] }] });
    expect(await repeated).toMatchObject({ ok: false, error: { status: 502, message: expect.stringContaining('sent twice') } });
  });

  it('fails fast and retryable when no providers replica listens (NATS no responders)', async () => {
    const { nats, client } = setup();
    const running = client.run(request);
    nats.noResponders();
    expect(await running).toMatchObject({ ok: false, error: { status: 502, errorType: 'provider_unavailable', retryable: true, phase: 'connect', message: 'No providers replica is taking embeddings calls' } });
  });

  it('gives up on a silent replica after the liveness window (heartbeats keep it alive) and cancels the call', async () => {
    const { nats, client } = setup(150);
    const started = performance.now();
    const running = client.run(request);
    const beat = setInterval(() => nats.send({ k: 'heartbeat' }), 50);
    setTimeout(() => clearInterval(beat), 400);
    const outcome = await running;
    expect(performance.now() - started).toBeGreaterThanOrEqual(500);
    expect(outcome).toMatchObject({ ok: false, error: { status: 502, retryable: true, message: NO_REPLICA_MESSAGE } });
    expect(nats.published.at(-1)).toEqual({ subject: subjects.providers.cancel, data: { attemptId: 'att-1', reason: 'liveness' }, reply: undefined });
  });

  it('refuses inputs too large for one NATS message with a non-retryable 413, without publishing', async () => {
    const { nats, client } = setup();
    const outcome = await client.run({ ...request, request: { input: [Array(70 * 1024).fill('x').join('')], encodingFormat: 'float' } });
    expect(outcome).toMatchObject({ ok: false, error: { status: 413, errorType: 'payload_too_large', retryable: false, message: expect.stringContaining('send fewer or shorter inputs') } });
    const rerank = await client.run({ ...request, request: { operation: 'rerank', query: 'q', documents: [Array(70 * 1024).fill('x').join('')] } });
    expect(rerank).toMatchObject({ ok: false, error: { status: 413, message: expect.stringContaining('send fewer or shorter documents') } });
    expect(nats.published).toEqual([]);
    expect(nats.unsubscribed).toBe(true);
  });

  it('cancels the call on the shared broadcast when the client goes away', async () => {
    const { nats, client } = setup();
    const abort = new AbortController();
    const running = client.run(request, abort.signal);
    abort.abort();
    expect(await running).toMatchObject({ ok: false, error: { status: 499, phase: 'cancelled', retryable: false } });
    expect(nats.published.at(-1)).toEqual({ subject: subjects.providers.cancel, data: { attemptId: 'att-1', reason: 'client-cancelled' }, reply: undefined });
  });
});
