import { MetricsService, type NatsService } from '@switchyard/nest-kit';
import type { FastifyRequest } from 'fastify';
import { accountRecord, keyRecord } from '../../test/support/records.js';
import type { Caller } from '../auth/authenticator.service.js';
import { ingressConfigSchema } from '../config/ingress.config.js';
import type { KeyCacheService } from '../auth/key-cache.service.js';
import { ResponseCacheService } from './response-cache.service.js';

/** The key table stand-in: no key is ever removed here. */
const keys = { onKeyRemoved: () => undefined } as unknown as KeyCacheService;

describe('ResponseCacheService.requestOf (which requests use the cache)', () => {
  const service = (env: Record<string, string> = {}) => new ResponseCacheService({} as NatsService, ingressConfigSchema.parse(env), new MetricsService(), keys);
  const request = (headers: Record<string, string>) => ({ headers, routeOptions: { url: '/api/v1/chat/completions' }, url: '/api/v1/chat/completions', body: { model: 'm/x', messages: [] } }) as unknown as FastifyRequest;
  const caller = (requireZdr = false, keyId = 'key-1'): Caller => {
    const account = accountRecord();
    return { key: { ...keyRecord(), keyId }, account: { ...account, privacy: { ...account.privacy, requireZdr } } };
  };
  const asked = { 'x-openrouter-cache': 'true', 'x-openrouter-cache-ttl': '60' };

  it('keys a request that asked for caching by its API key, with the TTL it asked for', () => {
    const cached = service().requestOf(request(asked), caller(), false);
    expect(cached).toEqual({ key: expect.stringMatching(/^key-1\.[0-9a-f]{64}$/), directive: { ttlSeconds: 60, clear: false } });
    // The key id is one subject token, whatever it holds (its entries are purged together).
    expect(service().requestOf(request(asked), caller(false, 'key.with spaces>*'), false)?.key).toMatch(/^key_with_spaces__\.[0-9a-f]{64}$/);
    expect(service().requestOf(request(asked), caller(false, 'key-2'), false)?.key).not.toBe(cached!.key);
    expect(service().requestOf(request(asked), caller(), true)?.key).not.toBe(cached!.key);
  });

  it('leaves out requests without the header, accounts that require zero data retention, and everything when switched off', () => {
    expect(service().requestOf(request({}), caller(), false)).toBeNull();
    expect(service().requestOf(request(asked), caller(true), false)).toBeNull();
    expect(service({ RESPONSE_CACHE_ENABLED: 'false' }).requestOf(request(asked), caller(), false)).toBeNull();
  });
});

describe('ResponseCacheService.lookup', () => {
  it('answers a miss within the lookup timeout when JetStream does not answer at all', async () => {
    const silent = { jetstreamManager: () => new Promise(() => undefined) } as unknown as NatsService;
    const metrics = new MetricsService();
    const service = new ResponseCacheService(silent, ingressConfigSchema.parse({ RESPONSE_CACHE_LOOKUP_TIMEOUT_MS: '50' }), metrics, keys);
    const started = Date.now();
    await expect(service.lookup('a'.repeat(64), 'generation')).resolves.toBeNull();
    expect(Date.now() - started).toBeLessThan(2_000);
    const events = (await metrics.registry.getSingleMetric('switchyard_response_cache_total')!.get()).values;
    expect(events).toEqual([expect.objectContaining({ labels: { event: 'lookup_error' }, value: 1 })]);
  });
});
