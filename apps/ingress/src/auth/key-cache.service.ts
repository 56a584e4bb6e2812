import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { keysChangedSchema, keySnapshotSchema, subjects, type AccountRecord, type KeyRecord, type KeySnapshot } from '@switchyard/contracts';
import { HealthRegistry, NatsService, SnapshotCache } from '@switchyard/nest-kit';

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
 * working on every replica as soon as the delta arrives.
 */
@Injectable()
export class KeyCacheService implements OnModuleInit, OnApplicationShutdown {
  private readonly cache: SnapshotCache<KeyTable>;
  private readonly accountListeners = new Set<(account: AccountRecord) => void>();

  constructor(nats: NatsService, health: HealthRegistry) {
    this.cache = new SnapshotCache<KeyTable>(
      nats,
      {
        name: 'keys',
        snapshotSubject: subjects.billing.keySnapshot,
        changedSubject: subjects.billing.keysChanged,
        schema: keySnapshotSchema.transform(tableFrom),
        version: (table) => table.version,
        apply: (current, event) => {
          const change = keysChangedSchema.parse(event);
          if (change.version <= current.version) return 'ignore';
          if (change.version !== current.version + 1) return 'refetch';
          const next: KeyTable = { version: change.version, keys: current.keys, accounts: current.accounts };
          for (const key of change.keys) next.keys.set(key.hash, key);
          for (const hash of change.removedKeyHashes) next.keys.delete(hash);
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

  account(accountId: string): AccountRecord | undefined {
    return this.cache.value?.accounts.get(accountId);
  }

  onAccountChange(listener: (account: AccountRecord) => void): void {
    this.accountListeners.add(listener);
  }
}
