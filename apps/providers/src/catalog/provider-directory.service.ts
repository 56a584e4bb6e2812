import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { catalogChangedSchema, catalogSnapshotReplySchema, subjects } from '@switchyard/contracts';
import { catalogSnapshotPagedArrays, type CatalogSnapshot } from '@switchyard/llm-spec';
import { HealthRegistry, NatsService, SnapshotCache } from '@switchyard/nest-kit';
import { resolveProviders, type ResolvedProvider } from './resolved-provider.js';

/**
 * This replica's copy of the catalog's providers (slug → wire format, adapter preset, base URL), from the catalog
 * snapshot RPC and refreshed on `catalog.changed` (which carries only a version: a newer one means refetch). Each
 * version is resolved once (adapter chosen, origin pinned) so the hot path is a map lookup.
 */
@Injectable()
export class ProviderDirectory implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('ProviderDirectory');
  private readonly cache: SnapshotCache<CatalogSnapshot>;
  private providers = new Map<string, ResolvedProvider>();
  private builtVersion = -1;
  private readonly listeners = new Set<(providers: ReadonlyMap<string, ResolvedProvider>) => void>();

  constructor(nats: NatsService, health: HealthRegistry) {
    this.cache = new SnapshotCache<CatalogSnapshot>(
      nats,
      {
        name: 'catalog',
        snapshotSubject: subjects.catalog.snapshot,
        pagedFields: catalogSnapshotPagedArrays,
        changedSubject: subjects.catalog.changed,
        schema: catalogSnapshotReplySchema,
        version: (snapshot) => snapshot.version,
        apply: (current, event) => (catalogChangedSchema.parse(event).version > current.version ? 'refetch' : 'ignore'),
      },
      health,
    );
    this.cache.onChange((snapshot) => this.rebuild(snapshot));
  }

  onApplicationBootstrap(): void {
    this.cache.start();
  }

  onModuleDestroy(): void {
    this.cache.stop();
  }

  /** Resolves once the first snapshot arrived. */
  get ready(): Promise<void> {
    return this.cache.ready;
  }

  get loaded(): boolean {
    return this.cache.value !== undefined;
  }

  get version(): number {
    return this.cache.version;
  }

  get(slug: string): ResolvedProvider | undefined {
    return this.providers.get(slug);
  }

  all(): ReadonlyMap<string, ResolvedProvider> {
    return this.providers;
  }

  /** Called with the resolved providers after every new catalog version (the upstream pools prune by it). */
  onChange(listener: (providers: ReadonlyMap<string, ResolvedProvider>) => void): void {
    this.listeners.add(listener);
  }

  /** Fetches a snapshot now (tests and operators use it after a change). */
  refresh(): Promise<void> {
    return this.cache.refresh();
  }

  private rebuild(snapshot: CatalogSnapshot): void {
    // The cache also hands over periodic refetches of the same version: nothing to redo then.
    if (snapshot.version === this.builtVersion) return;
    this.builtVersion = snapshot.version;
    const resolved = resolveProviders(snapshot.providers, (message) => this.logger.warn(message));
    for (const provider of resolved.values()) {
      if (provider.problem) this.logger.warn(`provider ${provider.slug} cannot be called: ${provider.problem}`);
    }
    this.providers = resolved;
    this.logger.log(`catalog version ${snapshot.version}: ${resolved.size} providers`);
    for (const listener of this.listeners) listener(resolved);
  }
}
