import { subjects } from '@switchyard/contracts';
import type { RoutingTable } from '@switchyard/llm-spec';
import { dropSchema } from '@switchyard/nest-kit';
import { TEST_DATABASE_URL, uniqueSchema, waitFor } from '@switchyard/nest-kit/testing';
import { CatalogService } from '../../src/catalog/catalog.service.js';
import { RoutingTableService } from '../../src/table/routing-table.service.js';
import { ENDPOINT_A, ENDPOINT_B, Peers, type RoutingInstance, startRouting } from './harness.js';

/** Two replicas of the routing service sharing one schema, as in production. */
describe('routing replicas', () => {
  const schema = uniqueSchema('routing');
  let peers: Peers;
  let first: RoutingInstance;
  let second: RoutingInstance;

  const tableOf = (instance: RoutingInstance): RoutingTable => instance.app.get(RoutingTableService).current();

  beforeAll(async () => {
    peers = await new Peers().start();
    // long cool-down and no probes: the states must come from the events alone
    const env = { BREAKER_COOL_DOWN_MS: '60000', BREAKER_MAX_COOL_DOWN_MS: '60000', PROBE_ENABLED: 'false' };
    first = await startRouting(schema, env);
    second = await startRouting(schema, env);
    await Promise.all([first.app.get(CatalogService).ready, second.app.get(CatalogService).ready]);
  });

  afterAll(async () => {
    await first?.close();
    await second?.close();
    await peers?.stop();
    await dropSchema(TEST_DATABASE_URL, schema);
  });

  it('reach identical endpoint states and figures from the same events', async () => {
    const now = Date.now();
    for (let index = 0; index < 8; index++) peers.publishAttempt({ endpointId: ENDPOINT_B, ttftMs: 100 + index * 10, tokensPerSecond: 50 + index, at: now - index });
    peers.publishFailures(ENDPOINT_B, 1, { at: now });
    peers.publishFailures(ENDPOINT_A, 6, { at: now });
    peers.publishAttempt({ endpointId: ENDPOINT_A, status: 429, ok: false, errorType: 'rate_limit_exceeded', retryAfterMs: 20_000, at: now });

    await waitFor(() => tableOf(first).endpoints[ENDPOINT_A]?.state === 'open' && tableOf(second).endpoints[ENDPOINT_A]?.state === 'open', { timeoutMs: 3_000 });
    await waitFor(() => tableOf(first).endpoints[ENDPOINT_B]?.uptime5m !== undefined && tableOf(second).endpoints[ENDPOINT_B]?.uptime5m !== undefined);
    const left = tableOf(first);
    const right = tableOf(second);
    expect(left.endpoints).toEqual(right.endpoints);
    expect(left.endpoints[ENDPOINT_A]).toMatchObject({ state: 'open', uptime5m: 0, retryAfterUntil: now + 20_000 });
    expect(left.endpoints[ENDPOINT_B]).toMatchObject({ state: 'closed', uptime5m: 88.89 });
  });

  it('a drain on one replica reaches the other through Postgres, and the table of either shows it', async () => {
    const since = peers.tables.length;
    const response = await first.admin(`/admin/endpoints/${encodeURIComponent(ENDPOINT_B)}/drain`, { method: 'POST', body: JSON.stringify({ reason: 'maintenance' }) });
    expect(response.status).toBe(200);
    await waitFor(() => tableOf(second).endpoints[ENDPOINT_B]?.state === 'drained', { timeoutMs: 2_000, message: 'second replica sees the drain' });
    // both replicas published a table with the drain
    await waitFor(() => peers.tablesSince(since).filter((table) => table.endpoints[ENDPOINT_B]?.state === 'drained').length >= 2, { timeoutMs: 2_000 });
    const reply = await peers.rpc<RoutingTable>(subjects.routing.table, {});
    expect(reply.response!.endpoints[ENDPOINT_B].state).toBe('drained');

    await second.admin(`/admin/endpoints/${encodeURIComponent(ENDPOINT_B)}/undrain`, { method: 'POST' });
    await waitFor(() => tableOf(first).endpoints[ENDPOINT_B]?.state === 'closed', { timeoutMs: 2_000, message: 'first replica sees the undrain' });
  });
});
