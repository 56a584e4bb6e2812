import { mapAttemptUsageEvent, placeholderGeneration, type StoredAttemptUsage } from './attempt-usage-row.js';

function storedAttempt(overrides: Partial<StoredAttemptUsage>): StoredAttemptUsage {
  return {
    attempt_id: 'att-1',
    generation_id: 'gen-1',
    account_id: 'acct-1',
    endpoint_id: 'openai/gpt-4o-mini@openai',
    prompt_tokens: 10,
    completion_tokens: 0,
    total_tokens: 10,
    reasoning_tokens: 0,
    cached_tokens: 0,
    cache_write_tokens: 0,
    prompt_images: null,
    usage_estimated: false,
    usage_raw: null,
    attempted_at: new Date('2025-03-01T10:00:00Z'),
    outcome: null,
    billing: null,
    ...overrides,
  };
}

describe('mapAttemptUsageEvent', () => {
  it('maps a valid event, with the time as UTC ISO', () => {
    const result = mapAttemptUsageEvent({
      attemptId: 'att-1',
      generationId: 'gen-1',
      accountId: 'acct-1',
      endpointId: 'e@p',
      usage: { promptTokens: 5, completionTokens: 7, totalTokens: 12, cachedTokens: 1 },
      at: Date.parse('2025-03-01T10:00:00Z'),
    });
    expect(result).toEqual({
      ok: true,
      value: expect.objectContaining({ attemptId: 'att-1', promptTokens: 5, completionTokens: 7, cachedTokens: 1, reasoningTokens: 0, attemptedAt: '2025-03-01T10:00:00.000Z' }),
    });
  });

  it('rejects events without usage or with an unusable time', () => {
    expect(mapAttemptUsageEvent({ attemptId: 'a', generationId: 'g', accountId: 'x', endpointId: 'e', at: 1 })).toMatchObject({ ok: false, reason: expect.stringMatching(/usage/) });
    expect(
      mapAttemptUsageEvent({ attemptId: 'a', generationId: 'g', accountId: 'x', endpointId: 'e', usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 }, at: 1e18 }),
    ).toMatchObject({ ok: false, reason: expect.stringMatching(/at is not/) });
  });
});

describe('placeholderGeneration', () => {
  it('takes tokens from the last attempt, time from the first, and marks the record reconciled and unpriced', () => {
    const row = placeholderGeneration([
      storedAttempt({ attempt_id: 'att-2', endpoint_id: 'openai/gpt-4o-mini@azure', prompt_tokens: 100, completion_tokens: 40, total_tokens: 140, attempted_at: new Date('2025-03-01T10:00:05Z') }),
      storedAttempt({ attempt_id: 'att-1', endpoint_id: 'openai/gpt-4o-mini@openai', prompt_tokens: 100, completion_tokens: 0, total_tokens: 100, attempted_at: new Date('2025-03-01T10:00:01Z') }),
    ]);
    expect(row).toMatchObject({
      id: 'gen-1',
      accountId: 'acct-1',
      keyId: null,
      model: 'openai/gpt-4o-mini',
      endpointId: 'openai/gpt-4o-mini@azure',
      providerSlug: 'azure',
      promptTokens: 100,
      completionTokens: 40,
      createdAt: '2025-03-01T10:00:01.000Z',
      cost: null,
      upstreamCost: null,
      reconciled: true,
      needsPricing: true,
      responseCacheSourceId: null,
    });
    expect(JSON.parse(row.attempts).map((attempt: { attemptId: string }) => attempt.attemptId)).toEqual(['att-1', 'att-2']);
  });
});
