import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { keyLookupReplySchema, keysChangedSchema, keySnapshotPagedArrays, keySnapshotSchema, subjects, type AccountRecord, type KeyRecord, type KeySnapshot } from '@switchyard/contracts';
import { HealthRegistry, NatsService, SnapshotCache } from '@switchyard/nest-kit';
import { INGRESS_CONFIG, type IngressConfig } from '../config/ingress.config.js';

/** How long a key billing does not have either is answered 401 without asking again, ms. */
const UNKNOWN_KEY_MEMORY_MS = 2_000;
/** Remembered unknown keys at most (a flood of made-up keys clears the memory rather than growing it). */
const UNKNOWN_KEY_MEMORY_LIMIT = 10_000;

interface KeyTable {
  version: number;
  keys: Map<string, KeyRecord>;
  accounts: Map<string, AccountRecord>;
}

function tableFrom(snapshot: KeySnapshot): KeyTable {
  return {
    version: snapshot.version,
    keys: new Map(snapshot.keys.map((key) => [key.hash, key])),
    accounts: new Map(snapshot.accounts.map((account) => [account.accountId, account])),
  };
}

/**
 * Every API key (by SHA-256 hash) and account in memory: a full snapshot from billing, then `keys-changed`
 * deltas applied in version order (a gap refetches). Authentication is a map lookup; a disabled key stops
 * working on every replica as soon as the delta arrives. A key the table does not hold yet (created a moment
 * ago, its delta still on the way) is looked up in billing once, off the hot path of known keys.
 */
@Injectable()
export class KeyCacheService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Keys');
  private readonly cache: SnapshotCache<KeyTable>;
  private readonly accountListeners = new Set<(account: AccountRecord) => void>();
  private readonly removedKeyListeners = new Set<(key: KeyRecord) => void>();
  private readonly lookups = new Map<string, Promise<KeyRecord | undefined>>();
  private readonly unknownUntil = new Map<string, number>();
  private lookupWindowStartedAt = 0;
  private lookupsInWindow = 0;

  constructor(
    private readonly nats: NatsService,
    health: HealthRegistry,
    @Inject(INGRESS_CONFIG) private readonly config: Pick<IngressConfig, 'KEY_LOOKUPS_PER_SECOND' | 'KEY_LOOKUP_TIMEOUT_MS'>,
  ) {
    this.cache = new SnapshotCache<KeyTable>(
      this.nats,
      {
        name: 'keys',
        snapshotSubject: subjects.billing.keySnapshot,
        changedSubject: subjects.billing.keysChanged,
        schema: keySnapshotSchema.transform(tableFrom),
        // Billing answers in pages past one NATS message (thousands of keys).
        pagedFields: keySnapshotPagedArrays,
        version: (table) => table.version,
        apply: (current, event) => {
          const change = keysChangedSchema.parse(event);
          if (change.version <= current.version) return 'ignore';
          if (change.version !== current.version + 1) return 'refetch';
          const next: KeyTable = { version: change.version, keys: current.keys, accounts: current.accounts };
          for (const key of change.keys) next.keys.set(key.hash, key);
          for (const hash of change.removedKeyHashes) {
            const removed = next.keys.get(hash);
            next.keys.delete(hash);
            if (removed) for (const listener of this.removedKeyListeners) listener(removed);
          }
          for (const account of change.accounts) {
            next.accounts.set(account.accountId, account);
            for (const listener of this.accountListeners) listener(account);
          }
          return next;
        },
        refreshIntervalMs: 60_000,
      },
      health,
    );
  }

  onModuleInit(): void {
    this.cache.start();
  }

  onApplicationShutdown(): void {
    this.cache.stop();
  }

  get ready(): boolean {
    return this.cache.value !== undefined;
  }

  key(hash: string): KeyRecord | undefined {
    return this.cache.value?.keys.get(hash);
  }

  /** The keys of an account this replica holds. */
  keysOf(accountId: string): KeyRecord[] {
    const keys: KeyRecord[] = [];
    for (const key of this.cache.value?.keys.values() ?? []) if (key.accountId === accountId) keys.push(key);
    return keys;
  }

  /** Calls `listener` with each key a `keys-changed` delta removes (deleted in billing). */
  onKeyRemoved(listener: (key: KeyRecord) => void): void {
    this.removedKeyListeners.add(listener);
  }

  /**
   * A key the table does not hold (the caller looked there first), asked of billing: coalesced per hash, at most KEY_LOOKUPS_PER_SECOND a second,
   * a key billing does not have either remembered as unknown for two seconds. The answer joins the table only if
   * it is newer than the table (a delta applied meanwhile wins), and the table's version stays put, so later
   * deltas (a disable, a deletion) still apply. Billing unreachable or over the rate: undefined (401, as without
   * the lookup).
   */
  lookUp(hash: string): Promise<KeyRecord | undefined> {
    if (!this.cache.value) return Promise.resolve(undefined);
    const pending = this.lookups.get(hash);
    if (pending) return pending;
    const now = Date.now();
    const unknownUntil = this.unknownUntil.get(hash);
    if (unknownUntil !== undefined) {
      if (unknownUntil > now) return Promise.resolve(undefined);
      this.unknownUntil.delete(hash);
    }
    if (now - this.lookupWindowStartedAt >= 1_000) {
      this.lookupWindowStartedAt = now;
      this.lookupsInWindow = 0;
    }
    if (this.lookupsInWindow >= this.config.KEY_LOOKUPS_PER_SECOND) return Promise.resolve(undefined);
    this.lookupsInWindow++;
    const lookup = this.ask(hash).finally(() => this.lookups.delete(hash));
    this.lookups.set(hash, lookup);
    return lookup;
  }

  private async ask(hash: string): Promise<KeyRecord | undefined> {
    let reply;
    try {
      reply = keyLookupReplySchema.parse(await this.nats.request(subjects.billing.keyLookup, { hash }, { timeoutMs: this.config.KEY_LOOKUP_TIMEOUT_MS }));
    } catch (error) {
      this.logger.debug(`key lookup failed (${(error as Error).message}); the key stays unknown`);
      return this.cache.value?.keys.get(hash);
    }
    const table = this.cache.value;
    if (!table) return undefined;
    if (reply.key && reply.account && reply.version > table.version) {
      table.keys.set(hash, reply.key);
      table.accounts.set(reply.account.accountId, reply.account);
      for (const listener of this.accountListeners) listener(reply.account);
    }
    const key = table.keys.get(hash);
    if (!key) this.rememberUnknown(hash);
    return key;
  }

  private rememberUnknown(hash: string): void {
    if (this.unknownUntil.size >= UNKNOWN_KEY_MEMORY_LIMIT) this.unknownUntil.clear();
    this.unknownUntil.set(hash, Date.now() + UNKNOWN_KEY_MEMORY_MS);
  }

  account(accountId: string): AccountRecord | undefined {
    return this.cache.value?.accounts.get(accountId);
  }

  onAccountChange(listener: (account: AccountRecord) => void): void {
    this.accountListeners.add(listener);
  }
}
