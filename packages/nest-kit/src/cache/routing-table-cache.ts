import { applyRoutingTableUpdate, subjects } from '@switchyard/contracts';
import { routingTablePagedFields, routingTableSchema, type RoutingTable } from '@switchyard/llm-spec';
import type { HealthRegistry } from '../admin/health.registry.js';
import type { NatsService } from '../nats/nats.service.js';
import { SnapshotCache } from './snapshot-cache.js';

/**
 * A subscriber's copy of the routing table (ingress plans with it): fetched from `routing.table` (in pages when the
 * table is larger than one message), replaced by each whole table pushed on `routing.table-updated`, fetched again
 * when a newer version is announced instead, and refreshed every `refreshIntervalMs` as a safety net.
 */
export function routingTableCache(nats: NatsService, options: { name?: string; refreshIntervalMs?: number; health?: HealthRegistry } = {}): SnapshotCache<RoutingTable> {
  return new SnapshotCache<RoutingTable>(
    nats,
    {
      name: options.name ?? 'routing-table',
      snapshotSubject: subjects.routing.table,
      pagedFields: routingTablePagedFields,
      changedSubject: subjects.routing.tableUpdated,
      schema: routingTableSchema,
      version: (table) => table.version,
      apply: applyRoutingTableUpdate,
      refreshIntervalMs: options.refreshIntervalMs ?? 15_000,
    },
    options.health,
  );
}
