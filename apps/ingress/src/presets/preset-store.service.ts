import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { GatewayError, NotFoundError, type Preset, presetChangedSchema, presetSchema, subjects } from '@switchyard/contracts';
import { NatsService } from '@switchyard/nest-kit';
import type { Subscription } from '@nats-io/transport-node';
import { INGRESS_CONFIG, type IngressConfig } from '../config/ingress.config.js';

/** The most presets one replica keeps (the oldest read goes first). */
export const PRESET_STORE_MAX_ENTRIES = 10_000;

interface Entry {
  /** null: billing has no such preset (kept too, so a typo does not ask billing on every request). */
  preset: Preset | null;
  at: number;
}

interface Fetch {
  promise: Promise<Preset | null>;
  /** A change was announced while the fetch was in flight: its answer may be older than the change. */
  changed: boolean;
}

/**
 * The latest version of the presets requests name, per account: read from billing (`sy.billing.presets.v1`) the
 * first time a replica meets one, then from memory. `sy.billing.preset-changed.v1` makes every replica forget a
 * preset the moment it changes (the next request reads the new version); a reconnect forgets them all (changes may
 * have been missed), and each copy is re-read after `PRESET_CACHE_TTL_MS` as a safety net.
 */
@Injectable()
export class PresetStore implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly entries = new Map<string, Entry>();
  private readonly fetches = new Map<string, Fetch>();
  private subscription: Subscription | undefined;
  private stopReconnect: (() => void) | undefined;

  constructor(
    private readonly nats: NatsService,
    @Inject(INGRESS_CONFIG) private readonly config: IngressConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = this.nats.subscribe(subjects.billing.presetChanged, (event) => {
      const parsed = presetChangedSchema.safeParse(event);
      if (parsed.success) this.forget(keyOf(parsed.data.accountId, parsed.data.slug));
    });
    this.stopReconnect = this.nats.onReconnect(() => {
      this.entries.clear();
      for (const fetch of this.fetches.values()) fetch.changed = true;
    });
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
    this.stopReconnect?.();
  }

  /** The latest version of the account's preset; a 404 when it has none. */
  async get(accountId: string, slug: string): Promise<Preset> {
    const key = keyOf(accountId, slug);
    const entry = this.entries.get(key);
    const preset = entry && Date.now() - entry.at < this.config.PRESET_CACHE_TTL_MS ? entry.preset : await this.fetch(key, accountId, slug);
    if (!preset) throw new NotFoundError(`Preset '${slug}' not found: create it with POST /api/v1/presets/${slug}/chat/completions`, { preset: slug });
    return preset;
  }

  private fetch(key: string, accountId: string, slug: string): Promise<Preset | null> {
    const running = this.fetches.get(key);
    if (running) return running.promise;
    const fetch: Fetch = { promise: Promise.resolve(null), changed: false };
    fetch.promise = (async () => {
      try {
        let preset = await this.read(accountId, slug);
        // Changed while it was read: read once more (the change committed before it was announced).
        if (fetch.changed) preset = await this.read(accountId, slug);
        this.remember(key, preset);
        return preset;
      } finally {
        this.fetches.delete(key);
      }
    })();
    this.fetches.set(key, fetch);
    return fetch.promise;
  }

  private async read(accountId: string, slug: string): Promise<Preset | null> {
    try {
      const reply = await this.nats.request<{ data: unknown }>(subjects.billing.presets, { op: 'get', accountId, slug }, { timeoutMs: 2_000 });
      return presetSchema.parse(reply.data);
    } catch (error) {
      if (GatewayError.isInstance(error) && error.status === 404) return null;
      throw error;
    }
  }

  private remember(key: string, preset: Preset | null): void {
    this.entries.delete(key);
    this.entries.set(key, { preset, at: Date.now() });
    if (this.entries.size > PRESET_STORE_MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
  }

  private forget(key: string): void {
    this.entries.delete(key);
    const fetch = this.fetches.get(key);
    if (fetch) fetch.changed = true;
  }
}

function keyOf(accountId: string, slug: string): string {
  return `${accountId}\u0000${slug}`;
}
