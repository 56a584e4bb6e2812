import { keySnapshotSchema, subjects } from '@switchyard/contracts';
import { waitFor } from '@switchyard/nest-kit/testing';
import { BillingTestApp } from './billing-test-app.js';

describe('guardrails: an account’s detectors and keywords (real NATS + Postgres)', () => {
  let billing: BillingTestApp;
  let accountId: string;
  const guardrails = (data: Record<string, unknown>) => billing.rpc(subjects.billing.guardrails, data);

  beforeAll(async () => {
    billing = await BillingTestApp.start();
    accountId = (await billing.createAccount({ name: 'Careful Inc' })).id;
  });

  afterAll(async () => {
    await billing?.destroy();
  });

  it('starts with none, sets and replaces each list, and announces the account record with them', async () => {
    expect((await guardrails({ op: 'get', accountId })).data).toEqual({ detectors: [], keywords: [], action: 'block' });
    const before = billing.changes.length;
    const set = await guardrails({ op: 'update', accountId, body: { detectors: ['api_key', 'credit_card', 'api_key'], keywords: ['Project Falcon'] } });
    expect(set.data).toEqual({ detectors: ['api_key', 'credit_card'], keywords: ['Project Falcon'], action: 'block' });
    const announced = await waitFor(() => billing.changes.slice(before).find((change) => change.accounts.some((account) => account.accountId === accountId)), { timeoutMs: 2_000, message: 'the account announced' });
    expect(announced.accounts.find((account) => account.accountId === accountId)?.guardrails).toEqual({ detectors: ['api_key', 'credit_card'], keywords: ['Project Falcon'], action: 'block' });
    // A list left out stays; an empty one clears; the action switches to redact and back.
    expect((await guardrails({ op: 'update', accountId, body: { keywords: [], action: 'redact' } })).data).toEqual({ detectors: ['api_key', 'credit_card'], keywords: [], action: 'redact' });
    const snapshot = keySnapshotSchema.parse(await billing.rpc(subjects.billing.keySnapshot, {}));
    expect(snapshot.accounts.find((account) => account.accountId === accountId)?.guardrails).toEqual({ detectors: ['api_key', 'credit_card'], keywords: [], action: 'redact' });
    expect((await guardrails({ op: 'update', accountId, body: { action: 'block' } })).data.action).toBe('block');
  });

  it('refuses unknown detectors and empty keywords (400), and unknown accounts (404); the operator sets them too', async () => {
    await expect(guardrails({ op: 'update', accountId, body: { detectors: ['mind_reading'] } })).rejects.toMatchObject({ status: 400 });
    await expect(guardrails({ op: 'update', accountId, body: { keywords: ['  '] } })).rejects.toMatchObject({ status: 400 });
    await expect(guardrails({ op: 'update', accountId, body: { action: 'shred' } })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('action') });
    await expect(guardrails({ op: 'get', accountId: 'no-such-account' })).rejects.toMatchObject({ status: 404 });
    const patched = await billing.admin('PATCH', `/admin/accounts/${accountId}`, { guardrails: { detectors: ['email'] } });
    expect(patched.status).toBe(200);
    expect((await guardrails({ op: 'get', accountId })).data.detectors).toEqual(['email']);
  });
});
