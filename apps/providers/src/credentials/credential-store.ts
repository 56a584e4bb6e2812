import type { UpstreamError } from '@switchyard/llm-spec';
import { lastFour } from './credential-cipher.js';

/** The key used for the `simulator` provider(s) when none is configured: the simulator checks nothing. */
export const SIMULATOR_API_KEY = 'sim-key';

/** One key as the cache holds it: the decrypted value, or why it could not be opened. */
export interface CachedCredential {
  provider: string;
  accountId: string | null;
  /** Null when the stored value could not be decrypted (see `problem`). */
  apiKey: string | null;
  problem?: string;
  last4: string;
  source: 'stored' | 'env';
  createdAt: Date | null;
  updatedAt: Date | null;
}

/** What status views show: everything but the key. */
export interface CredentialStatus {
  provider: string;
  scope: 'platform' | 'account';
  accountId: string | null;
  source: 'stored' | 'env';
  last4: string;
  usable: boolean;
  problem: string | null;
  createdAt: string | null;
  updatedAt: string | null;
}

export type KeyResolution = { ok: true; apiKey: string; source: 'stored' | 'env' | 'simulator' | 'byok' } | { ok: false; error: UpstreamError };

/**
 * The in-memory key table the hot path reads (two map lookups, no I/O): platform keys stored through the admin
 * API (which win over the environment), platform keys from `PROVIDER_API_KEY_*`, and accounts' own keys (BYOK).
 */
export class CredentialStore {
  private platformStored = new Map<string, CachedCredential>();
  private readonly platformEnv = new Map<string, CachedCredential>();
  private accounts = new Map<string, Map<string, CachedCredential>>();

  constructor(envKeys: Record<string, string> = {}) {
    for (const [provider, apiKey] of Object.entries(envKeys)) {
      this.platformEnv.set(provider, { provider, accountId: null, apiKey, last4: lastFour(apiKey), source: 'env', createdAt: null, updatedAt: null });
    }
  }

  /** Replaces the whole stored table (platform and accounts). */
  replaceAll(credentials: CachedCredential[]): void {
    const platform = new Map<string, CachedCredential>();
    const accounts = new Map<string, Map<string, CachedCredential>>();
    for (const credential of credentials) {
      if (credential.accountId === null) {
        platform.set(credential.provider, credential);
      } else {
        let keys = accounts.get(credential.accountId);
        if (!keys) accounts.set(credential.accountId, (keys = new Map()));
        keys.set(credential.provider, credential);
      }
    }
    this.platformStored = platform;
    this.accounts = accounts;
  }

  replacePlatform(credentials: CachedCredential[]): void {
    this.platformStored = new Map(credentials.filter((credential) => credential.accountId === null).map((credential) => [credential.provider, credential]));
  }

  replaceAccount(accountId: string, credentials: CachedCredential[]): void {
    const keys = new Map(credentials.filter((credential) => credential.accountId === accountId).map((credential) => [credential.provider, credential]));
    if (keys.size === 0) this.accounts.delete(accountId);
    else this.accounts.set(accountId, keys);
  }

  /** The providers an account has its own key for (what billing's `byokProviders` mirrors). */
  accountProviders(accountId: string): string[] {
    return [...(this.accounts.get(accountId)?.keys() ?? [])].sort();
  }

  /**
   * The key for one attempt. BYOK uses the account's own key and never falls back to the platform's (a missing one
   * is the caller's 401); otherwise the stored platform key, then the environment's, then "sim-key" for simulated
   * providers.
   */
  resolve(providerSlug: string, options: { byok: boolean; accountId: string; simulator: boolean }): KeyResolution {
    if (options.byok) {
      const own = this.accounts.get(options.accountId)?.get(providerSlug);
      if (!own) {
        return { ok: false, error: { status: 401, errorType: 'authentication', retryable: false, phase: 'connect', message: `No key of your own (BYOK) is configured for provider ${providerSlug} on this account` } };
      }
      if (own.apiKey === null) {
        return { ok: false, error: { status: 502, errorType: 'provider_unavailable', retryable: false, phase: 'connect', message: `The account's own key for provider ${providerSlug} cannot be used (${own.problem ?? 'undecryptable'})` } };
      }
      return { ok: true, apiKey: own.apiKey, source: 'byok' };
    }
    const stored = this.platformStored.get(providerSlug);
    if (stored?.apiKey) return { ok: true, apiKey: stored.apiKey, source: 'stored' };
    const fromEnv = this.platformEnv.get(providerSlug);
    if (fromEnv?.apiKey) return { ok: true, apiKey: fromEnv.apiKey, source: 'env' };
    if (options.simulator) return { ok: true, apiKey: SIMULATOR_API_KEY, source: 'simulator' };
    const detail = stored ? ` (the stored key cannot be used: ${stored.problem ?? 'undecryptable'})` : '';
    return { ok: false, error: { status: 502, errorType: 'provider_unavailable', retryable: true, phase: 'connect', message: `no credential configured for ${providerSlug}${detail}` } };
  }

  /** Status of every key (stored and environment), optionally filtered; never the key itself. */
  list(filter: { provider?: string; accountId?: string } = {}): CredentialStatus[] {
    const all: CachedCredential[] = [];
    if (filter.accountId === undefined) {
      all.push(...this.platformStored.values());
      for (const credential of this.platformEnv.values()) all.push(credential);
      for (const keys of this.accounts.values()) all.push(...keys.values());
    } else {
      all.push(...(this.accounts.get(filter.accountId)?.values() ?? []));
    }
    return all
      .filter((credential) => filter.provider === undefined || credential.provider === filter.provider)
      .map(toStatus)
      .sort((a, b) => a.provider.localeCompare(b.provider) || (a.accountId ?? '').localeCompare(b.accountId ?? '') || a.source.localeCompare(b.source));
  }

  get size(): { platform: number; env: number; accounts: number } {
    let accountKeys = 0;
    for (const keys of this.accounts.values()) accountKeys += keys.size;
    return { platform: this.platformStored.size, env: this.platformEnv.size, accounts: accountKeys };
  }
}

function toStatus(credential: CachedCredential): CredentialStatus {
  return {
    provider: credential.provider,
    scope: credential.accountId === null ? 'platform' : 'account',
    accountId: credential.accountId,
    source: credential.source,
    last4: credential.last4,
    usable: credential.apiKey !== null,
    problem: credential.problem ?? null,
    createdAt: credential.createdAt?.toISOString() ?? null,
    updatedAt: credential.updatedAt?.toISOString() ?? null,
  };
}
