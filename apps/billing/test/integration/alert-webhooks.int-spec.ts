import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hashApiKey, keySnapshotSchema, subjects } from '@switchyard/contracts';
import { TEST_ADMIN_TOKEN, waitFor } from '@switchyard/nest-kit/testing';
import { BillingTestApp } from './billing-test-app.js';

const SECRET = 'a-webhook-secret-for-tests';
/** A scripted "status" for which the receiver takes the request and never answers. */
const HANG = 0;

/** What the gateway POSTs (alert-webhook.ts). */
interface WebhookBody {
  text: string;
  alert: { account_id: string } & Record<string, unknown>;
}

/**
 * The webhook's far end (a team's Slack or pager bridge): a real HTTP server on this machine that records what it
 * receives and answers with the statuses a test scripts (200 once the script runs out).
 */
class Receiver {
  readonly received: Array<{ headers: IncomingHttpHeaders; body: { raw: string; json: WebhookBody } }> = [];
  readonly statuses: number[] = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        this.received.push({ headers: request.headers, body: { raw, json: JSON.parse(raw) as WebhookBody } });
        const status = this.statuses.shift() ?? 200;
        if (status === HANG) return; // never answers (the connection stays open until the server closes)
        response.statusCode = status;
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/switchyard`;
  }

  of(accountId: string) {
    return this.received.filter((request) => request.body.json.alert.account_id === accountId);
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('alert webhooks (spend alerts and runaway stops reach the operator; real NATS + Postgres + HTTP)', () => {
  const receiver = new Receiver();
  let billing: BillingTestApp;

  beforeAll(async () => {
    await receiver.start();
    billing = await BillingTestApp.start({
      env: {
        ALERT_WEBHOOK_URL: receiver.url,
        ALERT_WEBHOOK_SECRET: SECRET,
        ALERT_WEBHOOK_INTERVAL_MS: '100',
        ALERT_WEBHOOK_RETRY_BASE_MS: '1000',
        ALERT_WEBHOOK_MAX_ATTEMPTS: '3',
        ALERT_WEBHOOK_MAX_AGE_MS: '3600000',
        ALERT_WEBHOOK_TIMEOUT_MS: '700',
      },
    });
  });

  afterAll(async () => {
    await billing?.destroy();
    await receiver.stop();
  });

  /** An account with `credits`, a balance alert at `balanceBelow` and one key. */
  async function setup(credits: string, balanceBelow: string | null, keyBody: Record<string, unknown> = { name: 'app' }) {
    const account = await billing.createAccount({ name: `Team ${Math.random().toString(36).slice(2, 8)}` });
    await billing.topUp(account.id, credits, 'grant');
    if (balanceBelow !== null) await billing.admin('PATCH', `/admin/accounts/${account.id}`, { alerts: { balanceBelow } });
    const created = await billing.createKey(account.id, keyBody);
    const hash = hashApiKey(created.key);
    const keyId = keySnapshotSchema.parse(await billing.rpc(subjects.billing.keySnapshot, {})).keys.find((key) => key.hash === hash)!.keyId;
    return { accountId: account.id, accountName: account.name as string, keyId, keyHash: hash };
  }

  async function spend(ids: { accountId: string; keyId: string; keyHash: string }, cost: string, balance: string): Promise<void> {
    await billing.publishGeneration(billing.generation({ ...ids, cost, upstreamCost: cost }));
    await waitFor(async () => (await billing.account(ids.accountId)).balance === balance, { message: `balance ${balance}` });
  }

  const alertsOf = async (accountId: string) =>
    (await billing.admin('GET', `/admin/accounts/${accountId}/alerts`)).body.data as Array<{ id: string; kind: string; keyHash: string | null; webhook: { state: string; attempts: number; error: string | null } }>;

  /** An account whose first alert's first delivery the receiver answers with 503 (recorded, a retry scheduled). */
  async function firstAttemptFailed() {
    const ids = await setup('10', '9.5');
    receiver.statuses.push(503);
    await spend(ids, '1', '9');
    await waitFor(async () => (await alertsOf(ids.accountId))[0]?.webhook.error === 'HTTP 503', { message: 'the first attempt failed' });
    return ids;
  }

  it('POSTs a spend alert as soon as its debit commits: Slack-style text, the alert in snake_case, its id, signed with the secret', async () => {
    const ids = await setup('3', '2');
    await spend(ids, '1.5', '1.5');
    const [delivery] = await waitFor(() => (receiver.of(ids.accountId).length > 0 ? receiver.of(ids.accountId) : undefined), { timeoutMs: 5_000, message: 'the webhook called' });
    const [alert] = await alertsOf(ids.accountId);
    expect(delivery!.body.json).toEqual({
      text: `Switchyard: account "${ids.accountName}" balance $1.5 is below its alert threshold of $2.`,
      alert: { id: alert!.id, kind: 'low_balance', account_id: ids.accountId, account_name: ids.accountName, threshold: '2', value: '1.5', day: null, key_hash: null, key_name: null, created_at: expect.any(String) },
    });
    expect(delivery!.headers).toMatchObject({ 'content-type': 'application/json', 'x-switchyard-alert-id': alert!.id, 'x-switchyard-alert-kind': 'low_balance' });
    // The signature is the receiver's proof it came from this gateway: HMAC-SHA256 of "<t>.<body>" with the secret.
    const { t, v1 } = Object.fromEntries(String(delivery!.headers['x-switchyard-signature']).split(',').map((part) => part.split('=') as [string, string]));
    expect(Math.abs(Number(t) - billing.clock.now() / 1000)).toBeLessThan(5);
    expect(v1).toBe(createHmac('sha256', SECRET).update(`${t}.${delivery!.body.raw}`).digest('hex'));
    await waitFor(async () => (await alertsOf(ids.accountId))[0]!.webhook.state === 'delivered', { message: 'marked delivered' });
    expect((await alertsOf(ids.accountId))[0]!.webhook).toEqual({ state: 'delivered', attempts: 1, error: null });
    // Delivered once: later rounds leave it alone.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(receiver.of(ids.accountId)).toHaveLength(1);
  });

  it('retries an unavailable receiver after a doubling wait until it answers, gives up after the last attempt, and fails a refusal (4xx) at once', async () => {
    const ids = await firstAttemptFailed();
    expect((await alertsOf(ids.accountId))[0]!.webhook).toEqual({ state: 'pending', attempts: 1, error: 'HTTP 503' });
    // Nothing before the wait is over (the clock is the gateway's; the rounds keep running).
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(receiver.of(ids.accountId)).toHaveLength(1);
    billing.clock.advance(1_000);
    await waitFor(async () => (await alertsOf(ids.accountId))[0]!.webhook.state === 'delivered', { timeoutMs: 5_000, message: 'delivered on the second attempt' });
    expect(receiver.of(ids.accountId).map((request) => request.headers['x-switchyard-alert-id'])).toEqual([expect.any(String), receiver.of(ids.accountId)[0]!.headers['x-switchyard-alert-id']]);

    // Down for good: three attempts (1 s, then 2 s apart), then failed.
    const down = await setup('10', '9.5');
    receiver.statuses.push(500, 502, 503);
    await spend(down, '1', '9');
    // Each wait ends once the failed attempt is recorded (its next attempt scheduled on the billing clock), not merely
    // received: advancing the clock before that would push the next attempt out of reach.
    const recorded = (attempts: number, error: string) => async () => {
      const webhook = (await alertsOf(down.accountId))[0]?.webhook;
      return webhook?.attempts === attempts && webhook.error === error;
    };
    await waitFor(recorded(1, 'HTTP 500'), { message: 'first attempt' });
    billing.clock.advance(1_000);
    await waitFor(recorded(2, 'HTTP 502'), { message: 'second attempt' });
    billing.clock.advance(2_000);
    await waitFor(async () => (await alertsOf(down.accountId))[0]!.webhook.state === 'failed', { message: 'given up' });
    expect((await alertsOf(down.accountId))[0]!.webhook).toEqual({ state: 'failed', attempts: 3, error: 'HTTP 503' });
    billing.clock.advance(60_000);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(receiver.of(down.accountId)).toHaveLength(3);

    // The operator finds it among the failed deliveries and sends it again once the receiver is back.
    const failed = (await billing.admin('GET', '/admin/alerts?webhook_state=failed&limit=500')).body.data as Array<{ id: string; accountId: string; accountName: string; webhook: { state: string } }>;
    const mine = failed.find((alert) => alert.accountId === down.accountId)!;
    expect(mine).toMatchObject({ accountName: down.accountName, webhook: { state: 'failed' } });
    expect(failed.every((alert) => alert.webhook.state === 'failed')).toBe(true);
    expect((await billing.admin('POST', `/admin/alerts/${mine.id}/redeliver`)).body).toEqual({ id: mine.id, webhook: { state: 'pending', enabled: true } });
    await waitFor(async () => (await alertsOf(down.accountId))[0]!.webhook.state === 'delivered', { timeoutMs: 5_000, message: 'redelivered' });
    expect((await alertsOf(down.accountId))[0]!.webhook).toEqual({ state: 'delivered', attempts: 1, error: null });
    expect(receiver.of(down.accountId)).toHaveLength(4);
    expect((await billing.admin('POST', '/admin/alerts/999999999/redeliver')).status).toBe(404);
    expect((await billing.admin('POST', '/admin/alerts/abc/redeliver')).status).toBe(400);
    expect((await billing.admin('GET', '/admin/alerts?webhook_state=lost')).status).toBe(400);

    // A 404 will not change by trying again.
    const refused = await setup('10', '9.5');
    receiver.statuses.push(404);
    await spend(refused, '1', '9');
    await waitFor(async () => (await alertsOf(refused.accountId))[0]?.webhook.state === 'failed', { message: 'refused' });
    expect((await alertsOf(refused.accountId))[0]!.webhook).toEqual({ state: 'failed', attempts: 1, error: 'HTTP 404' });
    const metrics = await (await fetch(`${billing.base}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).text();
    expect(metrics).toMatch(/switchyard_billing_alert_webhooks_total\{outcome="retry"[^}]*\} [3-9]/);
    expect(metrics).toMatch(/switchyard_billing_alert_webhooks_total\{outcome="failed"[^}]*\} [2-9]/);
  });

  it('gives up on a receiver that takes the request and never answers after ALERT_WEBHOOK_TIMEOUT_MS, and tries again later', async () => {
    const ids = await setup('10', '9.5');
    receiver.statuses.push(HANG);
    const started = Date.now();
    await spend(ids, '1', '9');
    // An attempt counts when it is claimed; its outcome is recorded once the timeout ended it.
    await waitFor(async () => typeof (await alertsOf(ids.accountId))[0]?.webhook.error === 'string', { timeoutMs: 5_000, message: 'the hanging attempt recorded' });
    const { webhook } = (await alertsOf(ids.accountId))[0]!;
    expect(webhook).toMatchObject({ state: 'pending', attempts: 1 });
    expect(webhook.error).toMatch(/abort|time/i);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(receiver.of(ids.accountId)).toHaveLength(1);
    billing.clock.advance(1_000);
    await waitFor(async () => (await alertsOf(ids.accountId))[0]!.webhook.state === 'delivered', { timeoutMs: 5_000, message: 'delivered on the second attempt' });
    expect((await alertsOf(ids.accountId))[0]!.webhook).toEqual({ state: 'delivered', attempts: 2, error: null });
  });

  it('makes a runaway stop an alert: listed to the account holder with the key it disabled, and delivered', async () => {
    const ids = await setup('10', null, { name: 'agent-7', max_spend_per_hour: '1' });
    await spend(ids, '1.2', '8.8');
    const [delivery] = await waitFor(() => (receiver.of(ids.accountId).length > 0 ? receiver.of(ids.accountId) : undefined), { timeoutMs: 5_000, message: 'the webhook called' });
    expect(delivery!.body.json.alert).toMatchObject({ kind: 'runaway_stop', threshold: '1', value: '1.2', key_hash: ids.keyHash, key_name: 'agent-7' });
    expect(delivery!.body.json.text).toContain(`key "agent-7" was disabled by the runaway stop: it spent $1.2 in the last hour`);
    const read = await billing.rpc(subjects.billing.alerts, { op: 'get', accountId: ids.accountId });
    expect(read.data.recent).toEqual([{ id: expect.any(String), kind: 'runaway_stop', threshold: '1', value: '1.2', day: null, key_hash: ids.keyHash, key_name: 'agent-7', created_at: expect.any(String) }]);
  });

  it('raises a key_limit alert once when a debit takes a key to its limit in the current window, and delivers it', async () => {
    const ids = await setup('10', null, { name: 'batch-job', limit: '1', limit_reset: 'monthly' });
    await spend(ids, '0.6', '9.4');
    await spend(ids, '0.5', '8.9'); // 1.1 this month: past the limit of 1
    const [delivery] = await waitFor(() => (receiver.of(ids.accountId).length > 0 ? receiver.of(ids.accountId) : undefined), { timeoutMs: 5_000, message: 'the webhook called' });
    expect(delivery!.body.json.alert).toMatchObject({ kind: 'key_limit', threshold: '1', value: '1.1', key_hash: ids.keyHash, key_name: 'batch-job' });
    expect(delivery!.body.json.text).toContain('key "batch-job" reached its limit of $1 ($1.1 used in its current window)');
    // Past it already: the next debit raises nothing new.
    await spend(ids, '0.1', '8.8');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await alertsOf(ids.accountId)).map((alert) => alert.kind)).toEqual(['key_limit']);
    expect(receiver.of(ids.accountId)).toHaveLength(1);
  });

  it('expires an alert that could not be delivered within ALERT_WEBHOOK_MAX_AGE_MS instead of sending it late', async () => {
    const ids = await firstAttemptFailed();
    billing.clock.advance(3_600_001);
    await waitFor(async () => (await alertsOf(ids.accountId))[0]!.webhook.state === 'expired', { timeoutMs: 5_000, message: 'expired' });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(receiver.of(ids.accountId)).toHaveLength(1);
  });
});
