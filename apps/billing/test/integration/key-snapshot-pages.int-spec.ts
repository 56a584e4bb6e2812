import { type KeySnapshot, hashApiKey, keySnapshotSchema, subjects } from '@switchyard/contracts';
import { mergeSnapshotPages } from '@switchyard/nest-kit';
import { BillingTestApp } from './billing-test-app.js';

describe('the key snapshot in pages (real NATS + Postgres)', () => {
  let billing: BillingTestApp;

  beforeAll(async () => {
    // A 2 KiB page: a few keys already take several pages, as thousands of keys do at the default 512 KiB.
    billing = await BillingTestApp.start({ env: { KEY_SNAPSHOT_PAGE_BYTES: '2048' } });
  });

  afterAll(async () => {
    await billing?.destroy();
  });

  it('answers a snapshot larger than a page in pages of one version, which put back together hold every key and account', async () => {
    const account = await billing.createAccount({ name: 'Many Keys' });
    const created: string[] = [];
    for (let index = 0; index < 15; index++) created.push((await billing.createKey(account.id, { name: `key ${index}` })).key);

    const pages = await billing.nats.requestAll<KeySnapshot>(subjects.billing.keySnapshot, {}, { timeoutMs: 10_000 });
    expect(pages.length).toBeGreaterThan(2);
    for (const page of pages) {
      expect(page.version).toBe(pages[0]!.version);
      expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThanOrEqual(2048);
    }
    const snapshot = keySnapshotSchema.parse(mergeSnapshotPages(pages, ['keys', 'accounts']));
    expect(snapshot.keys.map((key) => key.hash)).toEqual(expect.arrayContaining(created.map(hashApiKey)));
    expect(new Set(snapshot.keys.map((key) => key.hash)).size).toBe(snapshot.keys.length);
    expect(snapshot.accounts.map((entry) => entry.accountId)).toContain(account.id);
  });
});
