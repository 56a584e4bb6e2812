import { generationCompletedSchema } from '@switchyard/contracts';
import { makeUsage } from '@switchyard/llm-spec';
import { chargeFor } from '@switchyard/money';
import type { PlannedAttempt } from '@switchyard/routing-policy';
import type { FastifyRequest } from 'fastify';
import { accountRecord, keyRecord } from '../../test/support/records.js';
import { generationCompletedEvent, servedByAttempt, type ServedGeneration } from './generation-event.js';

const pricing = { prompt: '0.000001', completion: '0.000002', input_cache_read: '0.0000005' };
const attempt = {
  endpoint: { id: 'm/x:free@p', variant: 'free', pricing, providerSlug: 'p' },
  model: { id: 'm/x' },
  provider: { name: 'Provider P' },
  isByok: false,
} as unknown as PlannedAttempt;

function served(overrides: Partial<ServedGeneration> = {}): ServedGeneration {
  const usage = makeUsage({ promptTokens: 1_000, completionTokens: 50, cachedTokens: 400 });
  const now = performance.now();
  return {
    generationId: 'gen-1',
    apiType: 'completions',
    caller: { key: keyRecord(), account: accountRecord() },
    reservation: { accountId: 'acct-1', keyHash: 'h', keyLimited: false, amount: null as never, leaseId: 'lease-1', settled: true },
    request: { headers: { 'x-session-id': 'from-header', 'x-title': 'My App', 'user-agent': 'sdk/1.0', 'http-referer': 'https://app.example' } } as unknown as FastifyRequest,
    requestedModel: 'm/x:free',
    servedBy: servedByAttempt(attempt),
    records: [],
    startedAt: now - 30,
    finishedAt: now - 5,
    upstreamMs: 20,
    generationMs: 19.5,
    ttftMs: 10.1234567,
    streamed: true,
    cancelled: false,
    usage,
    charge: chargeFor({ usage: { promptTokens: 1_000, completionTokens: 50, cachedTokens: 400, requests: 1 }, pricing, finishReason: 'stop' }),
    finishReason: 'stop',
    nativeFinishReason: 'stop',
    upstreamId: 'chatcmpl-1',
    externalUser: null,
    content: null,
    ...overrides,
  };
}

describe('generationCompletedEvent', () => {
  it('records timings (overhead = total less upstream time), the exact cost and cache discount, the variant label and the request headers', () => {
    const before = Date.now();
    const event = generationCompletedSchema.parse(generationCompletedEvent(served()));
    const after = Date.now();
    expect(event).toMatchObject({
      id: 'gen-1',
      model: 'm/x:free',
      requestedModel: 'm/x:free',
      providerName: 'Provider P',
      latencyMs: 25,
      overheadMs: 5,
      ttftMs: 10.123,
      // 600 × 0.000001 + 400 × 0.0000005 + 50 × 0.000002; the cache read saved 400 × 0.0000005.
      cost: '0.0009',
      cacheDiscount: '-0.0002',
      sessionId: 'from-header',
      appTitle: 'My App',
      httpReferer: 'https://app.example',
      userAgent: 'sdk/1.0',
      leaseId: 'lease-1',
      endpointId: 'm/x:free@p',
      providerSlug: 'p',
      responseCacheSourceId: null,
    });
    // Arrival in wall-clock time: 30 ms before the request's start was taken (bracketed by wall-clock readings, so a
    // stall of the test process cannot fail it; 2 ms for whole-millisecond clocks).
    const created = Date.parse(event.createdAt);
    expect(created).toBeGreaterThanOrEqual(before - 30 - 2);
    expect(created).toBeLessThanOrEqual(after - 30 + 2);
  });

  it("prefers the body's session id to the header, and never counts negative overhead", () => {
    const event = generationCompletedEvent(served({ sessionId: 'from-body', upstreamMs: 40 }));
    expect(event.sessionId).toBe('from-body');
    expect(event.overheadMs).toBe(0);
  });

  it('records a response-cache hit with no lease and no prices, naming the generation it replayed', () => {
    const event = generationCompletedSchema.parse(
      generationCompletedEvent(served({ reservation: null, servedBy: { ...servedByAttempt(attempt), pricing: null }, responseCacheSourceId: 'gen-source' })),
    );
    expect(event).toMatchObject({ leaseId: null, pricing: null, responseCacheSourceId: 'gen-source', model: 'm/x:free', providerName: 'Provider P' });
  });
});
