import { waitFor } from '@switchyard/nest-kit/testing';
import { catalogWithEmbeddings, EMBED_ENDPOINT, EMBED_MODEL, RERANK_ENDPOINT, RERANK_MODEL, routingSuite } from './harness.js';

describe('active probes of embedding and rerank endpoints on real NATS and Postgres', () => {
  const suite = routingSuite({ catalog: catalogWithEmbeddings() });

  it('probes it with a one-input embeddings call (flagged as a probe), never a chat request, and closes on success', async () => {
    const since = suite.peers.tables.length;
    suite.peers.publishFailures(EMBED_ENDPOINT, 5, { providerSlug: 'alpha', modelId: EMBED_MODEL });
    await waitFor(() => suite.peers.tablesSince(since).find((table) => table.endpoints[EMBED_ENDPOINT]?.state === 'open'), { timeoutMs: 3_000, message: 'the endpoint opened' });
    const probe = await waitFor(() => suite.peers.embedRequests.find((request) => request.endpoint.id === EMBED_ENDPOINT), { timeoutMs: 5_000, message: 'an embeddings probe' });
    expect(probe.generationId).toMatch(/^probe-/);
    expect(probe.probe).toBe(true);
    expect(probe.byok).toBe(false);
    expect(probe.request).toMatchObject({ input: ['ping'], encodingFormat: 'float' });
    expect(probe.endpoint).toEqual({ id: EMBED_ENDPOINT, modelId: EMBED_MODEL, providerSlug: 'alpha', upstreamModelId: 'embed-1-alpha' });
    await waitFor(() => suite.peers.tablesSince(since).find((table) => table.endpoints[EMBED_ENDPOINT]?.state === 'closed'), { timeoutMs: 3_000, message: 'closed by the probe' });
    expect(suite.peers.chatRequests.filter((request) => request.endpoint.id === EMBED_ENDPOINT)).toEqual([]);
    expect(await (await suite.routing.admin('/metrics')).text()).toMatch(/switchyard_probes_total\{outcome="success",service="routing"\} [1-9]/);
  });

  it('keeps the breaker open after a failed embeddings probe', async () => {
    const since = suite.peers.tables.length;
    suite.peers.behaviour.set(EMBED_ENDPOINT, 'fail');
    const probesBefore = suite.peers.embedRequests.length;
    suite.peers.publishFailures(EMBED_ENDPOINT, 5, { providerSlug: 'alpha', modelId: EMBED_MODEL });
    await waitFor(() => suite.peers.embedRequests.length > probesBefore, { timeoutMs: 5_000, message: 'another embeddings probe' });
    // half-open → the failed probe re-opens it
    await waitFor(
      () => {
        const states = suite.peers.tablesSince(since).map((table) => table.endpoints[EMBED_ENDPOINT]?.state);
        const halfOpen = states.indexOf('half-open');
        return halfOpen !== -1 && states.slice(halfOpen).includes('open') ? true : undefined;
      },
      { timeoutMs: 4_000, message: 're-opened by the failed probe' },
    );
    expect(await (await suite.routing.admin('/metrics')).text()).toMatch(/switchyard_probes_total\{outcome="failure",service="routing"\} [1-9]/);
    expect(suite.peers.chatRequests.filter((request) => request.endpoint.id === EMBED_ENDPOINT)).toEqual([]);
  });

  it('probes a rerank endpoint with a one-document rerank call, never a chat request, and closes on success', async () => {
    const since = suite.peers.tables.length;
    suite.peers.publishFailures(RERANK_ENDPOINT, 5, { providerSlug: 'alpha', modelId: RERANK_MODEL });
    await waitFor(() => suite.peers.tablesSince(since).find((table) => table.endpoints[RERANK_ENDPOINT]?.state === 'open'), { timeoutMs: 3_000, message: 'the endpoint opened' });
    const probe = await waitFor(() => suite.peers.embedRequests.find((request) => request.endpoint.id === RERANK_ENDPOINT), { timeoutMs: 5_000, message: 'a rerank probe' });
    expect(probe.probe).toBe(true);
    expect(probe.request).toEqual({ operation: 'rerank', query: 'ping', documents: ['ping'] });
    await waitFor(() => suite.peers.tablesSince(since).find((table) => table.endpoints[RERANK_ENDPOINT]?.state === 'closed'), { timeoutMs: 3_000, message: 'closed by the probe' });
    expect(suite.peers.chatRequests.filter((request) => request.endpoint.id === RERANK_ENDPOINT)).toEqual([]);
  });
});
