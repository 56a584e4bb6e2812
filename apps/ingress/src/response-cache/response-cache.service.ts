import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscardPolicy, RetentionPolicy, StorageType, type StreamConfig } from '@nats-io/jetstream';
import { MAX_CACHE_TTL_SECONDS, RESPONSE_CACHE_STREAM, subjects } from '@switchyard/contracts';
import { encodeJson, ensureInBackground, ensureStream, MetricsService, NatsService } from '@switchyard/nest-kit';
import { INGRESS_CONFIG, type IngressConfig } from '../config/ingress.config.js';
import type { FastifyRequest } from 'fastify';
import type { Caller } from '../auth/authenticator.service.js';
import { KeyCacheService } from '../auth/key-cache.service.js';
import { cacheDirective, cachedResponseSchema, responseCacheKey, type CachedResponse, type CachedResponseOf, type CacheRequest, type PresetCaching } from './response-cache.js';

const NANOS_PER_SECOND = 1_000_000_000;

/** What a stored response holds beyond its source and lifetime. */
type CachedResponseBody = Pick<CachedResponseOf<'generation'>, 'kind' | 'systemFingerprint' | 'parts'> | Pick<CachedResponseOf<'unary'>, 'kind' | 'embeddings' | 'results'>;

/** What happened to one lookup or one store, for `switchyard_response_cache_total`. */
type CacheEvent = 'hit' | 'miss' | 'lookup_error' | 'stored' | 'too_large' | 'store_error';

/**
 * The response cache (OpenRouter's `X-OpenRouter-Cache`), shared by every ingress replica: one JetStream stream,
 * one subject per cache key holding only its last response (`max_msgs_per_subject: 1`), read with a direct get.
 * Entries carry their own expiry (the request's TTL); the stream drops anything older than the longest TTL and,
 * past `RESPONSE_CACHE_MAX_BYTES`, the oldest entries first. It is a cache, not a record: every failure (NATS down,
 * a slow or malformed entry) is a miss, and a response that cannot be stored is still served.
 */
@Injectable()
export class ResponseCacheService implements OnApplicationBootstrap {
  private readonly logger = new Logger('ResponseCache');
  private readonly events;

  constructor(
    private readonly nats: NatsService,
    @Inject(INGRESS_CONFIG) private readonly config: IngressConfig,
    metrics: MetricsService,
    private readonly keys: KeyCacheService,
  ) {
    this.events = metrics.counter({ name: 'switchyard_response_cache_total', help: 'Response-cache lookups (hit, miss, lookup_error) and stores (stored, too_large, store_error)', labelNames: ['event'] });
  }

  get enabled(): boolean {
    return this.config.RESPONSE_CACHE_ENABLED;
  }

  /**
   * The request's key and directive when it asked for caching (`X-OpenRouter-Cache: true`, or a preset it uses
   * with `cache_enabled`); null otherwise, when caching is switched off, and for an account that requires zero data
   * retention (a stored response is retention). `context` is what else the key must hold (the preset's version).
   */
  requestOf(request: FastifyRequest, caller: Caller, stream: boolean, context?: string, preset?: PresetCaching): CacheRequest | null {
    if (!this.enabled || caller.account.privacy.requireZdr) return null;
    const directive = cacheDirective(request.headers, preset);
    if (!directive) return null;
    // The key's id leads the entry's subject, so a key's entries can be purged together (when it is deleted).
    return { directive, key: `${keyToken(caller.key.keyId)}.${responseCacheKey({ keyId: caller.key.keyId, route: request.routeOptions.url ?? request.url, stream, body: request.body, context })}` };
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    ensureInBackground('the response-cache stream', () => this.ensureStream(), this.logger);
    // A deleted key's stored responses go with it (every replica hears the deletion; a purge is idempotent).
    this.keys.onKeyRemoved((key) => {
      this.purge({ keyIds: [key.keyId] }).then(
        (purged) => purged > 0 && this.logger.log(`purged ${purged} stored response(s) of deleted key ${key.keyId}`),
        (error: Error) => this.logger.warn(`could not purge the stored responses of deleted key ${key.keyId}: ${error.message}`),
      );
    });
  }

  /**
   * Removes stored responses: of the given keys, or all of them. Returns how many were removed (0 when the stream
   * does not exist yet). Throws when JetStream cannot be reached.
   */
  async purge(scope: { keyIds: readonly string[] } | 'all'): Promise<number> {
    const manager = await this.nats.jetstreamManager();
    try {
      if (scope === 'all') return (await manager.streams.purge(RESPONSE_CACHE_STREAM)).purged;
      let purged = 0;
      for (const keyId of scope.keyIds) purged += (await manager.streams.purge(RESPONSE_CACHE_STREAM, { filter: `${subjects.ingress.responseCache}.${keyToken(keyId)}.*` })).purged;
      return purged;
    } catch (error) {
      if (/stream not found/i.test((error as Error).message)) return 0;
      throw error;
    }
  }

