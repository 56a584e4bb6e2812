import { hashApiKey, subjects, type KeyRecord, type KeySnapshot } from '@switchyard/contracts';
import { HealthRegistry, snapshotPages, type NatsService } from '@switchyard/nest-kit';
import { AuthenticatorService } from './authenticator.service.js';
import { KeyCacheService } from './key-cache.service.js';
import { accountRecord, keyRecord } from '../../test/support/records.js';

/** The record of a key by its plaintext (the cache holds keys by hash). */
function recordOf(key: string, overrides: Partial<KeyRecord> = {}): KeyRecord {
  return keyRecord({ hash: hashApiKey(key), keyId: `key-${key.slice(-4)}`, name: 'new key', ...overrides });
}

/**
 * NATS as the key cache sees it: the snapshot RPC answers `snapshot`, the key-lookup RPC answers `lookup(hash)`
 * (which may wait or throw), and `deliver` hands it a keys-changed event as the subscription would.
 */
class FakeNats {
  snapshot: KeySnapshot = { version: 5, keys: [], accounts: [accountRecord()] };
  lookup: (hash: string) => Promise<unknown> = async () => ({ version: this.snapshot.version, key: null, account: null });
  readonly lookups: string[] = [];
  private changed: ((data: unknown) => void) | undefined;

  /** Billing's page size: small, so snapshots of a few keys already come in several pages, as thousands would. */
  pageBytes = 600;
  readonly snapshotPageCounts: number[] = [];

  async requestAll(subject: string): Promise<unknown[]> {
    if (subject !== subjects.billing.keySnapshot) throw new Error(`unexpected paged request on ${subject}`);
    const pages = snapshotPages(structuredClone(this.snapshot), ['keys', 'accounts'], this.pageBytes);
    this.snapshotPageCounts.push(pages.length);
    return pages;
  }

  async request(subject: string, data: { hash?: string }): Promise<unknown> {
    if (subject === subjects.billing.keyLookup) {
      this.lookups.push(data.hash!);
      return this.lookup(data.hash!);
    }
    throw new Error(`unexpected request on ${subject}`);
  }

  subscribe(subject: string, handler: (data: unknown) => void) {
    if (subject === subjects.billing.keysChanged) this.changed = handler;
    return { unsubscribe: () => undefined };
  }

  onReconnect(): () => void {
    return () => undefined;
  }

  deliver(event: unknown): void {
    this.changed!(event);
  }
}

