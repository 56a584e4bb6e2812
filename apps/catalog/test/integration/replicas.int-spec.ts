import 'reflect-metadata';
import { subjects } from '@switchyard/contracts';
import { type CatalogSnapshot } from '@switchyard/llm-spec';
import { dropSchema, NatsService } from '@switchyard/nest-kit';
import { TEST_DATABASE_URL, uniqueSchema, waitFor } from '@switchyard/nest-kit/testing';
import { admin, type RunningCatalog, startCatalog } from './catalog-helpers.js';

const schema = uniqueSchema('catalog');

describe('two catalog replicas on one schema', () => {
  let replicas: RunningCatalog[] = [];

  beforeAll(async () => {
    // both start at once on an empty schema: migrations and the seed must happen exactly once
    replicas = await Promise.all([startCatalog(schema), startCatalog(schema)]);
  });

  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.app.close()));
    await dropSchema(TEST_DATABASE_URL, schema);
  });

  it('seeds once', async () => {
    for (const replica of replicas) {
      const version = await admin(replica.base, 'GET', '/admin/catalog/version');
      expect(version.body).toEqual({ version: 1, snapshotVersion: 1 });
    }
    const changes = await admin(replicas[0]!.base, 'GET', '/admin/catalog/changes');
    expect(changes.body.data.map((entry: { source: string }) => entry.source)).toEqual(['seed']);
    const providers = await admin(replicas[1]!.base, 'GET', '/admin/providers');
    expect(providers.body.data.length).toBeGreaterThan(20);
  });

  it('a change written through one replica reaches the other replica’s snapshot', async () => {
    const [first, second] = replicas as [RunningCatalog, RunningCatalog];
    const changed = await admin(first.base, 'PATCH', `/admin/endpoints/${encodeURIComponent('openai/gpt-4o-mini@openai')}`, { pricing: { completion: '0.0000007' } });
    expect(changed.body.version).toBe(2);
    await waitFor(async () => (await admin(second.base, 'GET', '/admin/catalog/version')).body.snapshotVersion === 2, { timeoutMs: 2_000, message: 'second replica at version 2' });
    const served = (await admin(second.base, 'GET', '/admin/catalog/snapshot')).body as CatalogSnapshot;
    expect(served.endpoints.find((endpoint) => endpoint.id === 'openai/gpt-4o-mini@openai')?.pricing.completion).toBe('0.0000007');
    const viaRpc = await second.app.get(NatsService).request<CatalogSnapshot>(subjects.catalog.snapshot, {});
    expect(viaRpc.version).toBe(2);
  });
});
