import { type GenerationCompleted } from '@switchyard/contracts';
import { mapGenerationEvent, normaliseTimestamp, parseJsonPayload } from './generation-row.js';

function event(overrides: Partial<GenerationCompleted> = {}): GenerationCompleted {
  return {
    id: 'gen-1700000000-abcdefghijklmnopqrst',
    requestId: 'req-1',
    accountId: 'acct-1',
    keyId: 'key-1',
    keyHash: 'a'.repeat(64),
    model: 'openai/gpt-4o-mini',
    requestedModel: 'openai/gpt-4o-mini',
    endpointId: 'openai/gpt-4o-mini@openai',
    providerSlug: 'openai',
    providerName: 'OpenAI',
    streamed: false,
    createdAt: '2025-03-01T10:00:00.123Z',
    latencyMs: 900,
    generationTimeMs: 850,
    overheadMs: 2.5,
    usage: { promptTokens: 10, completionTokens: 20, totalTokens: 30, raw: { prompt_tokens: 10 } },
    pricing: { prompt: '0.00000015', completion: '0.0000006' },
    cost: '0.0000135',
    upstreamCost: '0.0000135',
    finishReason: 'stop',
    attempts: [{ attemptId: 'att-1', endpointId: 'openai/gpt-4o-mini@openai', providerSlug: 'openai', providerName: 'OpenAI', modelId: 'openai/gpt-4o-mini', ok: true, status: 200, latencyMs: 850 }],
    ...overrides,
  };
}

describe('mapGenerationEvent', () => {
  it('maps every field of a generation-completed event to a row, money as exact strings and defaults applied', () => {
    const result = mapGenerationEvent(event());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).toMatchObject({
      id: 'gen-1700000000-abcdefghijklmnopqrst',
      requestId: 'req-1',
      accountId: 'acct-1',
      keyId: 'key-1',
      apiType: 'completions',
      leaseId: null,
      isByok: false,
      cancelled: false,
      createdAt: '2025-03-01T10:00:00.123Z',
      promptTokens: 10,
      completionTokens: 20,
      totalTokens: 30,
      cachedTokens: 0,
      reasoningTokens: 0,
      cacheWriteTokens: 0,
      promptImages: null,
      usageEstimated: false,
      cost: '0.0000135',
      upstreamCost: '0.0000135',
      cacheDiscount: '0',
      ttftMs: null,
      reconciled: false,
      needsPricing: false,
      responseCacheSourceId: null,
      content: null,
    });
    expect(JSON.parse(result.value.pricing!)).toEqual({ prompt: '0.00000015', completion: '0.0000006' });
    expect(JSON.parse(result.value.attempts)).toHaveLength(1);
    expect(JSON.parse(result.value.usageRaw!)).toEqual({ prompt_tokens: 10 });
  });

  it('normalises createdAt to UTC ISO and keeps opted-in content as JSON text', () => {
    const result = mapGenerationEvent(event({ createdAt: '2025-03-01T12:00:00+02:00', content: { input: [{ role: 'user', content: 'hi' }], output: 'hello' } }));
    expect(result.ok && result.value.createdAt).toBe('2025-03-01T10:00:00.000Z');
    expect(result.ok && result.value.content).toEqual({ input: '[{"role":"user","content":"hi"}]', output: '"hello"' });
  });

  it('carries the replayed generation id of a response-cache hit', () => {
    const hit = mapGenerationEvent(
      event({
        id: 'gen-1700000001-cachedcachedcachedca',
        cost: '0',
        upstreamCost: '0',
        usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
        attempts: [],
        responseCacheSourceId: 'gen-1700000000-abcdefghijklmnopqrst',
      }),
    );
    expect(hit).toMatchObject({ ok: true, value: { responseCacheSourceId: 'gen-1700000000-abcdefghijklmnopqrst', cost: '0', promptTokens: 0, attempts: '[]' } });
    expect(mapGenerationEvent(event({ responseCacheSourceId: null }))).toMatchObject({ ok: true, value: { responseCacheSourceId: null } });
  });

  it('replaces NUL and lone surrogates, which Postgres rejects, instead of failing the event', () => {
    const result = mapGenerationEvent(event({ userAgent: 'bad\u0000agent', content: { input: 'a\u0000b', output: { ['k\u0000']: '\ud800x' } } }));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.userAgent).toBe('bad\uFFFDagent');
    expect(JSON.parse(result.value.content!.input!)).toBe('a\uFFFDb');
    expect(JSON.parse(result.value.content!.output!)).toEqual({ 'k\uFFFD': '\uFFFDx' });
    expect(result.value.content!.output).not.toContain('\\ud800');
  });

  it.each([
    ['an id without the gen- prefix', { id: 'abc' }, /id/],
    ['a cost that is not a plain decimal', { cost: '1e-5' }, /cost/],
    ['a negative token count', { usage: { promptTokens: -1, completionTokens: 0, totalTokens: 0 } }, /usage\.promptTokens/],
    ['a missing account', { accountId: undefined }, /accountId/],
    ['a response-cache source that is not a generation id', { responseCacheSourceId: 'req-1' }, /responseCacheSourceId/],
  ])('rejects %s with a reason naming the field', (_name, overrides, reason) => {
    const result = mapGenerationEvent(event(overrides as Partial<GenerationCompleted>));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it('rejects timestamps Postgres cannot store and token counts beyond an integer column', () => {
    expect(mapGenerationEvent(event({ createdAt: 'yesterday' }))).toMatchObject({ ok: false, reason: expect.stringMatching(/createdAt/) });
    const huge = mapGenerationEvent(event({ usage: { promptTokens: 3_000_000_000, completionTokens: 0, totalTokens: 3_000_000_000 } }));
    expect(huge).toMatchObject({ ok: false, reason: expect.stringMatching(/promptTokens .* exceeds/) });
  });
});

describe('normaliseTimestamp / parseJsonPayload', () => {
  it('accepts ISO timestamps in years 1970–9999 only', () => {
    expect(normaliseTimestamp('2024-07-15T23:33:19.433273+00:00')).toBe('2024-07-15T23:33:19.433Z');
    expect(normaliseTimestamp('1969-12-31T23:59:59Z')).toBeNull();
    expect(normaliseTimestamp('+020000-01-01T00:00:00Z')).toBeNull();
  });

  it('reports a payload that is not JSON', () => {
    expect(parseJsonPayload(new TextEncoder().encode('{"a":1}'))).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonPayload(new TextEncoder().encode('{"a":'))).toMatchObject({ ok: false, reason: expect.stringMatching(/not JSON/) });
  });
});
