import { uniqueSchema, waitFor } from '@switchyard/nest-kit/testing';
import { ManualClock } from '../../src/common/clock.js';
import { FreeQuotaService } from '../../src/free-quota/free-quota.service.js';
import { BillingTestApp } from './billing-test-app.js';

describe('the :free minute window across billing replicas (real NATS + Postgres)', () => {
  const schema = uniqueSchema('billing');
  const clock = new ManualClock(Date.parse('2025-06-04T10:00:00Z'));
  let replicas: BillingTestApp[] = [];

  beforeAll(async () => {
    replicas = [new BillingTestApp(schema, clock), new BillingTestApp(schema, clock)];
    await Promise.all(replicas.map((replica) => replica.boot()));
  });

  afterAll(async () => {
    await replicas[1]?.close().catch(() => undefined);
    await replicas[0]?.destroy();
  });

  it('allows 20 requests a minute for the account whichever replica answers, not 20 per replica', async () => {
    const [first, second] = replicas.map((replica) => replica.app.get(FreeQuotaService));
    const account = await replicas[0]!.createAccount({ name: 'Two replicas' });
    const take = (service: FreeQuotaService) => service.take({ accountId: account.id, modelId: 'meta-llama/llama-3.3-70b-instruct:free' });
    for (let index = 0; index < 12; index++) expect((await take(first!)).allowed).toBe(true);
    // The other replica hears of them within an event batch window.
    await waitFor(() => second!.usedThisMinute(account.id) === 12, { timeoutMs: 2_000, message: 'the second replica counts the first one’s requests' });
    for (let index = 0; index < 8; index++) expect((await take(second!)).allowed).toBe(true);
    expect(await take(second!)).toMatchObject({ allowed: false, window: 'minute' });
    await waitFor(() => first!.usedThisMinute(account.id) === 20, { timeoutMs: 2_000, message: 'the first replica counts the second one’s requests' });
    expect(await take(first!)).toMatchObject({ allowed: false, window: 'minute' });
    // The admin view shows the shared window.
    expect((await replicas[0]!.account(account.id)).freeQuota).toMatchObject({ usedThisMinute: 20 });
  });
});
