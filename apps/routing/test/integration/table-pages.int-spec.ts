import { subjects } from '@switchyard/contracts';
import { routingTablePagedFields, routingTableSchema, type RoutingTable } from '@switchyard/llm-spec';
import { mergeSnapshotPages, NatsService, routingTableCache } from '@switchyard/nest-kit';
import { waitFor } from '@switchyard/nest-kit/testing';
import { RoutingTableService } from '../../src/table/routing-table.service.js';
import { catalogWithEndpoints, MODEL, routingSuite } from './harness.js';

const ENDPOINTS = 12;
const PAGE_BYTES = 1_024;
const endpointId = (index: number) => `${MODEL}@p${String(index).padStart(2, '0')}`;

/** A table larger than one message (here TABLE_PAGE_BYTES = 1 KiB; 512 KiB, ~1,500 active endpoints, by default). */
describe('a routing table larger than one message, on real NATS', () => {
  const suite = routingSuite({ catalog: catalogWithEndpoints(ENDPOINTS), env: { TABLE_PAGE_BYTES: String(PAGE_BYTES), TABLE_PUBLISH_INTERVAL_MS: '500', PROBE_ENABLED: 'false' } });

  beforeAll(async () => {
    for (let index = 0; index < ENDPOINTS; index++) suite.peers.publishAttempt({ endpointId: endpointId(index), providerSlug: `p${String(index).padStart(2, '0')}` });
    await waitFor(() => Object.keys(suite.routing.app.get(RoutingTableService).current().endpoints).length === ENDPOINTS, { message: 'every endpoint in the table' });
  });

  it('answers the table RPC in pages of at most TABLE_PAGE_BYTES that merge into the whole table', async () => {
    const pages = await suite.routing.app.get(NatsService).requestAll<RoutingTable>(subjects.routing.table, {});
    expect(pages.length).toBeGreaterThan(2);
    for (const page of pages) {
      expect(page.version).toBe(pages[0]!.version);
      if (Object.keys(page.endpoints).length > 1) expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThanOrEqual(PAGE_BYTES);
    }
    const table = routingTableSchema.parse(mergeSnapshotPages(pages, routingTablePagedFields));
    expect(Object.keys(table.endpoints).sort()).toEqual(Array.from({ length: ENDPOINTS }, (_, index) => endpointId(index)));
    expect(table.endpoints[endpointId(7)]).toMatchObject({ state: 'closed', uptime5m: 100 });
  });

  it('announces the table by its version on table-updated instead of publishing it whole', async () => {
    const announcement = await waitFor(() => suite.peers.announcements.find((candidate) => candidate.endpointCount === ENDPOINTS), { message: 'an announcement of the full table' });
    expect(announcement.version).toBeGreaterThan(0);
    expect(suite.peers.tables.some((table) => Object.keys(table.endpoints).length === ENDPOINTS)).toBe(false);
  });

  it('the subscriber ingress plans with (routingTableCache) follows a change through the announcement and a paged fetch', async () => {
    // Only the announcement can bring the change in time: the safety-net refresh is 10 minutes away.
    const cache = routingTableCache(suite.routing.app.get(NatsService), { name: 'routing-table-test', refreshIntervalMs: 600_000 });
    cache.start();
    try {
      await cache.ready;
      expect(Object.keys(cache.value!.endpoints)).toHaveLength(ENDPOINTS);
      const before = cache.version;
      suite.peers.publishFailures(endpointId(3), 5);
      const table = await waitFor(() => (cache.value?.endpoints[endpointId(3)]?.state === 'open' ? cache.value : undefined), { timeoutMs: 3_000, message: 'the open breaker at the subscriber' });
      expect(table.version).toBeGreaterThan(before);
      expect(Object.keys(table.endpoints)).toHaveLength(ENDPOINTS);
    } finally {
      cache.stop();
    }
  });
});