describe('KeyCacheService: a key the table does not hold yet is looked up in billing', () => {
  const NEW_KEY = `sk-sy-v1-${'a'.repeat(64)}`;
  let nats: FakeNats;
  let cache: KeyCacheService;
  let authenticator: AuthenticatorService;

  async function start(config: { KEY_LOOKUPS_PER_SECOND?: number } = {}, snapshot?: KeySnapshot): Promise<void> {
    nats = new FakeNats();
    if (snapshot) nats.snapshot = snapshot;
    cache = new KeyCacheService(nats as unknown as NatsService, new HealthRegistry(), { KEY_LOOKUPS_PER_SECOND: config.KEY_LOOKUPS_PER_SECOND ?? 50, KEY_LOOKUP_TIMEOUT_MS: 1_000 });
    cache.onModuleInit();
    await (cache as unknown as { cache: { ready: Promise<void> } }).cache.ready;
    authenticator = new AuthenticatorService(cache);
  }

  afterEach(() => cache.onApplicationShutdown());

  it('loads a snapshot billing answers in pages: every key of every page authenticates without asking', async () => {
    const keys = Array.from({ length: 40 }, (_, index) => `sk-sy-v1-${String(index).padStart(64, '0')}`);
    await start({}, { version: 9, keys: keys.map((key) => recordOf(key)), accounts: [accountRecord()] });
    expect(nats.snapshotPageCounts[0]).toBeGreaterThan(5);
    for (const key of keys) expect((await authenticator.authenticate({ authorization: `Bearer ${key}` })).key.hash).toBe(hashApiKey(key));
    expect(nats.lookups).toHaveLength(0);
  });

  it('authenticates a key created after the snapshot whose keys-changed has not arrived, and keeps it', async () => {
    await start();
    nats.lookup = async () => ({ version: 6, key: recordOf(NEW_KEY), account: accountRecord({ balance: '9.5' }) });
    const caller = await authenticator.authenticate({ authorization: `Bearer ${NEW_KEY}` });
    expect(caller.key).toMatchObject({ hash: hashApiKey(NEW_KEY), name: 'new key' });
    expect(caller.account).toMatchObject({ accountId: 'acct-1', balance: '9.5' });
    await authenticator.authenticate({ authorization: `Bearer ${NEW_KEY}` });
    expect(nats.lookups).toHaveLength(1);
  });

  it('still applies the deltas after the looked-up answer: the delta that created the key, then one that disables it', async () => {
    await start();
    nats.lookup = async () => ({ version: 6, key: recordOf(NEW_KEY), account: accountRecord() });
    await authenticator.authenticate({ authorization: `Bearer ${NEW_KEY}` });
    nats.deliver({ version: 6, keys: [recordOf(NEW_KEY)], accounts: [], removedKeyHashes: [] });
    nats.deliver({ version: 7, keys: [recordOf(NEW_KEY, { disabled: true })], accounts: [], removedKeyHashes: [] });
    await expect(authenticator.authenticate({ authorization: `Bearer ${NEW_KEY}` })).rejects.toMatchObject({ status: 401, message: 'This API key is disabled' });
  });

  it('does not bring back a key that a delta applied meanwhile removed (the table is newer than the answer)', async () => {
    await start();
    let answer!: (value: unknown) => void;
    nats.lookup = () => new Promise((resolve) => (answer = resolve));
    const pending = authenticator.authenticate({ authorization: `Bearer ${NEW_KEY}` });
    await new Promise((resolve) => setImmediate(resolve));
    // Created at 6 and deleted at 7 while the lookup (read at 6) was on its way.
    nats.deliver({ version: 6, keys: [recordOf(NEW_KEY)], accounts: [], removedKeyHashes: [] });
    nats.deliver({ version: 7, keys: [], accounts: [], removedKeyHashes: [hashApiKey(NEW_KEY)] });
    answer({ version: 6, key: recordOf(NEW_KEY), account: accountRecord() });
    await expect(pending).rejects.toMatchObject({ status: 401, message: 'Invalid API key' });
    expect(cache.key(hashApiKey(NEW_KEY))).toBeUndefined();
  });

  it('asks once for concurrent requests with the same unknown key, and remembers a key billing does not have', async () => {
    await start();
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => authenticator.authenticate({ authorization: 'Bearer sk-sy-v1-made-up' })));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(5).fill('rejected'));
    await expect(authenticator.authenticate({ authorization: 'Bearer sk-sy-v1-made-up' })).rejects.toMatchObject({ status: 401 });
    expect(nats.lookups).toEqual([hashApiKey('sk-sy-v1-made-up')]);
  });

  it('asks at most KEY_LOOKUPS_PER_SECOND a second: a flood of made-up keys is refused without asking', async () => {
    await start({ KEY_LOOKUPS_PER_SECOND: 3 });
    for (let index = 0; index < 10; index++) {
      await expect(authenticator.authenticate({ authorization: `Bearer sk-sy-v1-guess-${index}` })).rejects.toMatchObject({ status: 401, message: 'Invalid API key' });
    }
    expect(nats.lookups).toHaveLength(3);
  });

  it('refuses with 401 when billing cannot be asked, and asks again next time', async () => {
    await start();
    nats.lookup = async () => {
      throw new Error('no responders');
    };
    await expect(authenticator.authenticate({ authorization: `Bearer ${NEW_KEY}` })).rejects.toMatchObject({ status: 401 });
    nats.lookup = async () => ({ version: 6, key: recordOf(NEW_KEY), account: accountRecord() });
    await expect(authenticator.authenticate({ authorization: `Bearer ${NEW_KEY}` })).resolves.toMatchObject({ key: { name: 'new key' } });
    expect(nats.lookups).toHaveLength(2);
  });

  it('never asks for a key the table holds, whatever its state', async () => {
    await start();
    nats.snapshot = { version: 5, keys: [recordOf(NEW_KEY, { disabled: true })], accounts: [accountRecord()] };
    await (cache as unknown as { cache: { refresh(): Promise<void> } }).cache.refresh();
    await expect(authenticator.authenticate({ authorization: `Bearer ${NEW_KEY}` })).rejects.toMatchObject({ message: 'This API key is disabled' });
    expect(nats.lookups).toEqual([]);
  });
});
