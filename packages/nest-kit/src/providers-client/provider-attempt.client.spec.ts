import { jest } from '@jest/globals';
import { subjects, type ProviderChatRequest, type ProviderFrame } from '@switchyard/contracts';
import type { NatsService } from '../nats/nats.service.js';
import { ProviderAttemptClient } from './provider-attempt.client.js';

const request: ProviderChatRequest = {
  attemptId: 'att-test-1',
  generationId: 'gen-test-1',
  accountId: 'acct-1',
  endpoint: { id: 'acme/chat-1@alpha', modelId: 'acme/chat-1', providerSlug: 'alpha', upstreamModelId: 'chat-1' },
  byok: false,
  request: { model: 'acme/chat-1', messages: [{ role: 'user', content: 'hi' }], stream: true },
  timeouts: { connectMs: 1_000, firstTokenMs: 1_000, idleMs: 1_000 },
  heartbeatMs: 100,
} as ProviderChatRequest;

/** A NATS connection that records publishes and lets the test deliver frames to the subscribed inbox. */
class FakeConnection {
  readonly published: Array<{ subject: string; data: unknown; reply?: string }> = [];
  readonly subscribed: string[] = [];
  private readonly callbacks = new Map<string, (error: Error | null, message: { subject: string; data: Uint8Array }) => void>();
  failPublish: Error | undefined;
  failSubscribe: Error | undefined;

  subscribe(subject: string, options: { callback: (error: Error | null, message: { subject: string; data: Uint8Array }) => void }) {
    if (this.failSubscribe) throw this.failSubscribe;
    this.subscribed.push(subject);
    this.callbacks.set(subject, options.callback);
    return { unsubscribe: () => undefined, isClosed: () => false };
  }

  publish(subject: string, data: string | Uint8Array, options: { reply?: string } = {}): void {
    if (this.failPublish && subject === subjects.providers.chat) throw this.failPublish;
    this.published.push({ subject, data: JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data)), reply: options.reply });
  }

  /** Delivers a frame to the reply subject of the last attempt published (through the wildcard reply subscription). */
  deliver(frame: ProviderFrame): void {
    const inbox = this.published.filter((entry) => entry.subject === subjects.providers.chat).at(-1)?.reply;
    if (!inbox) throw new Error('nothing published yet');
    for (const [pattern, callback] of this.callbacks) {
      if (pattern.endsWith('.*') && inbox.startsWith(pattern.slice(0, -1))) callback(null, { subject: inbox, data: new TextEncoder().encode(JSON.stringify(frame)) });
    }
  }

  cancels(): unknown[] {
    return this.published.filter((entry) => entry.subject === subjects.providers.cancel).map((entry) => entry.data);
  }
}

function natsWith(connection: FakeConnection | undefined): NatsService {
  return {
    get connection() {
      if (!connection) throw new Error('NATS is not connected yet');
      return connection;
    },
    traceHeaders: () => undefined,
  } as unknown as NatsService;
}

