import { hashApiKey, keySnapshotSchema, newApiKey, subjects } from '@switchyard/contracts';
import { uniqueSchema, waitFor } from '@switchyard/nest-kit/testing';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/common/clock.js';
import { BillingTestApp } from './billing-test-app.js';

describe('free quota, restart and demo seeding (real NATS + Postgres)', () => {
  const schema = uniqueSchema('billing');
  const clock = new ManualClock(Date.parse('2025-06-04T10:00:00Z'));
  const demoKey = newApiKey();
  const env = { SWITCHYARD_DEMO_API_KEY: demoKey, SWITCHYARD_DEMO_CREDIT: '10', FREE_QUOTA_FLUSH_MS: '100' };
  let billing: BillingTestApp;
  const take = (accountId: string) => billing.rpc(subjects.billing.freeQuota, { accountId, modelId: 'meta-llama/llama-3.3-70b-instruct:free' });

  beforeAll(async () => {
    billing = await BillingTestApp.start({ schema, clock, env });
  });

  afterAll(async () => {
    await billing?.destroy();
  });

  it('seeds the demo account with its key (hashed) and a grant of SWITCHYARD_DEMO_CREDIT', async () => {
    const snapshot = keySnapshotSchema.parse(await billing.rpc(subjects.billing.keySnapshot, {}));
    const key = snapshot.keys.find((candidate) => candidate.hash === hashApiKey(demoKey));
    expect(key).toMatchObject({ kind: 'inference', disabled: false, limit: null });
    expect(snapshot.accounts.find((account) => account.accountId === key!.accountId)).toMatchObject({ name: 'Demo', balance: '10', totalPurchased: '0' });
  });

  it('limits :free requests to 20 a minute and 50 a day, with retry-after', async () => {
    const account = await billing.createAccount({ name: 'Freeloader' });
    for (let index = 0; index < 20; index++) expect(await take(account.id)).toMatchObject({ allowed: true });
    const minute = await take(account.id);
    expect(minute).toMatchObject({ allowed: false, window: 'minute', limit: 20, remaining: 0, retryAfterSeconds: 60 });
    for (let round = 0; round < 2; round++) {
      clock.advance(60_000);
      for (let index = 0; index < (round === 0 ? 20 : 10); index++) expect((await take(account.id)).allowed).toBe(true);
    }
    clock.advance(60_000);
    const day = await take(account.id);
    expect(day).toMatchObject({ allowed: false, window: 'day', limit: 50, remaining: 0, resetAt: Date.parse('2025-06-05T00:00:00Z') });
    expect(day.retryAfterSeconds).toBe(Math.ceil((Date.parse('2025-06-05T00:00:00Z') - clock.now()) / 1000));
    await expect(take('missing-account')).rejects.toMatchObject({ status: 404 });
    await expect(billing.rpc(subjects.billing.freeQuota, { accountId: account.id })).rejects.toMatchObject({ status: 400 });
  });

  it('raises the daily limit to 1000 once $10 were bought', async () => {
    const account = await billing.createAccount({ name: 'Buyer' });
    await billing.topUp(account.id, '10', 'card');
    let allowed = 0;
    for (let round = 0; allowed < 60; round++) {
      clock.advance(60_000);
      for (let index = 0; index < 20 && allowed < 60; index++) {
        expect((await take(account.id)).allowed).toBe(true);
        allowed++;
      }
    }
    clock.advance(60_000);
    expect(await take(account.id)).toMatchObject({ allowed: true, window: 'minute', remaining: 19 });
    const view = await billing.account(account.id);
    expect(view.freeQuota.usedToday).toBe(61); // past the 50 of the free tier
  });

  it('keeps balances, leases, free-quota counts and debit idempotency across a restart', async () => {
    const account = await billing.createAccount({ name: 'Durable' });
    await billing.topUp(account.id, '3', 'grant');
    const created = await billing.createKey(account.id);
    const keyHash = hashApiKey(created.key);
    const keyId = keySnapshotSchema.parse(await billing.rpc(subjects.billing.keySnapshot, {})).keys.find((key) => key.hash === keyHash)!.keyId;
    const held = await billing.rpc(subjects.billing.lease, { accountId: account.id, replicaId: 'ingress-1', requested: '1' });
    const event = billing.generation({ accountId: account.id, keyId, keyHash, leaseId: held.leaseId, cost: '0.4', upstreamCost: '0.4' });
    await billing.publishGeneration(event);
    await waitFor(async () => (await billing.account(account.id)).balance === '2.6', { message: 'debited before restart' });
    for (let index = 0; index < 5; index++) await take(account.id);
    const versionBefore = keySnapshotSchema.parse(await billing.rpc(subjects.billing.keySnapshot, {})).version;

    await billing.close();
    await billing.boot();

    expect((await billing.account(account.id)).balance).toBe('2.6');
    const renewed = await billing.rpc(subjects.billing.lease, { accountId: account.id, replicaId: 'ingress-1', requested: '0' });
    expect(renewed).toMatchObject({ leaseId: held.leaseId, granted: '0.6', grantedTotal: '1', debitedTotal: '0.4' });
    expect((await billing.rpc(subjects.billing.lease, { accountId: account.id, replicaId: 'ingress-2', requested: '5' })).granted).toBe('2'); // 2.6 − 0.6 held
    // The day count survived; the one-minute window is memory only (it starts empty after a restart).
    expect(await take(account.id)).toMatchObject({ allowed: true, window: 'minute', remaining: 19 });
    expect((await billing.account(account.id)).freeQuota.usedToday).toBe(6);
    const freeloader = (await billing.admin('GET', '/admin/accounts?limit=1000')).body.data.find((row: { name: string }) => row.name === 'Freeloader');
    clock.advance(60_000);
    expect(await take(freeloader.id)).toMatchObject({ allowed: false, window: 'day' });

    await billing.publishGeneration(event, `${event.id}-after-restart`);
    const marker = billing.generation({ accountId: account.id, keyId, keyHash, cost: '0.1', upstreamCost: '0.1' });
    await billing.publishGeneration(marker);
    await waitFor(async () => (await billing.account(account.id)).balance === '2.5', { message: 'only the new event debited' });
    const snapshot = keySnapshotSchema.parse(await billing.rpc(subjects.billing.keySnapshot, {}));
    expect(snapshot.version).toBeGreaterThan(versionBefore);
  });

  it('seeds the demo account once, even with two replicas starting at the same time on the same schema', async () => {
    await billing.close();
    const replicas = [new BillingTestApp(schema, clock, env), new BillingTestApp(schema, clock, env)];
    await Promise.all(replicas.map((replica) => replica.boot()));
    const dataSource = replicas[0]!.app.get(DataSource);
    const [counts] = await dataSource.query(`
      SELECT (SELECT count(*)::int FROM accounts WHERE name = 'Demo') AS accounts,
             (SELECT count(*)::int FROM api_keys WHERE hash = $1) AS keys,
             (SELECT count(*)::int FROM ledger_entries e JOIN api_keys k ON k.account_id = e.account_id WHERE k.hash = $1 AND e.kind = 'grant') AS grants`,
      [hashApiKey(demoKey)],
    );
    expect(counts).toEqual({ accounts: 1, keys: 1, grants: 1 });
    await Promise.all(replicas.map((replica) => replica.close()));
    await billing.boot();
  });
});
