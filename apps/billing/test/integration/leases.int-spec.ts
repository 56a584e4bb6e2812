import { hashApiKey, leaseReplySchema, subjects } from '@switchyard/contracts';
import { Decimal } from '@switchyard/money';
import { BillingTestApp } from './billing-test-app.js';

describe('credit leases (real NATS + Postgres)', () => {
  let billing: BillingTestApp;
  const lease = (data: Record<string, unknown>) => billing.rpc(subjects.billing.lease, data);

  beforeAll(async () => {
    billing = await BillingTestApp.start({ env: { LEASE_TTL_MS: '60000', DB_POOL_SIZE: '10' } });
  });

  afterAll(async () => {
    await billing?.destroy();
  });

  it('never grants more than the balance in total under 50 concurrent requests from 5 replicas', async () => {
    const account = await billing.createAccount({ name: 'Contended' });
    await billing.topUp(account.id, '1', 'grant');
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, index) => lease({ accountId: account.id, replicaId: `replica-${index % 5}`, requested: String(0.03 + (index % 7) * 0.01) })),
    );
    for (const reply of replies) leaseReplySchema.parse(reply);
    const grantedNow = replies.reduce((sum, reply) => sum.plus(reply.grantedNow), new Decimal(0));
    expect(grantedNow.toString()).toBe('1'); // everything, and not a cent more
    // Each replica's final outstanding, as the last of its replies says, adds up to the balance as well.
    const perReplica = new Map<string, Decimal>();
    for (const reply of replies) perReplica.set(reply.leaseId, Decimal.max(perReplica.get(reply.leaseId) ?? new Decimal(0), new Decimal(reply.granted)));
    expect(perReplica.size).toBe(5);
    expect([...perReplica.values()].reduce((sum, value) => sum.plus(value), new Decimal(0)).toString()).toBe('1');
    const view = await billing.account(account.id);
    const outstanding = view.leases.reduce((sum: Decimal, row: { outstanding: string }) => sum.plus(row.outstanding), new Decimal(0));
    expect(outstanding.toString()).toBe('1');
    expect((await lease({ accountId: account.id, replicaId: 'replica-9', requested: '0.01' })).granted).toBe('0');
  });

  it('grants within the overdraft, renews with "0", and lets an expired lease’s room go to others', async () => {
    const account = await billing.createAccount({ name: 'Overdrawn', overdraft: '0.5' });
    await billing.topUp(account.id, '1', 'grant');
    const first = await lease({ accountId: account.id, replicaId: 'a', requested: '2' });
    expect(first).toMatchObject({ granted: '1.5', grantedNow: '1.5', keyGranted: null });
    expect(first.expiresAt).toBe(billing.clock.now() + 60_000);
    billing.clock.advance(30_000);
    const renewed = await lease({ accountId: account.id, replicaId: 'a', requested: '0' });
    expect(renewed).toMatchObject({ leaseId: first.leaseId, granted: '1.5', grantedNow: '0', expiresAt: billing.clock.now() + 60_000 });
    expect((await lease({ accountId: account.id, replicaId: 'b', requested: '1' })).granted).toBe('0');
    billing.clock.advance(60_001);
    const other = await lease({ accountId: account.id, replicaId: 'b', requested: '1' });
    expect(other.granted).toBe('1');
    const back = await lease({ accountId: account.id, replicaId: 'a', requested: '5' });
    expect(back.leaseId).not.toBe(first.leaseId); // a new epoch
    expect(back).toMatchObject({ granted: '0.5', grantedTotal: '0.5', debitedTotal: '0' });
  });

  it('takes unused room back with shrinkTo, so another replica can use it at once', async () => {
    const account = await billing.createAccount({ name: 'Shrinking' });
    await billing.topUp(account.id, '1', 'grant');
    const held = await lease({ accountId: account.id, replicaId: 'a', requested: '1' });
    expect((await lease({ accountId: account.id, replicaId: 'b', requested: '1' })).granted).toBe('0');
    const shrunk = await lease({ accountId: account.id, replicaId: 'a', requested: '0', shrinkTo: '0.2' });
    expect(shrunk).toMatchObject({ leaseId: held.leaseId, granted: '0.2', grantedTotal: '0.2' });
    expect((await lease({ accountId: account.id, replicaId: 'b', requested: '1' })).granted).toBe('0.8');
    await expect(lease({ accountId: account.id, replicaId: 'a', requested: '0', shrinkTo: '-1' })).rejects.toMatchObject({ status: 400 });
  });

  it('bounds a key with a limit by its remaining limit across replicas, and refuses disabled keys', async () => {
    const account = await billing.createAccount({ name: 'KeyLimited' });
    await billing.topUp(account.id, '10', 'grant');
    const limited = await billing.createKey(account.id, { name: 'capped', limit: '1', limit_reset: 'daily' });
    const hash = hashApiKey(limited.key);
    const a = await lease({ accountId: account.id, keyHash: hash, replicaId: 'a', requested: '0.7' });
    expect(a).toMatchObject({ granted: '0.7', keyGranted: '0.7' });
    const b = await lease({ accountId: account.id, keyHash: hash, replicaId: 'b', requested: '0.7' });
    expect(b).toMatchObject({ granted: '0.3', keyGranted: '0.3' });
    const unlimited = await billing.createKey(account.id, { name: 'free-range' });
    const c = await lease({ accountId: account.id, keyHash: hashApiKey(unlimited.key), replicaId: 'b', requested: '5' });
    expect(c).toMatchObject({ granted: '5.3', keyGranted: null });

    await billing.rpc(subjects.billing.keys, { op: 'update', accountId: account.id, hash, body: { disabled: true } });
    expect(await lease({ accountId: account.id, keyHash: hash, replicaId: 'a', requested: '1' })).toMatchObject({ grantedNow: '0' });
  });

  it('rejects bad lease requests with 4xx', async () => {
    const account = await billing.createAccount({ name: 'Picky' });
    const stranger = await billing.createAccount({ name: 'Stranger' });
    const foreignKey = await billing.createKey(stranger.id);
    await expect(lease({ accountId: 'missing', replicaId: 'a', requested: '1' })).rejects.toMatchObject({ status: 404 });
    await expect(lease({ accountId: account.id, replicaId: 'a', requested: '-1' })).rejects.toMatchObject({ status: 400 });
    await expect(lease({ accountId: account.id, replicaId: 'a' })).rejects.toMatchObject({ status: 400 });
    await expect(lease({ accountId: account.id, keyHash: 'nope', replicaId: 'a', requested: '1' })).rejects.toMatchObject({ status: 404 });
    await expect(lease({ accountId: account.id, keyHash: hashApiKey(foreignKey.key), replicaId: 'a', requested: '1' })).rejects.toMatchObject({ status: 400 });
  });
});
