import { httpHeaders } from '@switchyard/contracts';
import { makeUsage, type StreamPart } from '@switchyard/llm-spec';
import { cacheDirective, cachedResponseSchema, cacheHeaders, NO_CHARGE, replayableParts, responseCacheKey, type CachedResponse } from './response-cache.js';

describe('cacheDirective (the request headers of response caching)', () => {
  it('is off unless X-OpenRouter-Cache is true, and defaults to 300 s without a clear', () => {
    expect(cacheDirective({})).toBeNull();
    expect(cacheDirective({ 'x-openrouter-cache': 'false' })).toBeNull();
    expect(cacheDirective({ 'x-openrouter-cache': 'true' })).toEqual({ ttlSeconds: 300, clear: false });
    expect(cacheDirective({ 'x-openrouter-cache': 'TRUE' })).toEqual({ ttlSeconds: 300, clear: false });
    expect(cacheDirective({ 'x-openrouter-cache': ['1'] })).toEqual({ ttlSeconds: 300, clear: false });
  });

  it('takes the TTL in seconds, clamped to 1..86400, and a value that is not a number as the default', () => {
    const ttl = (value: string) => cacheDirective({ 'x-openrouter-cache': 'true', 'x-openrouter-cache-ttl': value })?.ttlSeconds;
    expect(ttl('60')).toBe(60);
    expect(ttl('0')).toBe(1);
    expect(ttl('-5')).toBe(1);
    expect(ttl('999999')).toBe(86_400);
    expect(ttl('soon')).toBe(300);
    expect(ttl('')).toBe(300);
  });

  it('reads X-OpenRouter-Cache-Clear as a forced refresh', () => {
    expect(cacheDirective({ 'x-openrouter-cache': 'true', 'x-openrouter-cache-clear': 'true' })?.clear).toBe(true);
    expect(cacheDirective({ 'x-openrouter-cache': 'true', 'x-openrouter-cache-clear': 'no' })?.clear).toBe(false);
  });

  it("follows a preset's cache_enabled: true caches without the header (at its TTL), false never caches, whatever the header", () => {
    const on = { cache_enabled: true, cache_ttl_seconds: 60 };
    expect(cacheDirective({}, on)).toEqual({ ttlSeconds: 60, clear: false });
    expect(cacheDirective({}, { cache_enabled: true, cache_ttl_seconds: null })).toEqual({ ttlSeconds: 300, clear: false });
    // The request's own TTL and clear still apply.
    expect(cacheDirective({ 'x-openrouter-cache-ttl': '5', 'x-openrouter-cache-clear': 'true' }, on)).toEqual({ ttlSeconds: 5, clear: true });
    expect(cacheDirective({ 'x-openrouter-cache': 'true' }, { cache_enabled: false, cache_ttl_seconds: 60 })).toBeNull();
    // A preset that says nothing leaves it to the header; its TTL is the default the header's TTL overrides.
    expect(cacheDirective({}, { cache_enabled: null, cache_ttl_seconds: 60 })).toBeNull();
    expect(cacheDirective({ 'x-openrouter-cache': 'true' }, { cache_enabled: null, cache_ttl_seconds: 60 })).toEqual({ ttlSeconds: 60, clear: false });
  });
});

describe('responseCacheKey', () => {
  const base = { keyId: 'key-1', route: '/api/v1/chat/completions', stream: false, body: { model: 'm/x', messages: [{ role: 'user', content: 'hi' }] } };

  it('is the same for the same key, route, mode and body (whitespace of the original text does not matter)', () => {
    const reparsed = JSON.parse('{ "model" : "m/x",\n "messages": [ {"role":"user", "content":"hi"} ] }');
    expect(responseCacheKey(base)).toBe(responseCacheKey({ ...base, body: reparsed }));
    expect(responseCacheKey(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs by API key, route, streaming mode, context (the version of a preset named), any body field, and the order of the body properties', () => {
    const key = responseCacheKey(base);
    expect(responseCacheKey({ ...base, keyId: 'key-2' })).not.toBe(key);
    expect(responseCacheKey({ ...base, route: '/api/v1/responses' })).not.toBe(key);
    expect(responseCacheKey({ ...base, stream: true })).not.toBe(key);
    expect(responseCacheKey({ ...base, context: 'preset bot@1' })).not.toBe(key);
    expect(responseCacheKey({ ...base, context: 'preset bot@2' })).not.toBe(responseCacheKey({ ...base, context: 'preset bot@1' }));
    expect(responseCacheKey({ ...base, body: { ...base.body, temperature: 0 } })).not.toBe(key);
    expect(responseCacheKey({ ...base, body: { messages: base.body.messages, model: 'm/x' } })).not.toBe(key);
  });
});

describe('stored responses', () => {
  const parts: StreamPart[] = [
    { type: 'response-metadata', upstreamId: 'chatcmpl-1' },
    { type: 'text-delta', text: 'Hello' },
    { type: 'usage', usage: makeUsage({ promptTokens: 3, completionTokens: 1 }) },
    { type: 'finish', finishReason: 'stop', nativeFinishReason: 'stop' },
  ];

  it('keep what replays the answer, never its usage (a hit is not charged)', () => {
    expect(replayableParts(parts).map((part) => part.type)).toEqual(['response-metadata', 'text-delta', 'finish']);
  });

  it('round-trip through JSON and the schema that reads them back', () => {
    const entry: CachedResponse = {
      v: 1,
      kind: 'generation',
      generationId: 'gen-1',
      servedBy: { model: 'm/x', endpointId: 'm/x@p', providerSlug: 'p', providerName: 'P' },
      systemFingerprint: null,
      parts: replayableParts(parts),
      storedAt: 1_000,
      expiresAt: 301_000,
    };
    expect(cachedResponseSchema.parse(JSON.parse(JSON.stringify(entry)))).toEqual(entry);
    expect(cachedResponseSchema.safeParse({ ...entry, v: 2 }).success).toBe(false);
    const unary: CachedResponse = { ...entry, kind: 'unary', embeddings: [[0.25, -1], 'AACAPw=='], results: [{ index: 1, relevanceScore: 0.9 }] } as CachedResponse;
    expect(cachedResponseSchema.parse(JSON.parse(JSON.stringify(unary)))).toMatchObject({ kind: 'unary', embeddings: [[0.25, -1], 'AACAPw=='], results: [{ index: 1, relevanceScore: 0.9 }] });
  });

  it('cost nothing when replayed', () => {
    expect([NO_CHARGE.cost.toString(), NO_CHARGE.listCost.toString(), NO_CHARGE.breakdown.total.toString()]).toEqual(['0', '0', '0']);
  });

  it('answer a miss with its TTL, and a hit with its age and the seconds it has left', () => {
    expect(cacheHeaders({ ttlSeconds: 60 })).toEqual({ [httpHeaders.responseCacheStatus]: 'MISS', [httpHeaders.responseCacheTtl]: '60' });
    const hit = { storedAt: 10_000, expiresAt: 310_000 } as CachedResponse;
    expect(cacheHeaders({ hit, now: 13_500 })).toEqual({
      [httpHeaders.responseCacheStatus]: 'HIT',
      [httpHeaders.responseCacheAge]: '3',
      [httpHeaders.responseCacheTtl]: '297',
    });
  });
});
