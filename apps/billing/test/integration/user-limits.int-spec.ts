import { hashApiKey, keySnapshotSchema, subjects, userLimitsChangedSchema, userLimitsSnapshotSchema } from '@switchyard/contracts';
import { TEST_ADMIN_TOKEN, waitFor } from '@switchyard/nest-kit/testing';
import { ManualClock } from '../../src/common/clock.js';
import { KeysRepository } from '../../src/keys/keys.repository.js';
import { BillingTestApp } from './billing-test-app.js';

/**
 * Per-end-user budgets (`user_limit` on a key): billing adds what each named end user spends through the key per
 * window as debits land, announces the key when one of its users reaches the limit, and answers ingress's snapshot
 * of the users at their limit (real NATS + Postgres).
 */
describe('per-end-user spend limits (user_limit)', () => {
  let billing: BillingTestApp;
  const clock = new ManualClock(Date.parse('2026-11-25T10:00:00Z'));
  const announced: string[] = [];
  const keys = (data: unknown) => billing.rpc(subjects.billing.keys, data);
  const blocks = async () => userLimitsSnapshotSchema.parse(await billing.rpc(subjects.billing.userLimits, {})).blocks;

  beforeAll(async () => {
    billing = await BillingTestApp.start({ clock });
    billing.nats.subscribe(subjects.billing.userLimitsChanged, (data) => void announced.push(userLimitsChangedSchema.parse(data).keyHash));
    await billing.nats.connection.flush();
  });

  afterAll(async () => {
    await billing?.destroy();
  });

  async function setup(body: Record<string, unknown>) {
    const account = await billing.createAccount({ name: `Users ${Math.random().toString(36).slice(2, 8)}` });
    await billing.topUp(account.id, '100', 'grant');
    const created = await billing.createKey(account.id, { name: 'app', ...body });
    const keyHash = hashApiKey(created.key);
    const keyId = keySnapshotSchema.parse(await billing.rpc(subjects.billing.keySnapshot, {})).keys.find((key) => key.hash === keyHash)!.keyId;
    return { accountId: account.id as string, keyId, keyHash, key: created };
  }

  /** Debits one generation of `user` and waits for the balance to show it. */
  async function spend(ids: { accountId: string; keyId: string; keyHash: string }, cost: string, user: string | null) {
    const before = (await billing.account(ids.accountId)).balance as string;
    await billing.publishGeneration(billing.generation({ ...ids, cost, upstreamCost: cost, externalUser: user }));
    await waitFor(async () => (await billing.account(ids.accountId)).balance !== before, { message: 'debited' });
  }

  it('shows the limit on the key, and blocks a user once their spend in the window reaches it, announcing the key once', async () => {
    const ids = await setup({ user_limit: '1', user_limit_reset: 'daily' });
    expect(ids.key.data).toMatchObject({ user_limit: 1, user_limit_reset: 'daily' });
    await spend(ids, '0.6', 'alice');
    await spend(ids, '0.3', 'alice');
    await spend(ids, '5', 'bob'); // bob alone: at his limit in one go
    await spend(ids, '5', null); // no user named: not per-user spend
    expect((await blocks()).filter((block) => block.keyHash === ids.keyHash)).toEqual([{ keyHash: ids.keyHash, user: 'bob', until: '2026-11-26T00:00:00.000Z', limit: '1', limitReset: 'daily' }]);
    await spend(ids, '0.1', 'alice'); // 0.6 + 0.3 + 0.1 = 1: exactly at the limit
    expect((await blocks()).filter((block) => block.keyHash === ids.keyHash).map((block) => block.user)).toEqual(['alice', 'bob']);
    await spend(ids, '0.5', 'alice'); // past it already: no new announcement
    // The owner sees who spent what this window, most first (management API: GET /api/v1/keys/{hash}/users).
    expect(await keys({ op: 'users', accountId: ids.accountId, hash: ids.keyHash })).toEqual({
      data: [
        { user: 'bob', usage: 5, limit_remaining: -4, limited: true },
        { user: 'alice', usage: 1.5, limit_remaining: -0.5, limited: true },
      ],
      user_limit: 1,
      user_limit_reset: 'daily',
      window_start: '2026-11-25T00:00:00.000Z',
      window_end: '2026-11-26T00:00:00.000Z',
    });
    await expect(keys({ op: 'users', accountId: 'someone-else', hash: ids.keyHash })).rejects.toMatchObject({ status: 404 });
    await waitFor(() => announced.filter((hash) => hash === ids.keyHash).length >= 2, { message: 'announced' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(announced.filter((hash) => hash === ids.keyHash)).toHaveLength(2);
    const metrics = await (await fetch(`${billing.base}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).text();
    expect(metrics).toMatch(/switchyard_billing_user_limits_reached_total(\{[^}]*\})? 2\b/);

    // The next day is a new window: nobody is blocked, and spend starts again from zero.
    clock.advance(14 * 3_600_000);
    expect((await blocks()).filter((block) => block.keyHash === ids.keyHash)).toEqual([]);
    await spend(ids, '0.9', 'alice');
    expect((await blocks()).filter((block) => block.keyHash === ids.keyHash)).toEqual([]);
    expect((await keys({ op: 'users', accountId: ids.accountId, hash: ids.keyHash })).data).toEqual([{ user: 'alice', usage: 0.9, limit_remaining: 0.1, limited: false }]);
  });

  it('re-reads the blocks under a changed limit (raised: users go free; removed: nobody is limited) and announces the key', async () => {
    const ids = await setup({ user_limit: '0.5' }); // never resets
    await spend(ids, '0.5', 'carol');
    await spend(ids, '0.2', 'dave');
    expect((await blocks()).filter((block) => block.keyHash === ids.keyHash)).toEqual([{ keyHash: ids.keyHash, user: 'carol', until: null, limit: '0.5', limitReset: null }]);

    const before = announced.length;
    const lowered = await keys({ op: 'update', accountId: ids.accountId, hash: ids.keyHash, body: { user_limit: '0.2' } });
    expect(lowered.data).toMatchObject({ user_limit: 0.2, user_limit_reset: null });
    await waitFor(() => announced.slice(before).includes(ids.keyHash), { message: 'announced on update' });
    expect((await blocks()).filter((block) => block.keyHash === ids.keyHash).map((block) => block.user)).toEqual(['carol', 'dave']);
    await keys({ op: 'update', accountId: ids.accountId, hash: ids.keyHash, body: { user_limit: null } });
    expect((await blocks()).filter((block) => block.keyHash === ids.keyHash)).toEqual([]);
    // GET /key shows it too.
    expect(await billing.rpc(subjects.billing.keyInfo, { hash: ids.keyHash })).toMatchObject({ user_limit: null, user_limit_reset: null });
  });

  it('refuses a user limit of zero or below (400), prunes windows long over, and forgets a deleted key’s per-user spend', async () => {
    const account = await billing.createAccount({ name: 'Zero' });
    for (const user_limit of [0, '0', -1, 'lots']) await expect(keys({ op: 'create', accountId: account.id, body: { name: 'x', user_limit } })).rejects.toMatchObject({ status: 400 });
    const ids = await setup({ user_limit: '0.1', user_limit_reset: 'monthly' });
    await spend(ids, '0.2', 'erin');
    expect((await blocks()).some((block) => block.keyHash === ids.keyHash)).toBe(true);
    // The sweep forgets windows over for two months; a limit that never resets keeps its rows.
    const repository = billing.app.get(KeysRepository);
    const dataSource = billing.app.get((await import('typeorm')).DataSource);
    const lifetime = await setup({ user_limit: '5' });
    await spend(lifetime, '0.1', 'frank');
    const old = Date.parse('2026-08-01T00:00:00Z');
    await repository.addUserSpend(dataSource, [{ keyId: ids.keyId, user: 'gone', windowStart: old, spend: '1' }], new Date(old));
    expect(await repository.pruneUserSpend(dataSource, new Date(clock.now() - 62 * 86_400_000))).toBeGreaterThanOrEqual(1);
    const left = await dataSource.query(`SELECT key_id, external_user FROM key_user_spend WHERE key_id = ANY($1::text[]) ORDER BY external_user`, [[ids.keyId, lifetime.keyId]]);
    expect(left).toEqual([{ key_id: ids.keyId, external_user: 'erin' }, { key_id: lifetime.keyId, external_user: 'frank' }]);
    await keys({ op: 'delete', accountId: ids.accountId, hash: ids.keyHash });
    expect((await blocks()).some((block) => block.keyHash === ids.keyHash)).toBe(false);
    const rows = await billing.app.get((await import('typeorm')).DataSource).query(`SELECT count(*)::int AS n FROM key_user_spend WHERE key_id = $1`, [ids.keyId]);
    expect(rows[0].n).toBe(0);
  });
});
