import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { catalogChangedSchema, subjects } from '@switchyard/contracts';
import { catalogSnapshotPagedArrays, catalogSnapshotSchema, emptyRoutingTable, type CatalogSnapshot, type RoutingTable } from '@switchyard/llm-spec';
import { HealthRegistry, MetricsService, NatsService, routingTableCache, SnapshotCache } from '@switchyard/nest-kit';
import { CatalogIndex } from '@switchyard/routing-policy';

/**
 * The two control-plane inputs of planning, held in memory: the catalog (snapshot + `catalog.changed` → refetch)
 * indexed for the planner, and the routing table the routing service pushes (the whole table in each event, or
 * for a table past one message its announced version → a fetch of the table in pages). Both
 * keep serving their last value when their owner is down.
 */
@Injectable()
export class CatalogStateService implements OnModuleInit, OnApplicationShutdown {
  private readonly catalogCache: SnapshotCache<CatalogSnapshot>;
  private readonly routingCache: SnapshotCache<RoutingTable>;
  private catalogIndex: CatalogIndex | undefined;

  constructor(nats: NatsService, health: HealthRegistry, metrics: MetricsService) {
    this.catalogCache = new SnapshotCache(
      nats,
      {
        name: 'catalog',
        snapshotSubject: subjects.catalog.snapshot,
        pagedFields: catalogSnapshotPagedArrays,
        changedSubject: subjects.catalog.changed,
        schema: catalogSnapshotSchema,
        version: (snapshot) => snapshot.version,
        apply: (current, event) => (catalogChangedSchema.parse(event).version > current.version ? 'refetch' : 'ignore'),
      },
      health,
    );
    this.routingCache = routingTableCache(nats);
    const catalogVersion = metrics.gauge({ name: 'switchyard_ingress_catalog_version', help: 'Catalog version this ingress plans with' });
    const tableVersion = metrics.gauge({ name: 'switchyard_ingress_routing_table_version', help: 'Routing table version this ingress plans with' });
    this.catalogCache.onChange((snapshot) => {
      this.catalogIndex = CatalogIndex.build(snapshot);
      catalogVersion.set(snapshot.version);
    });
    this.routingCache.onChange((table) => tableVersion.set(table.version));
  }

  onModuleInit(): void {
    this.catalogCache.start();
    this.routingCache.start();
  }

  onApplicationShutdown(): void {
    this.catalogCache.stop();
    this.routingCache.stop();
  }

  /** The planner's catalog index; undefined until the first snapshot arrived. */
  get index(): CatalogIndex | undefined {
    return this.catalogIndex;
  }

  get routingTable(): RoutingTable {
    return this.routingCache.value ?? emptyRoutingTable();
  }

  whenReady(): Promise<void> {
    return this.catalogCache.ready;
  }
}