  /** The stored response of `kind` for `key`, or null (none, expired, unreadable, or the cache unavailable). Never throws. */
  async lookup<K extends CachedResponse['kind']>(key: string, kind: K): Promise<CachedResponseOf<K> | null> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${this.config.RESPONSE_CACHE_LOOKUP_TIMEOUT_MS} ms`)), this.config.RESPONSE_CACHE_LOOKUP_TIMEOUT_MS);
      });
      // The whole lookup is bounded, getting the JetStream manager included (JetStream down: its own timeout is 5 s).
      const get = async () => (await this.nats.jetstreamManager()).direct.getMessage(RESPONSE_CACHE_STREAM, { last_by_subj: entrySubject(key) });
      const message = await Promise.race([get(), timeout]);
      const parsed = message ? cachedResponseSchema.safeParse(message.json()) : undefined;
      if (parsed && !parsed.success) this.logger.warn(`an unreadable response-cache entry was ignored: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      const entry = parsed?.success && parsed.data.kind === kind && parsed.data.expiresAt > Date.now() ? (parsed.data as CachedResponseOf<K>) : null;
      this.count(entry ? 'hit' : 'miss');
      return entry;
    } catch (error) {
      this.count('lookup_error');
      this.logger.debug(`response-cache lookup failed: ${(error as Error).message}`);
      return null;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /**
   * Stores the response of generation `generationId` (served by `servedBy`) under the request's key for the TTL it
   * asked for, replacing what was there. Called after the response went out; never awaited on a request's path.
   */
  remember(request: CacheRequest, generationId: string, servedBy: CachedResponse['servedBy'], response: CachedResponseBody): Promise<void> {
    const storedAt = Date.now();
    const { model, endpointId, providerSlug, providerName } = servedBy;
    return this.store(request.key, { v: 1, generationId, servedBy: { model, endpointId, providerSlug, providerName }, storedAt, expiresAt: storedAt + request.directive.ttlSeconds * 1000, ...response } as CachedResponse);
  }

  /** Stores `entry` under `key`, replacing what was there; failures are counted, never thrown. */
  store(key: string, entry: CachedResponse): Promise<void> {
    const data = encodeJson(entry);
    if (Buffer.byteLength(data) > this.config.RESPONSE_CACHE_MAX_ENTRY_BYTES) {
      this.count('too_large');
      return Promise.resolve();
    }
    return this.nats
      .jetstream()
      .publish(entrySubject(key), data)
      .then(
        () => this.count('stored'),
        (error: Error) => {
          this.count('store_error');
          this.logger.warn(`a response could not be stored in the response cache: ${error.message}`);
        },
      );
  }

  /** A response too large to store, found before it was assembled (counted like one refused at store time). */
  tooLarge(): void {
    this.count('too_large');
  }

  private count(event: CacheEvent): void {
    this.events.inc({ event });
  }

  /** Creates the stream, or brings its limits in line with the configuration (at start, retried in the background). */
  async ensureStream(): Promise<void> {
    const manager = await this.nats.jetstreamManager();
    const limits = { max_bytes: this.config.RESPONSE_CACHE_MAX_BYTES, max_msg_size: this.config.RESPONSE_CACHE_MAX_ENTRY_BYTES };
    const config: Partial<StreamConfig> & { name: string } = {
      name: RESPONSE_CACHE_STREAM,
      subjects: [ENTRY_SUBJECTS],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_msgs_per_subject: 1,
      ...limits,
      max_age: MAX_CACHE_TTL_SECONDS * NANOS_PER_SECOND,
      allow_direct: true,
      num_replicas: 1,
    };
    // A stream of an earlier version (entries as `<subject>.<hash>`) takes the new layout; its old entries expire.
    const current = (existing: StreamConfig) => existing.max_bytes === limits.max_bytes && existing.max_msg_size === limits.max_msg_size && existing.subjects.length === 1 && existing.subjects[0] === ENTRY_SUBJECTS;
    await ensureStream(manager, config, (existing) => (current(existing) ? undefined : { ...existing, ...limits, subjects: [ENTRY_SUBJECTS] }));
  }
}

/** Entries are `<subject>.<key id>.<hash of the request>`. */
const ENTRY_SUBJECTS = `${subjects.ingress.responseCache}.*.*`;

function entrySubject(key: string): string {
  return `${subjects.ingress.responseCache}.${key}`;
}

/** A key id as one subject token (billing's are UUIDs; anything else is made safe). */
function keyToken(keyId: string): string {
  return keyId.replace(/[^A-Za-z0-9_-]/g, '_') || '_';
}