describe('ProviderAttemptClient', () => {
  afterEach(() => jest.useRealTimers());

  it('relays parts in order and resolves with the end of the last parts frame', async () => {
    const connection = new FakeConnection();
    const client = new ProviderAttemptClient(natsWith(connection));
    const received: string[] = [];
    const pending = client.run(request, { onParts: (parts) => received.push(...parts.map((part) => part.type)) });
    connection.deliver({ k: 'heartbeat' });
    connection.deliver({ k: 'parts', parts: [{ type: 'text-delta', text: 'hel' }] } as ProviderFrame);
    connection.deliver({ k: 'parts', parts: [{ type: 'text-delta', text: 'lo' }, { type: 'finish', finishReason: 'stop' }], end: { upstreamMs: 12, ttftMs: 3, upstreamStatus: 200 } } as ProviderFrame);
    await expect(pending).resolves.toEqual({ ok: true, end: { upstreamMs: 12, ttftMs: 3, upstreamStatus: 200 } });
    expect(received).toEqual(['text-delta', 'text-delta', 'finish']);
    // A second attempt reuses the one wildcard reply subscription (no SUB/UNSUB per request) and gets only its own frames.
    const second = client.run({ ...request, attemptId: 'att-test-2' }, { onParts: () => undefined });
    connection.deliver({ k: 'parts', parts: [{ type: 'finish', finishReason: 'stop' }], end: { upstreamMs: 1, ttftMs: 1, upstreamStatus: 200 } } as ProviderFrame);
    await expect(second).resolves.toMatchObject({ ok: true });
    expect(connection.subscribed).toHaveLength(1);
    expect(connection.subscribed[0]).toMatch(/\.\*$/);
  });

  it('reports whether content reached the caller when the attempt fails (failover is only possible before)', async () => {
    const connection = new FakeConnection();
    const client = new ProviderAttemptClient(natsWith(connection));
    const pending = client.run(request, { onParts: () => undefined });
    connection.deliver({ k: 'parts', parts: [{ type: 'text-delta', text: 'partial' }] } as ProviderFrame);
    connection.deliver({ k: 'failed', error: { status: 502, errorType: 'provider_unavailable', retryable: true, message: 'reset', phase: 'body' }, contentSent: false, upstreamMs: 20, ttftMs: 5 } as ProviderFrame);
    const outcome = await pending;
    expect(outcome).toMatchObject({ ok: false, contentSent: true, ttftMs: 5, error: { status: 502, phase: 'body' } });
  });

  it('fails a silent attempt as retryable after the liveness window and tells providers to cancel it', async () => {
    jest.useFakeTimers();
    const connection = new FakeConnection();
    const client = new ProviderAttemptClient(natsWith(connection), { livenessMs: 500 });
    const pending = client.run(request, { onParts: () => undefined });
    jest.advanceTimersByTime(499);
    connection.deliver({ k: 'heartbeat' }); // a heartbeat re-arms the window
    jest.advanceTimersByTime(499);
    expect(connection.cancels()).toEqual([]);
    jest.advanceTimersByTime(1);
    await expect(pending).resolves.toMatchObject({ ok: false, contentSent: false, error: { status: 502, errorType: 'provider_unavailable', retryable: true } });
    expect(connection.cancels()).toEqual([{ attemptId: request.attemptId, reason: 'liveness' }]);
  });

  it('keeps one liveness timer however many frames arrive, each moving the window', async () => {
    jest.useFakeTimers();
    const connection = new FakeConnection();
    const client = new ProviderAttemptClient(natsWith(connection), { livenessMs: 500 });
    const pending = client.run(request, { onParts: () => undefined });
    for (let frame = 0; frame < 5; frame++) {
      jest.advanceTimersByTime(400);
      connection.deliver({ k: 'parts', parts: [{ type: 'text-delta', text: `t${frame}` }] } as ProviderFrame);
      expect(jest.getTimerCount()).toBe(1);
    }
    jest.advanceTimersByTime(499);
    expect(connection.cancels()).toEqual([]);
    jest.advanceTimersByTime(1);
    await expect(pending).resolves.toMatchObject({ ok: false, contentSent: true, error: { retryable: false } });
    expect(connection.cancels()).toEqual([{ attemptId: request.attemptId, reason: 'liveness' }]);
  });

  it('cancels at once when the caller aborts, and ignores frames arriving afterwards', async () => {
    const connection = new FakeConnection();
    const client = new ProviderAttemptClient(natsWith(connection));
    const abort = new AbortController();
    const received: unknown[] = [];
    const pending = client.run(request, { onParts: (parts) => received.push(...parts) }, abort.signal);
    abort.abort();
    connection.deliver({ k: 'parts', parts: [{ type: 'text-delta', text: 'late' }] } as ProviderFrame);
    await expect(pending).resolves.toMatchObject({ ok: false, error: { status: 499, phase: 'cancelled', retryable: false } });
    expect(connection.cancels()).toEqual([{ attemptId: request.attemptId, reason: 'client-cancelled' }]);
    expect(received).toEqual([]);
  });

  it.each([
    ['NATS is not connected', () => undefined],
    ['subscribe throws', () => Object.assign(new FakeConnection(), { failSubscribe: new Error('connection closed') })],
    ['publish throws', () => Object.assign(new FakeConnection(), { failPublish: new Error('connection closed') })],
  ])('resolves (never rejects) with a retryable provider_unavailable when %s', async (_label, make) => {
    jest.useFakeTimers();
    const connection = make();
    const client = new ProviderAttemptClient(natsWith(connection), { livenessMs: 500 });
    const outcome = await client.run(request, { onParts: () => undefined });
    expect(outcome).toMatchObject({ ok: false, contentSent: false, error: { status: 502, errorType: 'provider_unavailable', retryable: true, phase: 'connect' } });
    expect(jest.getTimerCount()).toBe(0); // no liveness timer left behind
  });
});
