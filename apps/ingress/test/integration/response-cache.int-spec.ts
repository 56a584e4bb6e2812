import { RESPONSE_CACHE_STREAM, subjects } from '@switchyard/contracts';
import { HealthRegistry, MetricsService, NatsService } from '@switchyard/nest-kit';
import { TEST_NATS_URL } from '@switchyard/nest-kit/testing';
import { ingressConfigSchema } from '../../src/config/ingress.config.js';
import type { CachedResponseOf } from '../../src/response-cache/response-cache.js';
import type { KeyCacheService } from '../../src/auth/key-cache.service.js';
import { ResponseCacheService } from '../../src/response-cache/response-cache.service.js';

/** The key table stand-in: no key is ever removed here. */
const keys = { onKeyRemoved: () => undefined } as unknown as KeyCacheService;

// The response cache on a real NATS server: the stream this test file's subject prefix owns (deleted after the run).
describe('ResponseCacheService (real NATS JetStream)', () => {
  const nats = new NatsService({ url: TEST_NATS_URL, name: 'response-cache-spec' }, new HealthRegistry());
  const metrics = new MetricsService();
  const cache = new ResponseCacheService(nats, ingressConfigSchema.parse({ RESPONSE_CACHE_MAX_ENTRY_BYTES: '4096' }), metrics, keys);

  const entry = (overrides: Partial<CachedResponseOf<'generation'>> = {}): CachedResponseOf<'generation'> => ({
    v: 1,
    kind: 'generation',
    generationId: 'gen-source-1',
    servedBy: { model: 'openai/gpt-4o-mini', endpointId: 'openai/gpt-4o-mini@simulator', providerSlug: 'simulator', providerName: 'Simulator' },
    systemFingerprint: null,
    parts: [
      { type: 'text-delta', text: 'Paris.' },
      { type: 'finish', finishReason: 'stop', nativeFinishReason: 'stop' },
    ],
    storedAt: Date.now(),
    expiresAt: Date.now() + 60_000,
    ...overrides,
  });
  const events = async () => Object.fromEntries(((await metrics.registry.getSingleMetric('switchyard_response_cache_total')?.get())?.values ?? []).map((value) => [value.labels.event, value.value]));

  beforeAll(async () => {
    await nats.onModuleInit();
    await cache.ensureStream();
  });

  afterAll(async () => {
    await nats.onApplicationShutdown();
  });

  it('returns what was stored under a key, and nothing under another', async () => {
    await cache.store(`key-1.${'a'.repeat(64)}`, entry());
    expect(await cache.lookup(`key-1.${'a'.repeat(64)}`, 'generation')).toEqual(entry({ storedAt: expect.any(Number) as never, expiresAt: expect.any(Number) as never }));
    expect(await cache.lookup(`key-1.${'b'.repeat(64)}`, 'generation')).toBeNull();
    expect(await events()).toMatchObject({ stored: 1, hit: 1, miss: 1 });
  });

  it('keeps only the last response of a key (a cleared entry is replaced, not added to)', async () => {
    const key = `key-1.${'c'.repeat(64)}`;
    await cache.store(key, entry({ generationId: 'gen-old' }));
    await cache.store(key, entry({ generationId: 'gen-new' }));
    expect((await cache.lookup(key, 'generation'))?.generationId).toBe('gen-new');
    const manager = await nats.jetstreamManager();
    const info = await manager.streams.info(RESPONSE_CACHE_STREAM, { subjects_filter: `${subjects.ingress.responseCache}.${key}` });
    expect(info.state.subjects?.[`${subjects.ingress.responseCache}.${key}`]).toBe(1);
  });

  it('answers only the kind of response asked for (an embeddings route never replays a chat answer)', async () => {
    expect(await cache.lookup(`key-1.${'a'.repeat(64)}`, 'unary')).toBeNull();
    const key = `key-1.${'9'.repeat(64)}`;
    await cache.remember({ key, directive: { ttlSeconds: 60, clear: false } }, 'gen-vectors', entry().servedBy, { kind: 'unary', embeddings: [[0.5, 0.25]], results: [] });
    const stored = await cache.lookup(key, 'unary');
    expect(stored).toMatchObject({ kind: 'unary', generationId: 'gen-vectors', embeddings: [[0.5, 0.25]] });
    expect(stored!.expiresAt - stored!.storedAt).toBe(60_000);
  });

  it('treats an expired entry as a miss', async () => {
    const key = `key-1.${'d'.repeat(64)}`;
    await cache.store(key, entry({ storedAt: Date.now() - 10_000, expiresAt: Date.now() - 1 }));
    expect(await cache.lookup(key, 'generation')).toBeNull();
  });

  it('serves a response too large to store without storing it, and counts it', async () => {
    const key = `key-1.${'e'.repeat(64)}`;
    await cache.store(key, entry({ parts: [{ type: 'text-delta', text: 'x'.repeat(5_000) }] }));
    expect(await cache.lookup(key, 'generation')).toBeNull();
    expect((await events()).too_large).toBe(1);
  });

  it('ignores an entry it cannot read (another version, or garbage) as a miss', async () => {
    const key = `key-1.${'f'.repeat(64)}`;
    await nats.jetstream().publish(`${subjects.ingress.responseCache}.${key}`, JSON.stringify({ v: 99, anything: true }));
    expect(await cache.lookup(key, 'generation')).toBeNull();
  });

  it('keeps one response per key in a stream bounded by the configured bytes, and applies a new bound at the next start', async () => {
    const manager = await nats.jetstreamManager();
    expect((await manager.streams.info(RESPONSE_CACHE_STREAM)).config).toMatchObject({ max_msgs_per_subject: 1, max_msg_size: 4096, max_bytes: 256 * 1024 * 1024, allow_direct: true, discard: 'old' });
    const restarted = new ResponseCacheService(nats, ingressConfigSchema.parse({ RESPONSE_CACHE_MAX_BYTES: String(64 * 1024 * 1024), RESPONSE_CACHE_MAX_ENTRY_BYTES: '4096' }), new MetricsService(), keys);
    await restarted.ensureStream();
    expect((await manager.streams.info(RESPONSE_CACHE_STREAM)).config.max_bytes).toBe(64 * 1024 * 1024);
    expect((await restarted.lookup(`key-1.${'a'.repeat(64)}`, 'generation'))?.generationId).toBe('gen-source-1');
  });

  it('moves a stream of the earlier layout (<subject>.<hash>) to <subject>.<key id>.<hash> at start, and purges by key', async () => {
    const manager = await nats.jetstreamManager();
    const info = await manager.streams.info(RESPONSE_CACHE_STREAM);
    await manager.streams.update(RESPONSE_CACHE_STREAM, { ...info.config, subjects: [`${subjects.ingress.responseCache}.*`] });
    const upgraded = new ResponseCacheService(nats, ingressConfigSchema.parse({ RESPONSE_CACHE_MAX_BYTES: String(64 * 1024 * 1024), RESPONSE_CACHE_MAX_ENTRY_BYTES: '4096' }), new MetricsService(), keys);
    await upgraded.ensureStream();
    expect((await manager.streams.info(RESPONSE_CACHE_STREAM)).config.subjects).toEqual([`${subjects.ingress.responseCache}.*.*`]);
    await upgraded.store(`key-7.${'7'.repeat(64)}`, entry({ generationId: 'gen-key-7' }));
    await upgraded.store(`key-8.${'8'.repeat(64)}`, entry({ generationId: 'gen-key-8' }));
    expect((await upgraded.lookup(`key-7.${'7'.repeat(64)}`, 'generation'))?.generationId).toBe('gen-key-7');
    expect(await upgraded.purge({ keyIds: ['key-7'] })).toBe(1);
    expect(await upgraded.lookup(`key-7.${'7'.repeat(64)}`, 'generation')).toBeNull();
    expect((await upgraded.lookup(`key-8.${'8'.repeat(64)}`, 'generation'))?.generationId).toBe('gen-key-8');
  });

  it('answers a miss, never an error, when NATS is gone', async () => {
    const closed = new NatsService({ url: TEST_NATS_URL, name: 'response-cache-closed' }, new HealthRegistry());
    await closed.onModuleInit();
    await closed.onApplicationShutdown();
    const offline = new ResponseCacheService(closed, ingressConfigSchema.parse({}), new MetricsService(), keys);
    await expect(offline.lookup(`key-1.${'a'.repeat(64)}`, 'generation')).resolves.toBeNull();
    await expect(offline.store(`key-1.${'a'.repeat(64)}`, entry())).resolves.toBeUndefined();
  });
});
