import { type KeyRecord, type SpendAlert, hashApiKey, keySnapshotSchema, spendAlertSchema, subjects } from '@switchyard/contracts';
import { TEST_ADMIN_TOKEN, waitFor } from '@switchyard/nest-kit/testing';
import { DataSource } from 'typeorm';
import { BillingTestApp } from './billing-test-app.js';

describe('debits from generation-completed (JetStream → ledger, real NATS + Postgres)', () => {
  let billing: BillingTestApp;

  beforeAll(async () => {
    billing = await BillingTestApp.start({ env: { DEBIT_BATCH_SIZE: '50' } });
  });

  afterAll(async () => {
    await billing?.destroy();
  });

  async function setup(credits: string, keyBody: Record<string, unknown> = { name: 'k' }) {
    const account = await billing.createAccount({ name: 'Debited' });
    if (credits !== '0') await billing.topUp(account.id, credits, 'grant');
    const created = await billing.createKey(account.id, keyBody);
    const hash = hashApiKey(created.key);
    const snapshot = keySnapshotSchema.parse(await billing.rpc(subjects.billing.keySnapshot, {}));
    const key = snapshot.keys.find((candidate) => candidate.hash === hash) as KeyRecord;
    return { accountId: account.id, keyId: key.keyId, keyHash: hash };
  }

  const ledger = async (accountId: string) => (await billing.admin('GET', `/admin/accounts/${accountId}/ledger?limit=1000`)).body.data as Array<{ kind: string; amount: string; generationId: string | null; byokUsage: string | null }>;

  it('debits a generation published three times exactly once, with exactly its cost', async () => {
    const ids = await setup('1');
    const event = billing.generation({ ...ids, cost: '0.000123456789', upstreamCost: '0.000123456789' });
    await billing.publishGeneration(event, event.id);
    await billing.publishGeneration(event, `${event.id}-redelivered-1`); // bypass JetStream's de-duplication on purpose
    await billing.publishGeneration(event, `${event.id}-redelivered-2`);
    await waitFor(async () => (await billing.account(ids.accountId)).balance === '0.999876543211', { message: 'debited' });
    const marker = billing.generation({ ...ids, cost: '0.5', upstreamCost: '0.5' });
    await billing.publishGeneration(marker); // published after the copies: once it is debited, every copy was handled
    await waitFor(async () => (await billing.account(ids.accountId)).balance === '0.499876543211', { message: 'marker debited' });
    const usage = (await ledger(ids.accountId)).filter((entry) => entry.kind === 'usage');
    expect(usage.filter((entry) => entry.generationId === event.id)).toEqual([expect.objectContaining({ amount: '-0.000123456789' })]);
    expect(usage).toHaveLength(2);
    await expect(billing.rpc(subjects.billing.credits, { accountId: ids.accountId })).resolves.toEqual({ total_credits: 1, total_usage: 0.500123456789 });
  });

  it('announces the new balance and the key’s new limitRemaining on keys-changed after a debit', async () => {
    const ids = await setup('2', { name: 'limited', limit: '1', limit_reset: 'monthly' });
    await billing.publishGeneration(billing.generation({ ...ids, cost: '0.25', upstreamCost: '0.25' }));
    const account = await waitFor(() => (billing.lastChangeWithAccount(ids.accountId)?.account.balance === '1.75' ? billing.lastChangeWithAccount(ids.accountId) : undefined));
    expect(account.change.keys.find((key) => key.hash === ids.keyHash)).toMatchObject({ limitRemaining: '0.75', limit: '1', limitReset: 'monthly' });
    const info = await billing.rpc(subjects.billing.keyInfo, { hash: ids.keyHash });
    expect(info).toMatchObject({ usage: 0.25, usage_daily: 0.25, usage_weekly: 0.25, usage_monthly: 0.25, limit_remaining: 0.75 });
  });

  it('stops a runaway key: past max_spend_per_hour in the trailing hour it is disabled, with the reason, on keys-changed; older spend does not count; re-enabling clears the reason', async () => {
    const ids = await setup('10', { name: 'agent', max_spend_per_hour: '1' });
    const hourAgo = new Date(billing.clock.now() - 61 * 60_000).toISOString();
    const keyNow = async () => (await billing.rpc(subjects.billing.keys, { op: 'get', accountId: ids.accountId, hash: ids.keyHash })).data;
    // 0.9 spent more than an hour ago and 0.6 now: 0.6 in the trailing hour, under the stop.
    await billing.publishGeneration(billing.generation({ ...ids, cost: '0.9', upstreamCost: '0.9', createdAt: hourAgo }));
    await billing.publishGeneration(billing.generation({ ...ids, cost: '0.6', upstreamCost: '0.6' }));
    await waitFor(async () => (await billing.account(ids.accountId)).balance === '8.5', { message: 'both debited' });
    expect(await keyNow()).toMatchObject({ disabled: false, disabled_reason: null, max_spend_per_hour: 1 });

    // 0.45 more: 1.05 in the trailing hour, past the stop.
    await billing.publishGeneration(billing.generation({ ...ids, cost: '0.45', upstreamCost: '0.45' }));
    const change = await waitFor(() => (billing.lastChangeWithKey(ids.keyHash)?.key.disabled ? billing.lastChangeWithKey(ids.keyHash) : undefined), { message: 'keys-changed with the key disabled' });
    expect(change.key.disabledReason).toMatch(/^runaway stop: it spent \$1\.05 in the last hour, more than its max_spend_per_hour of \$1;/);
    expect(await keyNow()).toMatchObject({ disabled: true, disabled_reason: change.key.disabledReason });
    const metrics = await (await fetch(`${billing.base}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).text();
    expect(metrics).toMatch(/switchyard_billing_runaway_stops_total\{[^}]*\} [1-9]/);

    // Re-enabled with a higher stop: enabled, no reason, and the next debit leaves it alone.
    const patched = await billing.rpc(subjects.billing.keys, { op: 'update', accountId: ids.accountId, hash: ids.keyHash, body: { disabled: false, max_spend_per_hour: 5 } });
    expect(patched.data).toMatchObject({ disabled: false, disabled_reason: null, max_spend_per_hour: 5 });
    await billing.publishGeneration(billing.generation({ ...ids, cost: '0.5', upstreamCost: '0.5' }));
    await waitFor(async () => (await billing.account(ids.accountId)).balance === '7.55', { message: 'debited' });
    expect(await keyNow()).toMatchObject({ disabled: false });
  });

  it('raises spend alerts: the balance crossing below its threshold (again after a top-up lifts it), a day of spend passing its threshold once a day; published on NATS and listed', async () => {
    // Thresholds given at creation are kept; a PATCH changes them.
    const created = await billing.admin('POST', '/admin/accounts', { name: 'Alerted', alerts: { balanceBelow: '1', dailySpendAbove: null } });
    expect(created.body.alerts).toEqual({ balanceBelow: '1', dailySpendAbove: null });
    const ids = await setup('3');
    const patched = await billing.admin('PATCH', `/admin/accounts/${ids.accountId}`, { alerts: { balanceBelow: '2', dailySpendAbove: 0.5 } });
    expect(patched.body.alerts).toEqual({ balanceBelow: '2', dailySpendAbove: '0.5' });
    const published: SpendAlert[] = [];
    const subscription = billing.nats.subscribe(subjects.billing.spendAlert, (data) => {
      const alert = spendAlertSchema.parse(data);
      if (alert.accountId === ids.accountId) published.push(alert);
    });
    const spend = async (cost: string, balance: string) => {
      await billing.publishGeneration(billing.generation({ ...ids, cost, upstreamCost: cost }));
      await waitFor(async () => (await billing.account(ids.accountId)).balance === balance, { message: `balance ${balance}` });
    };
    try {
      await spend('0.4', '2.6'); // today 0.4: nothing
      await spend('0.3', '2.3'); // today 0.7 > 0.5: daily
      await spend('0.5', '1.8'); // below 2: low balance (the day's alert is not raised twice)
      await spend('0.1', '1.7'); // still below: nothing new
      await billing.topUp(ids.accountId, '1', 'grant'); // 2.7, above again
      await spend('0.8', '1.9'); // crosses below again
      const today = new Date(billing.clock.now()).toISOString().slice(0, 10);
      const listed = (await billing.admin('GET', `/admin/accounts/${ids.accountId}/alerts`)).body.data;
      expect(listed.map((alert: { kind: string; threshold: string; value: string; day: string | null }) => [alert.kind, alert.threshold, alert.value, alert.day])).toEqual([
        ['low_balance', '2', '1.9', null],
        ['low_balance', '2', '1.8', null],
        ['daily_spend', '0.5', '0.7', today],
      ]);
      await waitFor(() => published.length === 3, { message: 'three alerts on NATS' });
      expect(published.map((alert) => [alert.kind, alert.value])).toEqual([['daily_spend', '0.7'], ['low_balance', '1.8'], ['low_balance', '1.9']]);
      const metrics = await (await fetch(`${billing.base}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).text();
      expect(metrics).toMatch(/switchyard_billing_spend_alerts_total\{kind="low_balance"[^}]*\} 2/);
    } finally {
      subscription.unsubscribe();
    }
  });

  it("lets the account holder set, read and clear its alert thresholds over the alerts RPC (GET|PATCH /api/v1/alerts), with the alerts raised", async () => {
    const ids = await setup('3');
    const alerts = (request: Record<string, unknown>) => billing.rpc(subjects.billing.alerts, { accountId: ids.accountId, ...request });
    expect((await alerts({ op: 'get' })).data).toEqual({ balance_below: null, daily_spend_above: null, recent: [] });
    const set = await alerts({ op: 'update', body: { balance_below: '2.5', daily_spend_above: 0.25 } });
    expect(set.data).toEqual({ balance_below: '2.5', daily_spend_above: '0.25', recent: [] });
    // The operator's view shows the same thresholds.
    expect((await billing.admin('GET', `/admin/accounts/${ids.accountId}`)).body.alerts).toEqual({ balanceBelow: '2.5', dailySpendAbove: '0.25' });

    await billing.publishGeneration(billing.generation({ ...ids, cost: '0.6', upstreamCost: '0.6' })); // 2.4: both cross
    await waitFor(async () => (await billing.account(ids.accountId)).balance === '2.4', { message: 'debited' });
    const read = await alerts({ op: 'get' });
    expect(read.data.recent.map((alert: { kind: string; value: string }) => [alert.kind, alert.value]).sort()).toEqual([
      ['daily_spend', '0.6'],
      ['low_balance', '2.4'],
    ]);
    const today = new Date(billing.clock.now()).toISOString().slice(0, 10);
    expect(read.data.recent.find((alert: { kind: string }) => alert.kind === 'daily_spend')).toEqual({ id: expect.any(String), kind: 'daily_spend', threshold: '0.25', value: '0.6', day: today, key_hash: null, key_name: null, created_at: expect.any(String) });
    expect(read.data.recent.find((alert: { kind: string }) => alert.kind === 'low_balance')).toMatchObject({ threshold: '2.5', value: '2.4', day: null });

    // Only the given threshold changes; null clears it.
    expect((await alerts({ op: 'update', body: { daily_spend_above: null } })).data).toMatchObject({ balance_below: '2.5', daily_spend_above: null });
    await expect(alerts({ op: 'update', body: { balance_below: 'lots' } })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('balance_below') });
    await expect(alerts({ op: 'update', body: { daily_spend_above: '-1' } })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('must not be negative') });
    await expect(alerts({ op: 'update', body: { balanceBelow: '1' } })).rejects.toMatchObject({ status: 400 });
    await expect(billing.rpc(subjects.billing.alerts, { op: 'get', accountId: 'acct_missing' })).rejects.toMatchObject({ status: 404 });
  });

  it('consumes the oldest lot first and turns usage beyond every lot into debt (a negative balance)', async () => {
    const account = await billing.createAccount({ name: 'Lots' });
    const first = await billing.topUp(account.id, '1', 'grant');
    billing.clock.advance(1_000);
    const second = await billing.topUp(account.id, '2', 'grant');
    const created = await billing.createKey(account.id);
    const keyHash = hashApiKey(created.key);
    const keyId = keySnapshotSchema.parse(await billing.rpc(subjects.billing.keySnapshot, {})).keys.find((key) => key.hash === keyHash)!.keyId;
    await billing.publishGeneration(billing.generation({ accountId: account.id, keyId, keyHash, cost: '1.5', upstreamCost: '1.5' }));
    await waitFor(async () => (await billing.account(account.id)).balance === '1.5');
    let view = await billing.account(account.id);
    expect(view.lots.find((lot: { id: string }) => lot.id === first.lot.id).remaining).toBe('0');
    expect(view.lots.find((lot: { id: string }) => lot.id === second.lot.id).remaining).toBe('1.5');
    await billing.publishGeneration(billing.generation({ accountId: account.id, keyId, keyHash, cost: '2', upstreamCost: '2' }));
    await waitFor(async () => (await billing.account(account.id)).balance === '-0.5');
    view = await billing.account(account.id);
    expect(view).toMatchObject({ debt: '0.5', totalCredits: '3', totalUsage: '3.5' });
    const topUp = await billing.topUp(account.id, '1', 'grant'); // pays the debt first
    expect(topUp.lot.remaining).toBe('0.5');
    expect((await billing.account(account.id)).balance).toBe('0.5');
  });

  it('records BYOK usage at list price (fee only as cost), per key and per account month, inside the allowance', async () => {
    const ids = await setup('1', { name: 'byok', limit: '10', include_byok_in_limit: true });
    await billing.publishGeneration(billing.generation({ ...ids, isByok: true, cost: '0', upstreamCost: '0.8' }));
    await billing.publishGeneration(billing.generation({ ...ids, isByok: true, cost: '0.01', upstreamCost: '0.2' }));
    await waitFor(async () => (await billing.rpc(subjects.billing.keyInfo, { hash: ids.keyHash })).byok_usage === 1, { message: 'byok usage counted' });
    const info = await billing.rpc(subjects.billing.keyInfo, { hash: ids.keyHash });
    expect(info).toMatchObject({ usage: 0.01, byok_usage: 1, byok_usage_daily: 1, byok_usage_monthly: 1, limit_remaining: 8.99, account_byok_usage_monthly: 1, account_byok_requests_monthly: 2, byok_fee_waived: true });
    expect((await billing.account(ids.accountId)).byok).toMatchObject({ usageMonthly: '1', requestsMonthly: 2, feeWaived: true, allowanceUsd: '25000' });
    const entries = (await ledger(ids.accountId)).filter((entry) => entry.kind === 'byok_fee');
    expect(entries.map((entry) => `${entry.amount}/${entry.byokUsage}`).sort()).toEqual(['-0.01/0.2', '0/0.8']);
    expect(billing.lastChangeWithAccount(ids.accountId)?.account).toMatchObject({ balance: '0.99' });
  });

  it('records nothing for zero-cost, non-BYOK generations', async () => {
    const ids = await setup('1');
    const free = billing.generation({ ...ids, cost: '0', upstreamCost: '0.001', finishReason: null, usage: { promptTokens: 10, completionTokens: 0, totalTokens: 10 } });
    await billing.publishGeneration(free);
    const marker = billing.generation({ ...ids, cost: '0.1', upstreamCost: '0.1' });
    await billing.publishGeneration(marker);
    await waitFor(async () => (await billing.account(ids.accountId)).balance === '0.9');
    expect((await ledger(ids.accountId)).some((entry) => entry.generationId === free.id)).toBe(false);
  });

  it('reduces the outstanding of the lease the generation was spent from', async () => {
    const ids = await setup('5');
    const lease = await billing.rpc(subjects.billing.lease, { accountId: ids.accountId, keyHash: ids.keyHash, replicaId: 'ingress-a', requested: '2' });
    expect(lease).toMatchObject({ granted: '2', keyGranted: null });
    await billing.publishGeneration(billing.generation({ ...ids, leaseId: lease.leaseId, cost: '0.75', upstreamCost: '0.75' }));
    await waitFor(async () => (await billing.account(ids.accountId)).balance === '4.25');
    const renewed = await billing.rpc(subjects.billing.lease, { accountId: ids.accountId, replicaId: 'ingress-a', requested: '0' });
    expect(renewed).toMatchObject({ leaseId: lease.leaseId, granted: '1.25', grantedTotal: '2', debitedTotal: '0.75', grantedNow: '0' });
    // Another replica gets what is neither debited nor held: 4.25 − 1.25.
    expect((await billing.rpc(subjects.billing.lease, { accountId: ids.accountId, replicaId: 'ingress-b', requested: '100' })).granted).toBe('3');
  });

  it('drops malformed events and events of unknown accounts without blocking the stream', async () => {
    const ids = await setup('1');
    await billing.publishGeneration({ id: 'gen-broken', cost: 'a lot' }, 'broken-1');
    await billing.publishGeneration(billing.generation({ accountId: 'no-such-account', keyId: 'k', keyHash: 'h', cost: '1', upstreamCost: '1' }));
    await billing.publishGeneration(billing.generation({ ...ids, cost: '0.3', upstreamCost: '0.3' }));
    await waitFor(async () => (await billing.account(ids.accountId)).balance === '0.7', { message: 'later event debited' });
    const dataSource = billing.app.get(DataSource);
    const [{ count }] = await dataSource.query(`SELECT count(*)::int AS count FROM ledger_entries WHERE account_id = 'no-such-account'`);
    expect(count).toBe(0);
  });

  it('keeps balance = Σ ledger (fees aside) = Σ lot remainders − debt for every account', async () => {
    const dataSource = billing.app.get(DataSource);
    const rows = await dataSource.query(`
      SELECT b.account_id, b.balance::text AS balance,
             (SELECT coalesce(sum(amount), 0) FROM ledger_entries l WHERE l.account_id = b.account_id AND l.kind <> 'fee')::text AS ledger,
             ((SELECT coalesce(sum(remaining), 0) FROM credit_lots c WHERE c.account_id = b.account_id) - b.debt)::text AS lots
        FROM balances b`);
    expect(rows.length).toBeGreaterThan(3);
    for (const row of rows) {
      expect(Number(row.ledger) - Number(row.balance)).toBe(0);
      expect(Number(row.lots) - Number(row.balance)).toBe(0);
    }
  });
});
