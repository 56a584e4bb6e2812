import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'undici';
import { PROVIDERS_CONFIG, type ProvidersConfig } from '../config/providers.config.js';

/**
 * One undici keep-alive `Pool` per upstream origin (pipelining off: one request per connection at a time, which
 * every LLM API expects for long-lived streams). Pools exist only for origins of catalog providers; a pool whose
 * origin left the catalog is closed gracefully (in-flight requests finish).
 */
@Injectable()
export class UpstreamPools implements OnApplicationShutdown {
  private readonly logger = new Logger('UpstreamPools');
  private readonly pools = new Map<string, Pool>();

  constructor(@Inject(PROVIDERS_CONFIG) private readonly config: ProvidersConfig) {}

  /** The pool of an origin already checked against the provider's configured base URL. */
  get(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.config.UPSTREAM_CONNECTIONS_PER_ORIGIN,
        pipelining: 1,
        keepAliveTimeout: this.config.UPSTREAM_KEEPALIVE_MS,
        keepAliveMaxTimeout: Math.max(this.config.UPSTREAM_KEEPALIVE_MS, 60_000),
        connect: { timeout: this.config.UPSTREAM_SOCKET_CONNECT_MS },
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** Closes the pools of origins no provider uses any more. */
  retain(origins: ReadonlySet<string>): void {
    for (const [origin, pool] of this.pools) {
      if (origins.has(origin)) continue;
      this.pools.delete(origin);
      pool.close().catch((error: unknown) => this.logger.warn(`closing the pool of ${origin} failed: ${(error as Error).message}`));
    }
  }

  get origins(): string[] {
    return [...this.pools.keys()];
  }

  async onApplicationShutdown(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.destroy().catch(() => undefined)));
  }
}
