import { subjects } from '@switchyard/contracts';
import type { RoutingTable } from '@switchyard/llm-spec';
import { waitFor } from '@switchyard/nest-kit/testing';
import { ENDPOINT_A, ENDPOINT_B, json, MODEL, routingSuite } from './harness.js';

describe('health monitor on real NATS and Postgres', () => {
  const suite = routingSuite();

  it('serves the current table on the table RPC, with versions that only go up', async () => {
    suite.peers.publishAttempt({ endpointId: ENDPOINT_B });
    const first = await waitFor(async () => {
      const reply = await suite.peers.rpc<RoutingTable>(subjects.routing.table, {});
      return reply.response?.endpoints[ENDPOINT_B]?.uptime5m === 100 ? reply.response : undefined;
    });
    expect(first.endpoints[ENDPOINT_B]).toMatchObject({ state: 'closed', weight: 1, uptime5m: 100, uptime30m: 100, uptime1d: 100, latencyP50Last5m: 150, throughputP50Last5m: 60 });
    const second = (await suite.peers.rpc<RoutingTable>(subjects.routing.table, {})).response!;
    expect(second.version).toBeGreaterThan(first.version);
    expect(second.version).toBeGreaterThanOrEqual(Date.now() - 5_000);
  });

  it('publishes the table with the endpoint open within a second of the failures', async () => {
    const since = suite.peers.tables.length;
    const sentAt = Date.now();
    suite.peers.publishFailures(ENDPOINT_A, 5);
    const table = await waitFor(() => suite.peers.tablesSince(since).find((candidate) => candidate.endpoints[ENDPOINT_A]?.state === 'open'), { timeoutMs: 3_000 });
    expect(Date.now() - sentAt).toBeLessThan(1_000);
    expect(table.endpoints[ENDPOINT_A].lastFailureAt).toBeGreaterThanOrEqual(sentAt - 5);
    expect(table.endpoints[ENDPOINT_A].uptime5m).toBe(0);
    const versions = suite.peers.tablesSince(since).map((candidate) => candidate.version);
    expect([...versions].sort((left, right) => left - right)).toEqual(versions);
  });

  it('probes the endpoint once half-open and closes the breaker on a healthy probe', async () => {
    // ENDPOINT_A is open from the previous test; its cool-down is 400 ms
    const since = suite.peers.tables.length;
    const probe = await waitFor(() => suite.peers.chatRequests.find((request) => request.endpoint.id === ENDPOINT_A), { timeoutMs: 5_000, message: 'a probe' });
    expect(probe.generationId).toMatch(/^probe-/);
    expect(probe.request).toMatchObject({ model: MODEL, max_tokens: 1 });
    expect(probe.endpoint).toEqual({ id: ENDPOINT_A, modelId: MODEL, providerSlug: 'alpha', upstreamModelId: 'chat-1-alpha' });
    expect(probe.byok).toBe(false);
    const closed = await waitFor(() => suite.peers.tablesSince(since).find((table) => table.endpoints[ENDPOINT_A]?.state === 'closed'), { timeoutMs: 3_000 });
    expect(suite.peers.tablesSince(since).some((table) => table.endpoints[ENDPOINT_A]?.state === 'half-open')).toBe(true);
    // probes never count in public uptime: still the 5 failures only
    expect(closed.endpoints[ENDPOINT_A].uptime5m).toBe(0);
  });

  it('re-opens on a failed probe with a doubled cool-down, and closes once the endpoint recovers', async () => {
    suite.peers.behaviour.set(ENDPOINT_A, 'fail');
    suite.peers.chatRequests.length = 0;
    suite.peers.publishFailures(ENDPOINT_A, 5);
    const row = await waitFor(async () => {
      const candidate = await suite.routing.healthRow(ENDPOINT_A);
      return candidate.breaker.openings >= 2 && candidate.state === 'open' ? candidate : undefined;
    }, { timeoutMs: 5_000, message: 'a failed probe re-opened the breaker' });
    // cool-down 400 ms, doubled on every re-opening
    expect(Date.parse(row.breaker.openUntil) - Date.parse(row.breaker.openedAt)).toBe(400 * 2 ** (row.breaker.openings - 1));
    const openOnly = await json(await suite.routing.admin('/admin/health-table?state=open'));
    expect(openOnly.endpoints.every((endpoint: { state: string }) => endpoint.state === 'open')).toBe(true);
    expect(suite.peers.chatRequests.filter((request) => request.endpoint.id === ENDPOINT_A).length).toBeGreaterThanOrEqual(1);

    suite.peers.behaviour.set(ENDPOINT_A, 'ok');
    await waitFor(async () => (await suite.routing.healthRow(ENDPOINT_A)).state === 'closed', {
      timeoutMs: 5_000,
      message: 'closed after recovery',
    });
  });

  it('does not hold a probe no providers replica answered against the endpoint', async () => {
    const endpoint = `${MODEL}@gamma`;
    suite.peers.behaviour.set(endpoint, 'silent');
    suite.peers.publishFailures(endpoint, 5);
    await waitFor(() => suite.peers.chatRequests.some((request) => request.endpoint.id === endpoint), { timeoutMs: 3_000, message: 'a probe of gamma' });
    // liveness is 1.5 s: the probe ends unanswered and the breaker stays half-open, ready for the next probe
    await waitFor(async () => /switchyard_probes_total\{outcome="unanswered",service="routing"\} [1-9]/.test(await (await suite.routing.admin('/metrics')).text()), { timeoutMs: 4_000 });
    const row = await suite.routing.healthRow(endpoint);
    expect(row).toMatchObject({ state: 'half-open', breaker: { openings: 1 } });
    suite.peers.behaviour.set(endpoint, 'ok');
    await waitFor(async () => (await suite.routing.healthRow(endpoint)).state === 'closed', {
      timeoutMs: 5_000,
      message: 'gamma closed by the next probe',
    });
  });

  it("sets retryAfterUntil from a 429's retry-after and publishes it at once", async () => {
    const since = suite.peers.tables.length;
    const before = Date.now();
    suite.peers.publishAttempt({ endpointId: ENDPOINT_B, ok: false, status: 429, errorType: 'rate_limit_exceeded', retryable: true, retryAfterMs: 30_000, ttftMs: null });
    const table = await waitFor(() => suite.peers.tablesSince(since).find((candidate) => (candidate.endpoints[ENDPOINT_B]?.retryAfterUntil ?? null) !== null), { timeoutMs: 2_000 });
    expect(table.endpoints[ENDPOINT_B].retryAfterUntil).toBeGreaterThanOrEqual(before + 30_000 - 50);
    expect(table.endpoints[ENDPOINT_B].state).toBe('closed');
  });

  it('drops malformed events without harm and counts everything on /metrics', async () => {
    suite.peers.nc.publish(subjects.providers.attemptCompleted, JSON.stringify({ nonsense: true }));
    suite.peers.nc.publish(subjects.providers.attemptCompleted, 'not json');
    await waitFor(async () => (await (await suite.routing.admin('/metrics')).text()).includes('switchyard_attempt_events_total{result="invalid"'));
    const metrics = await (await suite.routing.admin('/metrics')).text();
    expect(metrics).toMatch(/switchyard_endpoint_state\{endpoint="acme\/chat-1@alpha",service="routing"\} 0/);
    expect(metrics).toMatch(/switchyard_breaker_transitions_total\{endpoint="acme\/chat-1@alpha",from="closed",to="open",service="routing"\} [1-9]/);
    expect(metrics).toMatch(/switchyard_endpoint_uptime_percent\{endpoint="acme\/chat-1@beta",window="5m",service="routing"\}/);
    expect(metrics).toMatch(/switchyard_routing_table_versions_published_total\{trigger="change",form="whole",service="routing"\} [1-9]/);
    expect(metrics).toMatch(/switchyard_probes_total\{outcome="success",service="routing"\} [1-9]/);
    expect(metrics).toMatch(/switchyard_attempt_events_total\{result="failure",service="routing"\} [1-9]/);
  });

  it('lists every catalog endpoint on the admin health table, behind the admin token', async () => {
    expect((await fetch(`${suite.routing.base}/admin/health-table`)).status).toBe(401);
    const body = await json(await suite.routing.admin('/admin/health-table'));
    expect(body.catalogVersion).toBe(1);
    expect(body.endpoints.map((endpoint: { id: string }) => endpoint.id)).toEqual([ENDPOINT_A, ENDPOINT_B, `${MODEL}@gamma`]);
    const gamma = body.endpoints[2];
    expect(gamma).toMatchObject({ state: 'closed', weight: 1, inCatalog: true, providerSlug: 'gamma', tag: 'gamma', uptime: { '5m': 0, '30m': 0, '1d': 0 }, drain: null });
    expect(gamma.breaker).toMatchObject({ state: 'closed', openings: 0, nextCoolDownMs: 400 });
    const beta = body.endpoints[1];
    expect(beta.latencyMs['30m']).toEqual({ p50: 150, p75: 150, p90: 150, p99: 150 });
    expect(beta.outcomes['5m']).toEqual({ successes: 1, failures: 1 });
    const invalid = await suite.routing.admin('/admin/health-table?state=sideways');
    expect(invalid.status).toBe(400);
    expect((await json(invalid)).error.code).toBe(400);
  });
});
