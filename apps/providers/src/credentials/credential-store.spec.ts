import { CredentialStore, SIMULATOR_API_KEY, type CachedCredential } from './credential-store.js';

function stored(provider: string, apiKey: string | null, accountId: string | null = null): CachedCredential {
  return { provider, accountId, apiKey, problem: apiKey === null ? 'authentication tag mismatch' : undefined, last4: apiKey?.slice(-4) ?? 'zzzz', source: 'stored', createdAt: new Date(0), updatedAt: new Date(0) };
}

const platform = { byok: false, accountId: 'acct-1', simulator: false };

describe('CredentialStore.resolve', () => {
  it('prefers a stored platform key over the environment, and uses the environment otherwise', () => {
    const store = new CredentialStore({ groq: 'env-groq-key-0001', openai: 'env-openai-key-0002' });
    store.replaceAll([stored('groq', 'stored-groq-key-0003')]);
    expect(store.resolve('groq', platform)).toEqual({ ok: true, apiKey: 'stored-groq-key-0003', source: 'stored' });
    expect(store.resolve('openai', platform)).toEqual({ ok: true, apiKey: 'env-openai-key-0002', source: 'env' });
  });

  it('uses sim-key for a simulator with no key, and fails over (retryable 502) for a provider with none', () => {
    const store = new CredentialStore();
    expect(store.resolve('simulator', { ...platform, simulator: true })).toEqual({ ok: true, apiKey: SIMULATOR_API_KEY, source: 'simulator' });
    expect(store.resolve('groq', platform)).toEqual({
      ok: false,
      error: { status: 502, errorType: 'provider_unavailable', retryable: true, phase: 'connect', message: 'no credential configured for groq' },
    });
  });

  it('falls back to the environment when the stored platform key cannot be decrypted, and says why when there is none', () => {
    const store = new CredentialStore({ groq: 'env-groq-key-0001' });
    store.replaceAll([stored('groq', null), stored('openai', null)]);
    expect(store.resolve('groq', platform)).toMatchObject({ ok: true, source: 'env' });
    expect(store.resolve('openai', platform)).toMatchObject({ ok: false, error: { message: expect.stringContaining('authentication tag mismatch') } });
  });

  it("uses only the account's own key for BYOK, never the platform's, and 401s when it is missing", () => {
    const store = new CredentialStore({ groq: 'env-groq-key-0001' });
    store.replaceAll([stored('groq', 'acct1-groq-key-9999', 'acct-1')]);
    expect(store.resolve('groq', { ...platform, byok: true })).toEqual({ ok: true, apiKey: 'acct1-groq-key-9999', source: 'byok' });
    expect(store.resolve('groq', { ...platform, byok: true, accountId: 'acct-2' })).toMatchObject({ ok: false, error: { status: 401, errorType: 'authentication', retryable: false } });
    expect(store.resolve('groq', platform)).toMatchObject({ ok: true, source: 'env' });
  });

  it('replaces one account or the platform table without touching the rest', () => {
    const store = new CredentialStore();
    store.replaceAll([stored('groq', 'p-groq-key-0001'), stored('groq', 'a1-groq-key-0002', 'acct-1'), stored('openai', 'a2-openai-key-0003', 'acct-2')]);
    store.replaceAccount('acct-1', []);
    expect(store.accountProviders('acct-1')).toEqual([]);
    expect(store.accountProviders('acct-2')).toEqual(['openai']);
    store.replacePlatform([]);
    expect(store.resolve('groq', platform)).toMatchObject({ ok: false });
    expect(store.resolve('openai', { ...platform, byok: true, accountId: 'acct-2' })).toMatchObject({ ok: true });
  });
});

describe('CredentialStore.list', () => {
  it('lists status without keys, environment keys included, filterable by account', () => {
    const store = new CredentialStore({ groq: 'env-groq-key-0001' });
    store.replaceAll([stored('openai', 'sk-openai-key-4321'), stored('groq', 'acct-groq-key-7777', 'acct-1'), stored('mistral', null)]);
    const all = store.list();
    expect(JSON.stringify(all)).not.toMatch(/key-(0001|4321|7777)"|env-groq|sk-openai|acct-groq/);
    expect(all).toEqual([
      expect.objectContaining({ provider: 'groq', scope: 'platform', source: 'env', last4: '0001', usable: true }),
      expect.objectContaining({ provider: 'groq', scope: 'account', accountId: 'acct-1', source: 'stored', last4: '7777' }),
      expect.objectContaining({ provider: 'mistral', usable: false, problem: 'authentication tag mismatch' }),
      expect.objectContaining({ provider: 'openai', scope: 'platform', source: 'stored', last4: '4321' }),
    ]);
    expect(store.list({ accountId: 'acct-1' }).map((entry) => entry.provider)).toEqual(['groq']);
  });
});
