import { dropSchema } from '@switchyard/nest-kit';
import { TEST_DATABASE_URL, uniqueSchema, waitFor } from '@switchyard/nest-kit/testing';
import { CatalogService } from '../../src/catalog/catalog.service.js';
import { catalogWithEmbeddings, EMBED_ENDPOINT, EMBED_MODEL, Peers, type RoutingInstance, startRouting } from './harness.js';

describe('active probes of an embedding endpoint on real NATS and Postgres', () => {
  const schema = uniqueSchema('routing');
  let peers: Peers;
  let routing: RoutingInstance;

  beforeAll(async () => {
    peers = new Peers();
    peers.catalog = catalogWithEmbeddings();
    await peers.start();
    routing = await startRouting(schema);
    await routing.app.get(CatalogService).ready;
  });

  afterAll(async () => {
    await routing?.close();
    await peers?.stop();
    await dropSchema(TEST_DATABASE_URL, schema);
  });

  it('probes it with a one-input embeddings call (flagged as a probe), never a chat request, and closes on success', async () => {
    const since = peers.tables.length;
    peers.publishFailures(EMBED_ENDPOINT, 5, { providerSlug: 'alpha', modelId: EMBED_MODEL });
    await waitFor(() => peers.tablesSince(since).find((table) => table.endpoints[EMBED_ENDPOINT]?.state === 'open'), { timeoutMs: 3_000, message: 'the endpoint opened' });
    const probe = await waitFor(() => peers.embedRequests.find((request) => request.endpoint.id === EMBED_ENDPOINT), { timeoutMs: 5_000, message: 'an embeddings probe' });
    expect(probe.generationId).toMatch(/^probe-/);
    expect(probe.probe).toBe(true);
    expect(probe.byok).toBe(false);
    expect(probe.request).toMatchObject({ input: ['ping'], encodingFormat: 'float' });
    expect(probe.endpoint).toEqual({ id: EMBED_ENDPOINT, modelId: EMBED_MODEL, providerSlug: 'alpha', upstreamModelId: 'embed-1-alpha' });
    await waitFor(() => peers.tablesSince(since).find((table) => table.endpoints[EMBED_ENDPOINT]?.state === 'closed'), { timeoutMs: 3_000, message: 'closed by the probe' });
    expect(peers.chatRequests.filter((request) => request.endpoint.id === EMBED_ENDPOINT)).toEqual([]);
    expect(await (await routing.admin('/metrics')).text()).toMatch(/switchyard_probes_total\{outcome="success",service="routing"\} [1-9]/);
  });

  it('keeps the breaker open after a failed embeddings probe', async () => {
    const since = peers.tables.length;
    peers.behaviour.set(EMBED_ENDPOINT, 'fail');
    const probesBefore = peers.embedRequests.length;
    peers.publishFailures(EMBED_ENDPOINT, 5, { providerSlug: 'alpha', modelId: EMBED_MODEL });
    await waitFor(() => peers.embedRequests.length > probesBefore, { timeoutMs: 5_000, message: 'another embeddings probe' });
    // half-open → the failed probe re-opens it
    await waitFor(
      () => {
        const states = peers.tablesSince(since).map((table) => table.endpoints[EMBED_ENDPOINT]?.state);
        const halfOpen = states.indexOf('half-open');
        return halfOpen !== -1 && states.slice(halfOpen).includes('open') ? true : undefined;
      },
      { timeoutMs: 4_000, message: 're-opened by the failed probe' },
    );
    expect(await (await routing.admin('/metrics')).text()).toMatch(/switchyard_probes_total\{outcome="failure",service="routing"\} [1-9]/);
    expect(peers.chatRequests.filter((request) => request.endpoint.id === EMBED_ENDPOINT)).toEqual([]);
  });
});
