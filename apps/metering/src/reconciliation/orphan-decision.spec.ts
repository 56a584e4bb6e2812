import { generationCompletedSchema } from '@switchyard/contracts';
import type { StoredAttemptUsage } from './attempt-usage-row.js';
import { decideOrphan } from './orphan-decision.js';

const billing = {
  keyId: 'key-1',
  keyHash: 'h'.repeat(64),
  leaseId: 'lease-1',
  attemptNumber: 1,
  requestedModel: 'meta-llama/llama-3.3-70b-instruct:free',
  model: 'meta-llama/llama-3.3-70b-instruct:free',
  providerName: 'Switchyard Simulator',
  apiType: 'completions',
  streamed: false,
  pricing: { prompt: '0', completion: '0' },
  promptLogging: false,
  isByok: false,
  byokFeeWaived: false,
  requestedAt: '2025-03-01T09:59:59.000Z',
};

function stored(overrides: Partial<StoredAttemptUsage>): StoredAttemptUsage {
  return {
    attempt_id: 'att-1',
    generation_id: 'gen-1',
    account_id: 'acct-1',
    endpoint_id: 'meta-llama/llama-3.3-70b-instruct@simulator/free',
    prompt_tokens: 10,
    completion_tokens: 4,
    total_tokens: 14,
    reasoning_tokens: 0,
    cached_tokens: 0,
    cache_write_tokens: 0,
    prompt_images: null,
    usage_estimated: false,
    usage_raw: null,
    attempted_at: new Date('2025-03-01T10:00:00Z'),
    outcome: { ok: true, contentSent: true, finishReason: 'stop', cancelled: false, status: 200, errorType: null, durationMs: 900 },
    billing,
    ...overrides,
  };
}

describe('decideOrphan', () => {
  it('charges the last attempt by ingress attempt number, not by the providers clocks, with a valid event', () => {
    const decision = decideOrphan([
      stored({ attempt_id: 'att-2', billing: { ...billing, attemptNumber: 2 }, attempted_at: new Date('2025-03-01T09:59:00Z') }),
      stored({ attempt_id: 'att-1', endpoint_id: 'meta-llama/llama-3.3-70b-instruct@groq/free', outcome: { ok: false, contentSent: false, finishReason: null, cancelled: false, status: 502, errorType: 'provider_unavailable', durationMs: 3 } }),
    ]);
    expect(decision.kind).toBe('charge');
    if (decision.kind !== 'charge') return;
    const event = generationCompletedSchema.parse(decision.event);
    expect(event).toMatchObject({ id: 'gen-1', endpointId: 'meta-llama/llama-3.3-70b-instruct@simulator/free', providerSlug: 'simulator', model: 'meta-llama/llama-3.3-70b-instruct:free', cost: '0', reconciled: true, createdAt: '2025-03-01T09:59:59.000Z' });
    expect(event.attempts.map((attempt) => attempt.attemptId)).toEqual(['att-1', 'att-2']);
  });

  it('leaves a generation whose last attempt was not delivered unbilled', () => {
    expect(decideOrphan([stored({ outcome: { ok: false, contentSent: false, finishReason: null, cancelled: false, status: 504, errorType: 'timeout', durationMs: 1 } })])).toEqual({ kind: 'unbilled', generationId: 'gen-1' });
  });

  it('falls back to an unpriced placeholder when an attempt lacks charge inputs (older providers)', () => {
    const decision = decideOrphan([stored({ billing: null, outcome: null })]);
    expect(decision).toMatchObject({ kind: 'placeholder', row: { id: 'gen-1', cost: null, needsPricing: true, reconciled: true } });
  });

  it("charges a rerank's searches at the per-request price, as ingress does (two searches: twice the price)", () => {
    const rerank = { ...billing, apiType: 'rerank', model: 'cohere/rerank-v3.5', requestedModel: 'cohere/rerank-v3.5', pricing: { prompt: '0', completion: '0', request: '0.002' } };
    const once = decideOrphan([stored({ billing: rerank, completion_tokens: 0, total_tokens: 10 })]);
    const twice = decideOrphan([stored({ billing: { ...rerank, requests: 2 }, completion_tokens: 0, total_tokens: 10 })]);
    expect(once.kind === 'charge' && generationCompletedSchema.parse(once.event)).toMatchObject({ apiType: 'rerank', cost: '0.002' });
    expect(twice.kind === 'charge' && generationCompletedSchema.parse(twice.event)).toMatchObject({ apiType: 'rerank', cost: '0.004' });
  });
});
