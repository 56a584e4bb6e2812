import { attemptCompletedSchema, attemptUsageSchema, providerEmbedRequestSchema } from '@switchyard/contracts';
import { makeUsage } from '@switchyard/llm-spec';
import type { EmbedResult } from './embed-execution.js';
import { embedCompletedEvent, embedUsageEvent } from './embed-events.service.js';

const billing = {
  keyId: 'key-1',
  keyHash: 'hash-1',
  leaseId: 'lease-1',
  attemptNumber: 2,
  requestedModel: 'openai/text-embedding-3-small',
  model: 'openai/text-embedding-3-small',
  providerName: 'OpenAI',
  apiType: 'embeddings' as const,
  pricing: { prompt: '0.00000002', completion: '0' },
};

const request = (overrides: Record<string, unknown> = {}) =>
  providerEmbedRequestSchema.parse({
    attemptId: 'att-1',
    generationId: 'gen-1',
    accountId: 'acct-1',
    endpoint: { id: 'openai/text-embedding-3-small@openai', modelId: 'openai/text-embedding-3-small', providerSlug: 'openai', upstreamModelId: 'text-embedding-3-small' },
    request: { input: ['a'] },
    timeouts: { connectMs: 1_000, totalMs: 5_000 },
    billing,
    ...overrides,
  });

const served: EmbedResult = { ok: true, status: 200, error: null, usage: makeUsage({ promptTokens: 12, completionTokens: 0 }), upstreamMs: 41.5, durationMs: 43, interrupted: null };
const rateLimited: EmbedResult = {
  ok: false,
  status: 429,
  error: { status: 429, errorType: 'rate_limit_exceeded', message: 'slow down', retryable: true, retryAfterMs: 2_000, phase: 'status' },
  usage: null,
  upstreamMs: 12,
  durationMs: 13,
  interrupted: null,
};

describe('embeddings attempt events', () => {
  it('reports a served call to the health monitor with its upstream time as latency and no throughput', () => {
    const event = attemptCompletedSchema.parse(embedCompletedEvent(request(), served, 1_000));
    expect(event).toEqual({
      attemptId: 'att-1',
      generationId: 'gen-1',
      endpointId: 'openai/text-embedding-3-small@openai',
      providerSlug: 'openai',
      modelId: 'openai/text-embedding-3-small',
      ok: true,
      status: 200,
      errorType: null,
      retryable: false,
      ttftMs: 41.5,
      durationMs: 43,
      completionTokens: 0,
      tokensPerSecond: null,
      retryAfterMs: null,
      usedTools: false,
      probe: false,
      at: 1_000,
    });
  });

  it('reports failures with their type, retryability and wait, and cancels as neutral "cancelled"', () => {
    expect(embedCompletedEvent(request(), rateLimited)).toMatchObject({ ok: false, status: 429, errorType: 'rate_limit_exceeded', retryable: true, retryAfterMs: 2_000, ttftMs: null });
    const cancelled: EmbedResult = { ...rateLimited, status: 499, error: { status: 499, errorType: 'unmapped', message: 'cancelled', retryable: false, phase: 'cancelled' }, interrupted: 'cancelled' };
    expect(embedCompletedEvent(request(), cancelled)).toMatchObject({ ok: false, status: 499, errorType: 'cancelled' });
  });

  it('gives reconciliation a delivered call with finish "stop" and its billing, so it charges exactly as ingress', () => {
    const event = attemptUsageSchema.parse(embedUsageEvent(request(), served, 5));
    expect(event).toMatchObject({
      attemptId: 'att-1',
      generationId: 'gen-1',
      usage: { promptTokens: 12, completionTokens: 0 },
      outcome: { ok: true, contentSent: true, finishReason: 'stop', cancelled: false, status: 200, errorType: null },
      billing: { apiType: 'embeddings', attemptNumber: 2, pricing: { prompt: '0.00000002', completion: '0' } },
    });
  });

  it('publishes a failed attempt of a generation with zero usage (never billed), and nothing for a probe-like call without billing', () => {
    expect(embedUsageEvent(request(), rateLimited)).toMatchObject({ usage: { promptTokens: 0, completionTokens: 0 }, outcome: { ok: false, contentSent: false, finishReason: null, errorType: 'rate_limit_exceeded' } });
    expect(embedUsageEvent(request({ billing: undefined }), rateLimited)).toBeNull();
    expect(embedUsageEvent(request({ billing: undefined }), served)).toMatchObject({ usage: { promptTokens: 12 } });
  });
});
