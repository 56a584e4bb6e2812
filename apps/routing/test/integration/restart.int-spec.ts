import { dropSchema } from '@switchyard/nest-kit';
import { TEST_DATABASE_URL, uniqueSchema, waitFor } from '@switchyard/nest-kit/testing';
import { CatalogService } from '../../src/catalog/catalog.service.js';
import { RoutingTableService } from '../../src/table/routing-table.service.js';
import { ENDPOINT_A, ENDPOINT_B, json, MODEL, Peers, type RoutingInstance, startRouting } from './harness.js';

describe('drains and stats across a restart', () => {
  const schema = uniqueSchema('routing');
  const env = { BREAKER_COOL_DOWN_MS: '60000', BREAKER_MAX_COOL_DOWN_MS: '60000', PROBE_ENABLED: 'false' };
  let peers: Peers;
  let routing: RoutingInstance;

  const start = async () => {
    routing = await startRouting(schema, env);
    await routing.app.get(CatalogService).ready;
  };

  beforeAll(async () => {
    peers = await new Peers().start();
    await start();
  });

  afterAll(async () => {
    await routing?.close();
    await peers?.stop();
    await dropSchema(TEST_DATABASE_URL, schema);
  });

  const drainPath = (id: string, action: 'drain' | 'undrain') => `/admin/endpoints/${encodeURIComponent(id)}/${action}`;

  it('drains an endpoint (URL-encoded id) with a reason, and answers 404 for an unknown one', async () => {
    const response = await routing.admin(drainPath(ENDPOINT_A, 'drain'), { method: 'POST', body: JSON.stringify({ reason: 'provider maintenance' }) });
    expect(response.status).toBe(200);
    const row = await json(response);
    expect(row).toMatchObject({ id: ENDPOINT_A, state: 'drained', drain: { reason: 'provider maintenance' } });
    expect(routing.app.get(RoutingTableService).current().endpoints[ENDPOINT_A].state).toBe('drained');

    const unknown = await routing.admin(drainPath(`${MODEL}@nowhere`, 'drain'), { method: 'POST' });
    expect(unknown.status).toBe(404);
    expect(await json(unknown)).toMatchObject({ error: { code: 404, metadata: { error_type: 'not_found', endpoint_id: `${MODEL}@nowhere` } } });

    const badBody = await routing.admin(drainPath(ENDPOINT_B, 'drain'), { method: 'POST', body: JSON.stringify({ reason: 42 }) });
    expect(badBody.status).toBe(400);
    expect((await json(badBody)).error.message).toContain('reason');

    const unauthorised = await fetch(`${routing.base}${drainPath(ENDPOINT_B, 'drain')}`, { method: 'POST' });
    expect(unauthorised.status).toBe(401);
  });

  it('keeps drains, uptime figures and open breakers after a restart', async () => {
    const now = Date.now();
    for (let index = 0; index < 3; index++) peers.publishAttempt({ endpointId: ENDPOINT_B, at: now });
    peers.publishFailures(ENDPOINT_B, 1, { at: now });
    peers.publishFailures(`${MODEL}@gamma`, 5, { at: now });
    await waitFor(() => routing.app.get(RoutingTableService).current().endpoints[`${MODEL}@gamma`]?.state === 'open');
    await waitFor(() => routing.app.get(RoutingTableService).current().endpoints[ENDPOINT_B]?.uptime5m === 75);
    const before = routing.app.get(RoutingTableService).current();

    await routing.close(); // saves the stats snapshot on the way out
    await start();

    const after = routing.app.get(RoutingTableService).current();
    expect(after.version).toBeGreaterThan(before.version);
    expect(after.endpoints[ENDPOINT_A]).toMatchObject({ state: 'drained' });
    expect(after.endpoints[ENDPOINT_B]).toEqual(before.endpoints[ENDPOINT_B]);
    expect(after.endpoints[`${MODEL}@gamma`]).toMatchObject({ state: 'open', uptime5m: 0 });
    const row = await routing.healthRow(ENDPOINT_A);
    expect(row.drain).toMatchObject({ reason: 'provider maintenance' });
  });

  it('undrains, and the undrain survives a restart too', async () => {
    const response = await routing.admin(drainPath(ENDPOINT_A, 'undrain'), { method: 'POST' });
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ state: 'closed', drain: null });
    // undraining an endpoint that is not drained is a no-op, not an error
    expect((await routing.admin(drainPath(ENDPOINT_A, 'undrain'), { method: 'POST' })).status).toBe(200);
    expect((await routing.admin(drainPath(`${MODEL}@nowhere`, 'undrain'), { method: 'POST' })).status).toBe(404);

    await routing.close();
    await start();
    expect(routing.app.get(RoutingTableService).current().endpoints[ENDPOINT_A]).toBeUndefined();
  });
});
