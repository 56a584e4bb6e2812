import { type KeySnapshot, subjects } from '@switchyard/contracts';
import { waitFor } from '@switchyard/nest-kit/testing';
import { CatalogService } from '../../src/catalog/catalog.service.js';
import type { ExplainResponse } from '../../src/explain/explain.service.js';
import { RoutingTableService } from '../../src/table/routing-table.service.js';
import { catalogSnapshot, ENDPOINT_A, ENDPOINT_B, json, MODEL, routingSuite } from './harness.js';

const chat = { model: MODEL, messages: [{ role: 'user', content: 'hello' }] };

function account(accountId: string, privacy: Partial<KeySnapshot['accounts'][number]['privacy']>): KeySnapshot['accounts'][number] {
  return {
    accountId,
    name: accountId,
    balance: '10',
    overdraft: '0',
    privacy: { allowTraining: false, allowRetention: true, requireZdr: false, logPrompts: false, ...privacy },
    allowedProviders: null,
    ignoredProviders: [],
    byokProviders: [],
    totalPurchased: '10',
    disabled: false,
    byokFeeWaived: false,
    byokUsageMonthly: '0',
    byokRequestsMonthly: 0,
    guardrails: { detectors: [], keywords: [], action: 'block' },
  };
}

describe('explain', () => {
  const suite = routingSuite({ env: { BREAKER_COOL_DOWN_MS: '60000', BREAKER_MAX_COOL_DOWN_MS: '60000', PROBE_ENABLED: 'false', ACCOUNT_CACHE_TTL_MS: '0' } });

  it('explains a plan over the RPC: default privacy drops the training provider, the cheaper endpoint goes first', async () => {
    const reply = await suite.peers.rpc<ExplainResponse>(subjects.routing.explain, { request: chat });
    const plan = reply.response!;
    expect(plan).toMatchObject({ ok: true, strategy: 'load-balance', model: MODEL, catalogVersion: 1, account: { accountId: null, source: 'default' } });
    expect(plan.attempts.map((attempt) => attempt.endpointId)).toEqual([ENDPOINT_A, ENDPOINT_B]);
    expect(plan.attempts[0].reason).toContain('load-balance');
    expect(plan.steps).toContainEqual({ endpointId: `${MODEL}@gamma`, kept: false, reason: expect.stringContaining('train') });
  });

  it('puts an open endpoint last, with the reason, and reports the routing table it used', async () => {
    suite.peers.publishFailures(ENDPOINT_A, 5);
    await waitFor(() => suite.routing.app.get(RoutingTableService).current().endpoints[ENDPOINT_A]?.state === 'open');
    const response = await suite.routing.admin('/admin/explain', { method: 'POST', body: JSON.stringify(chat) });
    expect(response.status).toBe(200);
    const plan: ExplainResponse = await json(response);
    expect(plan.attempts.map((attempt) => attempt.endpointId)).toEqual([ENDPOINT_B, ENDPOINT_A]);
    expect(plan.attempts[1].reason).toContain('circuit open: last resort');
    expect(plan.attempts[1].health.state).toBe('open');
    expect(plan.routingTableVersion).toBeGreaterThan(0);
  });

  it("applies the account's privacy settings from billing, and falls back to the default without billing", async () => {
    suite.peers.keySnapshot = { version: 1, keys: [], accounts: [account('acct-trains', { allowTraining: true }), account('acct-zdr', { requireZdr: true })] };
    const trains = (await suite.peers.rpc<ExplainResponse>(subjects.routing.explain, { request: chat, accountId: 'acct-trains' })).response!;
    expect(trains.account).toMatchObject({ accountId: 'acct-trains', source: 'account', policy: { allowTraining: true } });
    expect(trains.attempts.map((attempt) => attempt.endpointId)).toContain(`${MODEL}@gamma`);

    const body = { ...chat, accountId: 'acct-unknown' };
    const unknown = await suite.routing.admin('/admin/explain', { method: 'POST', body: JSON.stringify(body) });
    expect(unknown.status).toBe(404);

    suite.peers.keySnapshot = undefined; // billing does not answer
    suite.peers.catalog = catalogSnapshot(2);
    await suite.routing.app.get(CatalogService).refresh();
    const wrapped = await suite.routing.admin('/admin/explain', { method: 'POST', body: JSON.stringify({ request: chat, accountId: 'acct-trains', sessionKey: 'abc' }) });
    const plan: ExplainResponse = await json(wrapped);
    expect(plan.catalogVersion).toBe(2);
    expect(plan.sessionKey).toBe('abc');
    expect(plan.account).toMatchObject({ accountId: 'acct-trains', source: 'default', note: expect.stringContaining('unavailable') });
    expect(plan.attempts.map((attempt) => attempt.endpointId)).not.toContain(`${MODEL}@gamma`);
  });

  it('plans providers without a platform key last, as ingress does, and says which they are', async () => {
    suite.peers.uncredentialed = ['Beta'];
    try {
      const plan = (await suite.peers.rpc<ExplainResponse>(subjects.routing.explain, { request: chat })).response!;
      expect(plan.uncredentialedProviders).toEqual(['beta']);
      expect(plan.attempts.find((attempt) => attempt.providerSlug === 'beta')?.reason).toContain('no platform credential: last resort');
      expect(plan.attempts.find((attempt) => attempt.providerSlug === 'alpha')?.reason).not.toContain('no platform credential');
    } finally {
      suite.peers.uncredentialed = null;
    }
    expect((await suite.peers.rpc<ExplainResponse>(subjects.routing.explain, { request: chat })).response!.uncredentialedProviders).toBeNull();
  });

  it('reports a request nothing can serve as a plan error, not a failure', async () => {
    const reply = await suite.peers.rpc<ExplainResponse>(subjects.routing.explain, { request: { ...chat, provider: { only: ['nobody'] } } });
    expect(reply.response).toMatchObject({ ok: false, attempts: [], error: { status: 404, code: 'constraint_filtered' } });
    const unknownModel = await suite.peers.rpc<ExplainResponse>(subjects.routing.explain, { request: { ...chat, model: 'acme/none' } });
    expect(unknownModel.response).toMatchObject({ ok: false, error: { status: 400, code: 'model_not_found' } });
  });

  it('rejects invalid requests with a 400 naming the field, over RPC and HTTP', async () => {
    const rpc = await suite.peers.rpc(subjects.routing.explain, { request: { model: MODEL, messages: [] } });
    expect(rpc.err).toMatchObject({ status: 400, errorType: 'invalid_request' });
    expect(rpc.err!.message).toContain('messages');
    const noModel = await suite.peers.rpc(subjects.routing.explain, { request: { messages: chat.messages } });
    expect(noModel.err).toMatchObject({ status: 400 });
    const notObject = await suite.peers.rpc(subjects.routing.explain, 'hello');
    expect(notObject.err).toMatchObject({ status: 400 });

    const http = await suite.routing.admin('/admin/explain', { method: 'POST', body: JSON.stringify({ ...chat, temperature: 9 }) });
    expect(http.status).toBe(400);
    expect(await json(http)).toMatchObject({ error: { code: 400, message: expect.stringContaining('temperature') } });
    const array = await suite.routing.admin('/admin/explain', { method: 'POST', body: '[1]' });
    expect(array.status).toBe(400);
    const malformed = await suite.routing.admin('/admin/explain', { method: 'POST', body: '{"model":' });
    expect(malformed.status).toBe(400);
  });
});
