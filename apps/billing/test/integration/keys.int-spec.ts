import { type KeySnapshot, hashApiKey, keyInfoSchema, keyLookupReplySchema, keySnapshotSchema, subjects } from '@switchyard/contracts';
import { waitFor } from '@switchyard/nest-kit/testing';
import { BillingTestApp } from './billing-test-app.js';

const DAY = 86_400_000;

describe('API keys: key-management RPC, snapshot, key info, keys-changed (real NATS + Postgres)', () => {
  let billing: BillingTestApp;
  let accountId: string;
  const keys = (data: unknown) => billing.rpc(subjects.billing.keys, data);

  beforeAll(async () => {
    // Noon UTC on a Wednesday, so "tomorrow" is a plain daily rollover.
    billing = await BillingTestApp.start({ clock: new (await import('../../src/common/clock.js')).ManualClock(Date.parse('2025-06-04T12:00:00Z')), env: { MAINTENANCE_INTERVAL_MS: '100' } });
    accountId = (await billing.createAccount({ name: 'Keys Inc' })).id;
  });

  afterAll(async () => {
    await billing?.destroy();
  });

  it('creates a key once in plaintext, stores only its hash, and returns OpenRouter’s key object', async () => {
    const created = await keys({ op: 'create', accountId, body: { name: 'CI', limit: 5, limit_reset: 'daily', include_byok_in_limit: true, expires_at: '2030-01-01T00:00:00Z', creator_user_id: 'user_1' } });
    expect(created.key).toMatch(/^sk-sy-v1-[0-9a-f]{64}$/);
    expect(created.data).toEqual({
      hash: hashApiKey(created.key),
      name: 'CI',
      label: `${created.key.slice(0, 12)}...${created.key.slice(-4)}`,
      disabled: false,
      limit: 5,
      limit_remaining: 5,
      limit_reset: 'daily',
      include_byok_in_limit: true,
      usage: 0,
      usage_daily: 0,
      usage_weekly: 0,
      usage_monthly: 0,
      byok_usage: 0,
      byok_usage_daily: 0,
      byok_usage_weekly: 0,
      byok_usage_monthly: 0,
      created_at: '2025-06-04T12:00:00.000Z',
      updated_at: '2025-06-04T12:00:00.000Z',
      expires_at: '2030-01-01T00:00:00.000Z',
      creator_user_id: 'user_1',
      max_spend_per_hour: null,
      allowed_models: null,
      guardrails: null,
      disabled_reason: null,
      user_limit: null,
      user_limit_reset: null,
    });
    const stored = await billing.app.get((await import('typeorm')).DataSource).query(`SELECT * FROM api_keys WHERE hash = $1`, [created.data.hash]);
    expect(JSON.stringify(stored)).not.toContain(created.key);

    const fetched = await keys({ op: 'get', accountId, hash: created.data.hash });
    expect(fetched.data).toEqual(created.data);
  });

  it('rejects invalid key bodies (400) and unknown hashes (404)', async () => {
    for (const body of [{}, { name: '' }, { name: 'x', limit: -1 }, { name: 'x', limit_reset: 'hourly' }, { name: 'x', expires_at: '2030-01-01T00:00:00+01:00' }, { name: 'x', expires_at: '2020-01-01T00:00:00Z' }, { name: 'x', allowed_models: [] }, { name: 'x', allowed_models: ['has space/x'] }, { name: 'x', guardrails: {} }, { name: 'x', guardrails: { detectors: ['telepathy'] } }, { name: 'x', guardrails: { keywords: ['a'], action: 'shred' } }]) {
      await expect(keys({ op: 'create', accountId, body })).rejects.toMatchObject({ status: 400 });
    }
    await expect(keys({ op: 'get', accountId, hash: 'f'.repeat(64) })).rejects.toMatchObject({ status: 404 });
    await expect(keys({ op: 'update', accountId, hash: 'f'.repeat(64), body: { disabled: true } })).rejects.toMatchObject({ status: 404 });
    await expect(keys({ op: 'delete', accountId, hash: 'f'.repeat(64) })).rejects.toMatchObject({ status: 404 });
    await expect(keys({ op: 'explode', accountId })).rejects.toMatchObject({ status: 400 });
    await expect(keys({ op: 'create', accountId: 'no-such-account', body: { name: 'x' } })).rejects.toMatchObject({ status: 404 });
  });

  it('lists an account’s inference keys newest first, 100 a page, hiding disabled ones unless asked, and never management keys', async () => {
    const other = (await billing.createAccount({ name: 'Lister' })).id;
    const created: string[] = [];
    for (let index = 0; index < 103; index++) {
      billing.clock.advance(1);
      created.push((await keys({ op: 'create', accountId: other, body: { name: `k${index}` } })).data.hash);
    }
    await billing.createKey(other, { name: 'admin', kind: 'management' });
    await keys({ op: 'update', accountId: other, hash: created[102], body: { disabled: true } });
    const first = await keys({ op: 'list', accountId: other });
    expect(first.data).toHaveLength(100);
    expect(first.data[0].name).toBe('k101');
    const second = await keys({ op: 'list', accountId: other, offset: 100 });
    expect(second.data.map((key: { name: string }) => key.name)).toEqual(['k1', 'k0']); // k102 is disabled
    const withDisabled = await keys({ op: 'list', accountId: other, includeDisabled: true });
    expect(withDisabled.data[0]).toMatchObject({ name: 'k102', disabled: true });
    expect(JSON.stringify([...first.data, ...second.data])).not.toContain('"admin"');
    // Another account's key is invisible here.
    await expect(keys({ op: 'get', accountId, hash: created[0] })).rejects.toMatchObject({ status: 404 });
  });

  it('updates name, limit and reset; disabling reaches keys-changed within a second; deleting removes the key', async () => {
    const created = await keys({ op: 'create', accountId, body: { name: 'to-disable' } });
    const hash = created.data.hash;
    const before = billing.changes.length;
    const started = Date.now();
    const updated = await keys({ op: 'update', accountId, hash, body: { disabled: true, name: 'disabled', limit: 2.5, limit_reset: 'monthly' } });
    expect(updated.data).toMatchObject({ disabled: true, name: 'disabled', limit: 2.5, limit_remaining: 2.5, limit_reset: 'monthly' });
    const announced = await waitFor(() => billing.changes.slice(before).find((change) => change.keys.some((key) => key.hash === hash && key.disabled)), { timeoutMs: 1_000, intervalMs: 5, message: 'disable announced within 1 s' });
    expect(announced.receivedAt - started).toBeLessThan(1_000);
    expect(announced.keys.find((key) => key.hash === hash)).toMatchObject({ disabled: true, limit: '2.5', limitRemaining: '2.5', limitReset: 'monthly', accountId });

    await expect(keys({ op: 'delete', accountId, hash })).resolves.toEqual({ deleted: true });
    await waitFor(() => billing.changes.some((change) => change.removedKeyHashes.includes(hash)), { timeoutMs: 1_000, message: 'removal announced' });
    await expect(keys({ op: 'get', accountId, hash })).rejects.toMatchObject({ status: 404 });
    const snapshot = keySnapshotSchema.parse(await billing.rpc(subjects.billing.keySnapshot, {}));
    expect(snapshot.keys.some((key) => key.hash === hash)).toBe(false);
  });

  it("keeps a key's model allowlist: set at creation, changed or cleared by an update, announced and in the snapshot and /key", async () => {
    const created = await keys({ op: 'create', accountId, body: { name: 'agent', allowed_models: ['openai/*', 'anthropic/claude-haiku-4.5'] } });
    expect(created.data.allowed_models).toEqual(['openai/*', 'anthropic/claude-haiku-4.5']);
    const hash = created.data.hash;
    const snapshot = keySnapshotSchema.parse(await billing.rpc(subjects.billing.keySnapshot, {}));
    expect(snapshot.keys.find((key) => key.hash === hash)?.allowedModels).toEqual(['openai/*', 'anthropic/claude-haiku-4.5']);
    const before = billing.changes.length;
    const narrowed = await keys({ op: 'update', accountId, hash, body: { allowed_models: ['openai/gpt-4o-mini'] } });
    expect(narrowed.data.allowed_models).toEqual(['openai/gpt-4o-mini']);
    const announced = await waitFor(() => billing.changes.slice(before).find((change) => change.keys.some((key) => key.hash === hash)), { timeoutMs: 2_000, message: 'the change announced' });
    expect(announced.keys.find((key) => key.hash === hash)?.allowedModels).toEqual(['openai/gpt-4o-mini']);
    expect(keyInfoSchema.parse(await billing.rpc(subjects.billing.keyInfo, { hash })).allowed_models).toEqual(['openai/gpt-4o-mini']);
    expect((await keys({ op: 'update', accountId, hash, body: { allowed_models: null } })).data.allowed_models).toBeNull();
  });

  it("keeps a key's own guardrails: set at creation (the rest defaulted), changed or removed by an update, in the snapshot and announced", async () => {
    const created = await keys({ op: 'create', accountId, body: { name: 'public-app', guardrails: { detectors: ['email', 'email'], keywords: ['Project Falcon'] } } });
    expect(created.data.guardrails).toEqual({ detectors: ['email'], keywords: ['Project Falcon'], action: 'block' });
    const hash = created.data.hash;
    const snapshot = keySnapshotSchema.parse(await billing.rpc(subjects.billing.keySnapshot, {}));
    expect(snapshot.keys.find((key) => key.hash === hash)?.guardrails).toEqual({ detectors: ['email'], keywords: ['Project Falcon'], action: 'block' });
    const before = billing.changes.length;
    const changed = await keys({ op: 'update', accountId, hash, body: { guardrails: { detectors: ['api_key'], action: 'redact' } } });
    expect(changed.data.guardrails).toEqual({ detectors: ['api_key'], keywords: [], action: 'redact' });
    const announced = await waitFor(() => billing.changes.slice(before).find((change) => change.keys.some((key) => key.hash === hash)), { timeoutMs: 2_000, message: 'the change announced' });
    expect(announced.keys.find((key) => key.hash === hash)?.guardrails).toEqual({ detectors: ['api_key'], keywords: [], action: 'redact' });
    // Other fields leave them alone; null removes them.
    expect((await keys({ op: 'update', accountId, hash, body: { name: 'renamed' } })).data.guardrails).toEqual({ detectors: ['api_key'], keywords: [], action: 'redact' });
    expect((await keys({ op: 'update', accountId, hash, body: { guardrails: null } })).data.guardrails).toBeNull();
    expect(keySnapshotSchema.parse(await billing.rpc(subjects.billing.keySnapshot, {})).keys.find((key) => key.hash === hash)?.guardrails).toBeNull();
  });

  it('publishes consecutive versions, and the snapshot holds every key and account at the latest version', async () => {
    const start = billing.changes.length;
    for (let index = 0; index < 5; index++) await keys({ op: 'create', accountId, body: { name: `v${index}` } });
    await waitFor(() => billing.changes.length >= start + 5);
    const versions = billing.changes.slice(start).map((change) => change.version);
    for (let index = 1; index < versions.length; index++) expect(versions[index]).toBe(versions[index - 1]! + 1);
    const snapshot: KeySnapshot = keySnapshotSchema.parse(await billing.rpc(subjects.billing.keySnapshot, {}));
    expect(snapshot.version).toBeGreaterThanOrEqual(versions[versions.length - 1]!);
    expect(snapshot.accounts.find((account) => account.accountId === accountId)).toMatchObject({ name: 'Keys Inc', balance: '0' });
    expect(snapshot.keys.filter((key) => key.accountId === accountId).map((key) => key.name)).toEqual(expect.arrayContaining(['v0', 'v4', 'CI']));
  });

  it('looks one key up by hash with its account at a version no older than the change that created it; null when unknown or deleted', async () => {
    const created = await billing.createKey(accountId, { name: 'just made', limit: 2.5 });
    const hash = hashApiKey(created.key);
    const announced = await waitFor(() => billing.changes.find((change) => change.keys.some((key) => key.hash === hash)), { timeoutMs: 1_000, message: 'creation announced' });
    const found = keyLookupReplySchema.parse(await billing.rpc(subjects.billing.keyLookup, { hash }));
    expect(found.version).toBeGreaterThanOrEqual(announced.version);
    expect(found.key).toMatchObject({ hash, accountId, name: 'just made', disabled: false, kind: 'inference' });
    expect(found.account).toMatchObject({ accountId, name: 'Keys Inc' });

    await expect(keys({ op: 'delete', accountId, hash })).resolves.toEqual({ deleted: true });
    const gone = keyLookupReplySchema.parse(await billing.rpc(subjects.billing.keyLookup, { hash }));
    expect(gone).toMatchObject({ key: null, account: null });
    expect(gone.version).toBeGreaterThan(found.version);
    await expect(billing.rpc(subjects.billing.keyLookup, { hash: 'sk-sy-v1-not-a-hash' })).rejects.toMatchObject({ status: 400 });
  });

  it('serves /key data: windows, limit, free tier, management flags, deprecated rate_limit', async () => {
    const management = await billing.createKey(accountId, { name: 'mgmt', kind: 'management' });
    const info = keyInfoSchema.parse(await billing.rpc(subjects.billing.keyInfo, { hash: hashApiKey(management.key) }));
    expect(info).toMatchObject({ name: 'mgmt', is_management_key: true, is_provisioning_key: true, is_free_tier: true, limit: null, limit_remaining: null, usage: 0, rate_limit: { requests: -1, interval: '10s' } });
    await billing.topUp(accountId, '10', 'card');
    const raw = await billing.rpc(subjects.billing.keyInfo, { hash: hashApiKey(management.key) });
    expect(raw).toMatchObject({ is_free_tier: false, account_byok_usage_monthly: 0, byok_fee_waived: true });
    await expect(billing.rpc(subjects.billing.keyInfo, { hash: 'nope' })).rejects.toMatchObject({ status: 404 });
    await expect(billing.rpc(subjects.billing.keyInfo, {})).rejects.toMatchObject({ status: 400 });
  });

  it('announces a key as disabled when it expires, and a reset limit when its window rolls over at midnight UTC', async () => {
    const expiring = await keys({ op: 'create', accountId, body: { name: 'short-lived', expires_at: new Date(billing.clock.now() + 60_000).toISOString() } });
    const limited = await keys({ op: 'create', accountId, body: { name: 'daily', limit: 1, limit_reset: 'daily' } });
    await billing.publishGeneration(billing.generation({ accountId, keyId: (await billing.rpc(subjects.billing.keySnapshot, {})).keys.find((key: { hash: string }) => key.hash === limited.data.hash).keyId, keyHash: limited.data.hash, cost: '0.4', upstreamCost: '0.4' }));
    await waitFor(() => billing.lastChangeWithKey(limited.data.hash)?.key.limitRemaining === '0.6', { message: 'usage reduces limitRemaining' });

    billing.clock.advance(61_000);
    const expired = await waitFor(() => (billing.lastChangeWithKey(expiring.data.hash)?.key.disabled ? billing.lastChangeWithKey(expiring.data.hash) : undefined), { message: 'expiry announced' });
    expect(expired.key).toMatchObject({ disabled: true, expiresAt: expiring.data.expires_at });
    const snapshot = keySnapshotSchema.parse(await billing.rpc(subjects.billing.keySnapshot, {}));
    expect(snapshot.keys.find((key) => key.hash === expiring.data.hash)?.disabled).toBe(true);

    billing.clock.set(Date.parse('2025-06-05T00:00:01Z'));
    await waitFor(() => billing.lastChangeWithKey(limited.data.hash)?.key.limitRemaining === '1', { message: 'daily window rolled over' });
    const info = await billing.rpc(subjects.billing.keyInfo, { hash: limited.data.hash });
    expect(info).toMatchObject({ usage: 0.4, usage_daily: 0, usage_weekly: 0.4, usage_monthly: 0.4, limit_remaining: 1 });
    billing.clock.advance(DAY);
  });
});
