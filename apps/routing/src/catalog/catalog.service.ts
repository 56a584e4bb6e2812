import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { catalogChangedSchema, subjects } from '@switchyard/contracts';
import { type CatalogEndpoint, type CatalogSnapshot, catalogSnapshotPagedArrays, catalogSnapshotSchema } from '@switchyard/llm-spec';
import { HealthRegistry, NatsService, SnapshotCache } from '@switchyard/nest-kit';
import { CatalogIndex } from '@switchyard/routing-policy';
import { ROUTING_CONFIG, type RoutingConfig } from '../config/routing.config.js';

/**
 * The catalog, held in memory like every ingress holds it: a full snapshot on start, after every reconnect and on
 * `catalog.changed` (which only announces a new version), with the planner's CatalogIndex built once per version.
 * Routing needs it to explain plans, to address probes (upstream model ids) and to know which endpoints exist.
 */
@Injectable()
export class CatalogService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Catalog');
  private readonly cache: SnapshotCache<CatalogSnapshot>;
  private index: CatalogIndex | undefined;
  /** Every endpoint of the snapshot by id, disabled ones included (drains may target them). */
  private endpointsById = new Map<string, CatalogEndpoint>();
  private readonly listeners = new Set<(index: CatalogIndex) => void>();

  constructor(nats: NatsService, health: HealthRegistry, @Inject(ROUTING_CONFIG) config: RoutingConfig) {
    this.cache = new SnapshotCache<CatalogSnapshot>(
      nats,
      {
        name: 'catalog',
        snapshotSubject: subjects.catalog.snapshot,
        pagedFields: catalogSnapshotPagedArrays,
        changedSubject: subjects.catalog.changed,
        schema: catalogSnapshotSchema,
        version: (snapshot) => snapshot.version,
        apply: (current, event) => {
          const parsed = catalogChangedSchema.safeParse(event);
          if (!parsed.success) return 'refetch';
          return parsed.data.version > current.version ? 'refetch' : 'ignore';
        },
        refreshIntervalMs: config.CATALOG_REFRESH_INTERVAL_MS,
      },
      health,
    );
    this.cache.onChange((snapshot) => this.rebuild(snapshot));
  }

  onModuleInit(): void {
    this.cache.start();
  }

  onModuleDestroy(): void {
    this.cache.stop();
  }

  private rebuild(snapshot: CatalogSnapshot): void {
    if (this.index && this.index.version === snapshot.version && this.index.snapshot === snapshot) return;
    this.index = CatalogIndex.build(snapshot);
    this.endpointsById = new Map(snapshot.endpoints.map((endpoint) => [endpoint.id, endpoint]));
    this.logger.log(`catalog version ${snapshot.version}: ${snapshot.endpoints.length} endpoints`);
    for (const listener of this.listeners) listener(this.index);
  }

  /** The planner's index of the current catalog; undefined until the first snapshot arrived. */
  current(): CatalogIndex | undefined {
    return this.index;
  }

  get version(): number {
    return this.index?.version ?? -1;
  }

  /** Resolves once the first snapshot is in. */
  get ready(): Promise<void> {
    return this.cache.ready;
  }

  /** Any endpoint of the snapshot (active or disabled). */
  endpoint(endpointId: string): CatalogEndpoint | undefined {
    return this.endpointsById.get(endpointId);
  }

  /** Ids of every endpoint in the snapshot. */
  endpointIds(): IterableIterator<string> {
    return this.endpointsById.keys();
  }

  hasEndpoint(endpointId: string): boolean {
    return this.endpointsById.has(endpointId);
  }

  /** Fetches a snapshot now (tests and operators; events are the normal path). */
  refresh(): Promise<void> {
    return this.cache.refresh();
  }

  onChange(listener: (index: CatalogIndex) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
