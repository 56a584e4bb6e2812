import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { subjects } from '@switchyard/contracts';
import { TEST_NATS_URL, waitFor } from '@switchyard/nest-kit/testing';
import { BillingTestApp } from './billing-test-app.js';

const HOUR = 3_600_000;

describe('billing admin API and credits (real NATS + Postgres)', () => {
  let billing: BillingTestApp;

  beforeAll(async () => {
    billing = await BillingTestApp.start();
  });

  afterAll(async () => {
    await billing?.destroy();
  });

  it('creates accounts with default settings, requires the admin token, and rejects bad input with 4xx', async () => {
    const account = await billing.createAccount({ name: 'Acme', privacy: { logPrompts: true } });
    expect(account).toMatchObject({
      name: 'Acme',
      overdraft: '0',
      balance: '0',
      totalPurchased: '0',
      isFreeTier: true,
      disabled: false,
      privacy: { allowTraining: false, allowRetention: true, requireZdr: false, logPrompts: true },
      allowedProviders: null,
      ignoredProviders: [],
      byokProviders: [],
    });

    expect((await billing.admin('GET', `/admin/accounts/${account.id}`, undefined, 'wrong-token-123')).status).toBe(401);
    const missingName = await billing.admin('POST', '/admin/accounts', { overdraft: '1' });
    expect(missingName.status).toBe(400);
    expect(missingName.body.error.message).toContain('name');
    expect((await billing.admin('POST', '/admin/accounts', { name: 'x', overdraft: '-1' })).status).toBe(400);
    expect((await billing.admin('POST', '/admin/accounts', { name: 'x', unknown: 1 })).status).toBe(400);
    const missing = await billing.admin('GET', '/admin/accounts/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 404 });
  });

  it('pages the ledger newest first by entry id, across the 9 → 10 → 100 boundaries, with no entry twice or missed', async () => {
    const account = await billing.createAccount({ name: 'Pager' });
    // Enough entries that ids cross digit boundaries (text order would put "99" before "100").
    for (let index = 0; index < 12; index += 1) {
      expect((await billing.admin('POST', `/admin/accounts/${account.id}/top-ups`, { amount: '1', method: 'grant' })).status).toBe(201);
    }
    const all = (await billing.admin('GET', `/admin/accounts/${account.id}/ledger?limit=1000`)).body.data as Array<{ id: string }>;
    const paged: Array<{ id: string }> = [];
    let before: string | null = null;
    do {
      const page: { data: Array<{ id: string }>; next: string | null } = (await billing.admin('GET', `/admin/accounts/${account.id}/ledger?limit=5${before ? `&before=${before}` : ''}`)).body;
      paged.push(...page.data);
      before = page.next;
    } while (before);
    const numeric = all.map((entry) => BigInt(entry.id));
    expect(numeric).toEqual([...numeric].sort((left, right) => (left > right ? -1 : left < right ? 1 : 0)));
    expect(paged.map((entry) => entry.id)).toEqual(all.map((entry) => entry.id));
    expect(new Set(paged.map((entry) => entry.id)).size).toBe(12);
  });

  it('patches privacy, overdraft, providers and disabled, and announces the account on keys-changed', async () => {
    const account = await billing.createAccount({ name: 'Patchy' });
    const response = await billing.admin('PATCH', `/admin/accounts/${account.id}`, {
      privacy: { requireZdr: true },
      overdraft: '2.5',
      allowedProviders: ['openai', 'anthropic'],
      ignoredProviders: ['deepinfra'],
      disabled: true,
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ overdraft: '2.5', privacy: { requireZdr: true, allowRetention: true }, allowedProviders: ['openai', 'anthropic'], ignoredProviders: ['deepinfra'], disabled: true });
    const announced = await waitFor(() => (billing.lastChangeWithAccount(account.id)?.account.disabled ? billing.lastChangeWithAccount(account.id) : undefined));
    expect(announced.account).toMatchObject({ overdraft: '2.5', allowedProviders: ['openai', 'anthropic'], disabled: true, privacy: { requireZdr: true } });
    expect((await billing.admin('PATCH', `/admin/accounts/${account.id}`, { privacy: { requireZdr: 'yes' } })).status).toBe(400);
    expect((await billing.admin('PATCH', '/admin/accounts/missing', { disabled: true })).status).toBe(404);
  });

  it('charges card top-ups 5.5 % (min $0.80) and crypto 5 % on top of the credits, grants nothing', async () => {
    const account = await billing.createAccount({ name: 'Buyer' });
    const card = await billing.topUp(account.id, '100', 'card');
    expect(card).toMatchObject({ fee: '5.5', totalCharged: '105.5', balance: '100', lot: { method: 'card', amount: '100', remaining: '100', fee: '5.5' } });
    expect(Date.parse(card.lot.refundableUntil) - Date.parse(card.lot.purchasedAt)).toBe(24 * HOUR);
    expect(new Date(card.lot.expiresAt).getUTCFullYear() - new Date(card.lot.purchasedAt).getUTCFullYear()).toBe(1);
    const small = await billing.topUp(account.id, '5', 'card');
    expect(small).toMatchObject({ fee: '0.8', totalCharged: '5.8', balance: '105' });
    const crypto = await billing.topUp(account.id, '20', 'crypto');
    expect(crypto).toMatchObject({ fee: '1', totalCharged: '21', balance: '125', lot: { refundableUntil: null } });
    const grant = await billing.topUp(account.id, '3', 'grant');
    expect(grant).toMatchObject({ fee: '0', totalCharged: '3', balance: '128' });

    const view = await billing.account(account.id);
    expect(view).toMatchObject({ balance: '128', totalCredits: '128', totalUsage: '0', totalPurchased: '125', isFreeTier: false });
    expect(view.lots).toHaveLength(4);
    const ledger = (await billing.admin('GET', `/admin/accounts/${account.id}/ledger?limit=20`)).body.data;
    const kinds = ledger.map((entry: { kind: string; amount: string }) => `${entry.kind}:${entry.amount}`).sort();
    expect(kinds).toEqual(['fee:0.8', 'fee:1', 'fee:5.5', 'grant:3', 'purchase:100', 'purchase:20', 'purchase:5'].sort());
    await expect(billing.rpc(subjects.billing.credits, { accountId: account.id })).resolves.toEqual({ total_credits: 128, total_usage: 0 });

    for (const body of [{ amount: '0', method: 'card' }, { amount: '-5', method: 'card' }, { amount: '10', method: 'paypal' }, { amount: 'ten', method: 'card' }, { amount: '1.0000000000001', method: 'card' }]) {
      expect((await billing.admin('POST', `/admin/accounts/${account.id}/top-ups`, body)).status).toBe(400);
    }
    expect((await billing.admin('POST', '/admin/accounts/missing/top-ups', { amount: '1', method: 'card' })).status).toBe(404);
  });

  it('makes a retried top-up with the same idempotency key credit once', async () => {
    const account = await billing.createAccount({ name: 'Retry' });
    const first = await billing.admin('POST', `/admin/accounts/${account.id}/top-ups`, { amount: '10', method: 'card', idempotencyKey: 'order-1' });
    const second = await billing.admin('POST', `/admin/accounts/${account.id}/top-ups`, { amount: '10', method: 'card', idempotencyKey: 'order-1' });
    expect(first.body.replayed).toBe(false);
    expect(second.body).toMatchObject({ replayed: true, lot: { id: first.body.lot.id }, totalCharged: '10.8' });
    expect((await billing.account(account.id)).balance).toBe('10');
  });

  it('refunds unused card credits within 24 h (fee kept); never crypto, grants, late or used purchases', async () => {
    const account = await billing.createAccount({ name: 'Refunder' });
    const card = await billing.topUp(account.id, '10', 'card');
    const crypto = await billing.topUp(account.id, '10', 'crypto');
    const grant = await billing.topUp(account.id, '10', 'grant');

    const refunded = await billing.admin('POST', `/admin/accounts/${account.id}/refunds`, { purchaseId: card.lot.id });
    expect(refunded.status).toBe(201);
    expect(refunded.body).toMatchObject({ purchaseId: card.lot.id, refunded: '10', remaining: '0', partial: false, balance: '20' });
    const view = await billing.account(account.id);
    expect(view).toMatchObject({ balance: '20', totalPurchased: '10', totalCredits: '20' });
    const ledger = (await billing.admin('GET', `/admin/accounts/${account.id}/ledger`)).body.data;
    expect(ledger.filter((entry: { kind: string }) => entry.kind === 'fee').map((entry: { amount: string }) => entry.amount).sort()).toEqual(['0.5', '0.8']); // fees stay
    expect(ledger.find((entry: { kind: string }) => entry.kind === 'refund')).toMatchObject({ amount: '-10', lotId: card.lot.id });

    const again = await billing.admin('POST', `/admin/accounts/${account.id}/refunds`, { purchaseId: card.lot.id });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 409, message: 'This purchase was already refunded', metadata: { reason: 'nothing_to_refund' } });
    const cryptoRefund = await billing.admin('POST', `/admin/accounts/${account.id}/refunds`, { purchaseId: crypto.lot.id });
    expect(cryptoRefund.status).toBe(400);
    expect(cryptoRefund.body.error).toMatchObject({ message: 'Crypto purchases are not refundable', metadata: { reason: 'crypto_not_refundable' } });
    expect((await billing.admin('POST', `/admin/accounts/${account.id}/refunds`, { purchaseId: grant.lot.id })).body.error.metadata.reason).toBe('not_a_purchase');
    expect((await billing.admin('POST', `/admin/accounts/${account.id}/refunds`, { purchaseId: 'nope' })).status).toBe(404);
    expect((await billing.admin('POST', `/admin/accounts/${account.id}/refunds`, {})).status).toBe(400);

    const late = await billing.topUp(account.id, '5', 'card');
    billing.clock.advance(24 * HOUR + 1);
    const lateRefund = await billing.admin('POST', `/admin/accounts/${account.id}/refunds`, { purchaseId: late.lot.id });
    expect(lateRefund.status).toBe(400);
    expect(lateRefund.body.error).toMatchObject({ message: 'Purchases can be refunded only within 24 hours', metadata: { reason: 'refund_window_closed' } });
  });

  it('refunds only what outstanding leases do not hold', async () => {
    const account = await billing.createAccount({ name: 'Leased' });
    const card = await billing.topUp(account.id, '10', 'card');
    const lease = await billing.rpc(subjects.billing.lease, { accountId: account.id, replicaId: 'ingress-1', requested: '4' });
    expect(lease.granted).toBe('4');
    const partial = await billing.admin('POST', `/admin/accounts/${account.id}/refunds`, { purchaseId: card.lot.id });
    expect(partial.body).toMatchObject({ refunded: '6', remaining: '4', partial: true, balance: '4' });
    const none = await billing.admin('POST', `/admin/accounts/${account.id}/refunds`, { purchaseId: card.lot.id });
    expect(none.status).toBe(409);
    expect(none.body.error.metadata.reason).toBe('reserved_by_leases');
  });

  it('applies positive and negative adjustments (negative ones beyond the balance become debt)', async () => {
    const account = await billing.createAccount({ name: 'Adjusted' });
    await billing.topUp(account.id, '2', 'grant');
    const minus = await billing.admin('POST', `/admin/accounts/${account.id}/adjustments`, { amount: '-3.5', reason: 'chargeback' });
    expect(minus.status).toBe(201);
    expect(minus.body).toMatchObject({ amount: '-3.5', balance: '-1.5' });
    expect(await billing.account(account.id)).toMatchObject({ balance: '-1.5', debt: '1.5' });
    const plus = await billing.admin('POST', `/admin/accounts/${account.id}/adjustments`, { amount: 5, reason: 'goodwill' });
    expect(plus.body).toMatchObject({ amount: '5', balance: '3.5' });
    const view = await billing.account(account.id);
    expect(view).toMatchObject({ balance: '3.5', debt: '0', totalCredits: '3.5' });
    expect(view.lots.find((lot: { method: string }) => lot.method === 'adjustment')).toMatchObject({ amount: '5', remaining: '3.5', expiresAt: null });
    expect((await billing.admin('POST', `/admin/accounts/${account.id}/adjustments`, { amount: '0', reason: 'x' })).status).toBe(400);
    expect((await billing.admin('POST', `/admin/accounts/${account.id}/adjustments`, { amount: '1' })).status).toBe(400);
  });

  it('expires what is left of a lot one year after purchase, once, with an expiry ledger entry', async () => {
    const account = await billing.createAccount({ name: 'Expiring' });
    const old = await billing.topUp(account.id, '7', 'grant');
    billing.clock.advance(200 * 24 * HOUR);
    const recent = await billing.topUp(account.id, '3', 'grant');
    billing.clock.advance(166 * 24 * HOUR); // 366 days after the first lot, 166 after the second
    const sweep = await billing.admin('POST', '/admin/expire');
    expect(sweep.status).toBe(200);
    expect(sweep.body.lots).toBeGreaterThanOrEqual(1);
    const view = await billing.account(account.id);
    expect(view).toMatchObject({ balance: '3', totalCredits: '3' });
    expect(view.lots.find((lot: { id: string }) => lot.id === old.lot.id)).toMatchObject({ remaining: '0', expired: '7' });
    expect(view.lots.find((lot: { id: string }) => lot.id === recent.lot.id)).toMatchObject({ remaining: '3', expired: '0' });
    const second = await billing.admin('POST', '/admin/expire');
    expect(second.body).toMatchObject({ lots: 0, expired: '0' });
    const expiries = (await billing.admin('GET', `/admin/accounts/${account.id}/ledger`)).body.data.filter((entry: { kind: string }) => entry.kind === 'expiry');
    expect(expiries).toHaveLength(1);
    expect(expiries[0]).toMatchObject({ amount: '-7', lotId: old.lot.id });
    await expect(billing.rpc(subjects.billing.credits, { accountId: account.id })).resolves.toEqual({ total_credits: 3, total_usage: 0 });
  });

  it('keeps byokProviders in sync with providers’ credentials-changed events (older events ignored)', async () => {
    const account = await billing.createAccount({ name: 'Byok' });
    billing.nats.publish(subjects.providers.credentialsChanged, { accountId: account.id, providerSlugs: ['openai', 'anthropic'], at: 2_000 });
    await waitFor(async () => (await billing.account(account.id)).byokProviders.length === 2, { message: 'byok providers stored' });
    expect((await billing.account(account.id)).byokProviders).toEqual(['anthropic', 'openai']);
    expect(billing.lastChangeWithAccount(account.id)?.account.byokProviders).toEqual(['anthropic', 'openai']);
    billing.nats.publish(subjects.providers.credentialsChanged, { accountId: account.id, providerSlugs: [], at: 1_000 }); // stale
    billing.nats.publish(subjects.providers.credentialsChanged, { accountId: account.id, providerSlugs: ['groq'], at: 3_000 });
    await waitFor(async () => (await billing.account(account.id)).byokProviders.join() === 'groq', { message: 'newest byok providers stored' });
  });

  it('applies a credentials-changed event published while billing was down once it is back (JetStream, durable)', async () => {
    const account = await billing.createAccount({ name: 'Byok offline' });
    await billing.close();
    const nc = await connect({ servers: TEST_NATS_URL });
    try {
      await jetstream(nc).publish(subjects.providers.credentialsChanged, JSON.stringify({ accountId: account.id, providerSlugs: ['mistral'], at: 5_000 }), { msgID: `${account.id}:5000` });
    } finally {
      await nc.close();
    }
    await billing.boot();
    await waitFor(async () => (await billing.account(account.id)).byokProviders.join() === 'mistral', { message: 'byok providers applied after the restart' });
  });

  it('acks a malformed credentials-changed event and goes on with the next one (the consumer is not stuck on it)', async () => {
    const account = await billing.createAccount({ name: 'Byok malformed' });
    const js = billing.nats.jetstream();
    await js.publish(subjects.providers.credentialsChanged, 'not json', { msgID: `${account.id}:bad-1` });
    await js.publish(subjects.providers.credentialsChanged, JSON.stringify({ accountId: account.id, providerSlugs: 'groq' }), { msgID: `${account.id}:bad-2` });
    await js.publish(subjects.providers.credentialsChanged, JSON.stringify({ accountId: account.id, providerSlugs: ['groq'], at: 7_000 }), { msgID: `${account.id}:7000` });
    await waitFor(async () => (await billing.account(account.id)).byokProviders.join() === 'groq', { message: 'the valid event after two malformed ones applied' });
  });

  it('answers credits for unknown accounts and malformed requests with typed errors', async () => {
    await expect(billing.rpc(subjects.billing.credits, { accountId: 'missing' })).rejects.toMatchObject({ status: 404 });
    await expect(billing.rpc(subjects.billing.credits, {})).rejects.toMatchObject({ status: 400 });
  });
});
