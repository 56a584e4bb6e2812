import { attemptUsageSchema, providerChatRequestSchema, providersStatusSchema } from './providers.js';

const attempt = {
  attemptId: 'att-1',
  generationId: 'gen-1',
  accountId: 'acct-1',
  endpoint: { id: 'openai/gpt-4o-mini@simulator', modelId: 'openai/gpt-4o-mini', providerSlug: 'simulator', upstreamModelId: 'gpt-4o-mini' },
  request: { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: false },
  timeouts: { connectMs: 1_000, firstTokenMs: 2_000, idleMs: 3_000 },
};
const billing = { keyId: 'key-1', keyHash: 'hash', attemptNumber: 1, requestedModel: 'openai/gpt-4o-mini', model: 'openai/gpt-4o-mini', providerName: 'Simulator', pricing: { prompt: '0.00000015', completion: '0.0000006' } };

describe('providerChatRequestSchema', () => {
  it('forwards the billing context as sent (providers only copies it into attempt-usage)', () => {
    const parsed = providerChatRequestSchema.parse({ ...attempt, billing });
    expect(parsed.billing).toEqual(billing);
    expect(parsed.heartbeatMs).toBe(1000);
  });

  it('refuses a billing context that is not an object, and a request without messages', () => {
    expect(providerChatRequestSchema.safeParse({ ...attempt, billing: 'free' }).success).toBe(false);
    expect(providerChatRequestSchema.safeParse({ ...attempt, billing: [billing] }).success).toBe(false);
    expect(providerChatRequestSchema.safeParse({ ...attempt, request: { model: 'x' } }).success).toBe(false);
  });

  it('leaves the full check of the billing context to the attempt-usage event metering reads', () => {
    const usage = { attemptId: 'att-1', generationId: 'gen-1', accountId: 'acct-1', endpointId: attempt.endpoint.id, usage: { promptTokens: 3, completionTokens: 2, totalTokens: 5 }, at: 1, outcome: { ok: true, contentSent: true, finishReason: 'stop', cancelled: false, status: 200, errorType: null, durationMs: 1 } };
    const parsed = attemptUsageSchema.parse({ ...usage, billing });
    expect(parsed.billing).toMatchObject({ leaseId: null, apiType: 'completions', streamed: false });
    expect(attemptUsageSchema.safeParse({ ...usage, billing: { ...billing, pricing: { prompt: 'cheap' } } }).success).toBe(false);
  });
});

describe('providersStatusSchema', () => {
  it('reads the providers without a platform key lower-cased, null when the replica cannot tell, and none from an older replica', () => {
    expect(providersStatusSchema.parse({ uncredentialed: ['OpenAI', 'azure'] }).uncredentialed).toEqual(['openai', 'azure']);
    expect(providersStatusSchema.parse({ uncredentialed: null }).uncredentialed).toBeNull();
    expect(providersStatusSchema.parse({}).uncredentialed).toEqual([]);
  });
});
