import 'reflect-metadata';
import { subjects } from '@switchyard/contracts';
import { type CatalogSnapshot, catalogSnapshotPagedArrays, catalogSnapshotSchema } from '@switchyard/llm-spec';
import { dropSchema, HealthRegistry, mergeSnapshotPages, NatsService, SnapshotCache } from '@switchyard/nest-kit';
import { TEST_DATABASE_URL, uniqueSchema } from '@switchyard/nest-kit/testing';
import { admin, type RunningCatalog, startCatalog } from './catalog-helpers.js';

const schema = uniqueSchema('catalogpages');

describe('the catalog snapshot in pages (real Postgres and NATS)', () => {
  let catalog: RunningCatalog;

  beforeAll(async () => {
    // 8 KiB pages: the seeded market already takes several, as an imported catalog of hundreds of models does at 512 KiB.
    catalog = await startCatalog(schema, { SIMULATOR_BASE_URL: 'http://127.0.0.1:18124/openai/v1', CATALOG_SNAPSHOT_PAGE_BYTES: '8192' });
  });

  afterAll(async () => {
    await catalog?.app.close();
    await dropSchema(TEST_DATABASE_URL, schema);
  });

  it('answers in pages of one version within the page size, which put back together are the whole snapshot', async () => {
    const whole = (await admin<CatalogSnapshot>(catalog.base, 'GET', '/admin/catalog/snapshot')).body;
    const pages = await catalog.app.get(NatsService).requestAll<CatalogSnapshot>(subjects.catalog.snapshot, {}, { timeoutMs: 10_000 });
    expect(pages.length).toBeGreaterThan(2);
    for (const page of pages) {
      expect(page.version).toBe(whole.version);
      expect(page.aliases).toEqual(whole.aliases);
      const items = page.providers.length + page.models.length + page.endpoints.length;
      if (items > 1) expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThanOrEqual(8192);
    }
    expect(mergeSnapshotPages(pages, catalogSnapshotPagedArrays)).toEqual(whole);
  });

  it('is loaded whole by the snapshot cache every consumer (ingress, providers, routing) keeps it in', async () => {
    const whole = catalogSnapshotSchema.parse((await admin<CatalogSnapshot>(catalog.base, 'GET', '/admin/catalog/snapshot')).body);
    const cache = new SnapshotCache<CatalogSnapshot>(
      catalog.app.get(NatsService),
      { name: 'catalog-pages-test', snapshotSubject: subjects.catalog.snapshot, changedSubject: subjects.catalog.changed, schema: catalogSnapshotSchema, version: (value) => value.version, apply: () => 'refetch', pagedFields: catalogSnapshotPagedArrays },
      new HealthRegistry(),
    );
    cache.start();
    try {
      await cache.ready;
      expect(cache.value).toEqual(whole);
      expect(cache.value!.endpoints.length).toBeGreaterThan(10);
    } finally {
      cache.stop();
    }
  });
});
