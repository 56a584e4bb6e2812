import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Subscription } from '@nats-io/transport-node';
import { type KeyRecord, keysChangedSchema, subjects } from '@switchyard/contracts';
import { MetricsService, NatsService } from '@switchyard/nest-kit';
import type { DataSource, EntityManager } from 'typeorm';
import type { z } from 'zod';
import { CLOCK, type Clock } from '../common/clock.js';
import { inTransaction } from '../common/sql.js';
import { BILLING_CONFIG, type BillingConfig } from '../config/billing.config.js';
import { type BillingAccountRecord, RecordsRepository } from './records.repository.js';

/** A change as listeners see it (published here, or heard from any billing replica). */
export type HeardChange = Pick<z.infer<typeof keysChangedSchema>, 'version' | 'keys' | 'accounts' | 'removedKeyHashes'>;

/** What a transaction changed: the records to announce once it commits. */
export class ChangeSet {
  readonly accountIds = new Set<string>();
  readonly keyIds = new Set<string>();
  /** Keys whose usage changed: announced only when they have a limit (their limitRemaining moved). */
  readonly usageKeyIds = new Set<string>();
  readonly removedKeyHashes = new Set<string>();

  account(id: string): this {
    this.accountIds.add(id);
    return this;
  }

  key(id: string): this {
    this.keyIds.add(id);
    return this;
  }

  keyUsage(id: string): this {
    this.usageKeyIds.add(id);
    return this;
  }

  removedKey(hash: string): this {
    this.removedKeyHashes.add(hash);
    return this;
  }

  get isEmpty(): boolean {
    return this.accountIds.size === 0 && this.keyIds.size === 0 && this.usageKeyIds.size === 0 && this.removedKeyHashes.size === 0;
  }
}

export interface PreparedChange {
  version: number;
  keys: KeyRecord[];
  accounts: BillingAccountRecord[];
  removedKeyHashes: string[];
}

/**
 * The versioned change feed of keys and accounts (`keys-changed`). Every announced change bumps the snapshot
 * version inside its own transaction (under the version row's lock, taken last), so versions are consecutive and
 * in commit order across billing replicas; the records are read inside the same transaction. After commit the
 * change is published in version order; a version this replica does not hold (another replica's) is waited for
 * briefly, then skipped (ingress refetches the snapshot on a gap).
 */
@Injectable()
export class ChangeFeed implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('ChangeFeed');
  private lastPublished = 0;
  private readonly pending = new Map<number, PreparedChange>();
  private readonly heardVersions = new Set<number>();
  private gapTimer: NodeJS.Timeout | undefined;
  private subscription: Subscription | undefined;
  private readonly listeners = new Set<(change: HeardChange) => void>();
  private readonly publishedCounter;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly records: RecordsRepository,
    private readonly nats: NatsService,
    @Inject(BILLING_CONFIG) private readonly config: BillingConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    metrics: MetricsService,
  ) {
    this.publishedCounter = metrics.counter({ name: 'switchyard_billing_keys_changed_total', help: 'keys-changed events published' });
  }

  async onModuleInit(): Promise<void> {
    this.lastPublished = await this.records.currentVersion();
  }

  onApplicationBootstrap(): void {
    this.subscription = this.nats.subscribe(subjects.billing.keysChanged, (data) => this.heard(data));
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
    if (this.gapTimer) clearTimeout(this.gapTimer);
    this.flushAll();
  }

  /**
   * Called with every change: at once when this replica commits one, and again when any replica's keys-changed is
   * heard (listeners must be idempotent).
   */
  onChange(listener: (change: HeardChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Runs `work` in a transaction (retried on deadlocks); what it records in the ChangeSet is announced after the
   * commit with the records as they were at commit.
   */
  async transact<T>(work: (manager: EntityManager, changes: ChangeSet) => Promise<T>): Promise<T> {
    let prepared: PreparedChange | undefined;
    const result = await inTransaction(this.dataSource, async (manager) => {
      const changes = new ChangeSet();
      const value = await work(manager, changes);
      prepared = changes.isEmpty ? undefined : await this.prepare(manager, changes);
      return value;
    });
    if (prepared) this.publish(prepared);
    return result;
  }

  /** Reads the changed records and takes the next version (call last in the transaction). */
  async prepare(manager: EntityManager, changes: ChangeSet): Promise<PreparedChange> {
    const now = this.clock.now();
    const keyIds = new Set([...changes.keyIds, ...changes.usageKeyIds]);
    const keyRows = keyIds.size === 0 ? [] : await this.records.keyRows(manager, { ids: [...keyIds] });
    const announced = keyRows.filter((row) => changes.keyIds.has(row.id) || row.limit !== null);
    const keys = await this.records.keyRecords(manager, announced, now);
    const accounts = await this.records.accountRecords(manager, [...changes.accountIds], now);
    const version = await this.records.nextVersion(manager);
    return { version, keys, accounts, removedKeyHashes: [...changes.removedKeyHashes] };
  }

  /** Publishes a committed change, keeping version order. */
  publish(change: PreparedChange): void {
    this.notify(change);
    if (change.version <= this.lastPublished) {
      this.emit(change); // late (after a gap was skipped): still useful to caches that refetched an older snapshot
      return;
    }
    this.pending.set(change.version, change);
    this.drain();
  }

  private drain(): void {
    for (;;) {
      const next = this.lastPublished + 1;
      const change = this.pending.get(next);
      if (change) {
        this.pending.delete(next);
        this.emit(change);
      } else if (this.heardVersions.has(next)) {
        this.heardVersions.delete(next);
      } else {
        break;
      }
      this.lastPublished = next;
    }
    if (this.pending.size === 0) {
      if (this.gapTimer) clearTimeout(this.gapTimer);
      this.gapTimer = undefined;
    } else if (!this.gapTimer) {
      this.gapTimer = setTimeout(() => {
        this.gapTimer = undefined;
        this.flushAll();
      }, this.config.KEYS_CHANGED_GAP_WAIT_MS);
      this.gapTimer.unref();
    }
  }

  /** Publishes everything pending in order, skipping versions that never arrived. */
  private flushAll(): void {
    const versions = [...this.pending.keys()].sort((a, b) => a - b);
    for (const version of versions) {
      this.emit(this.pending.get(version)!);
      this.pending.delete(version);
      this.lastPublished = Math.max(this.lastPublished, version);
    }
    for (const version of this.heardVersions) if (version <= this.lastPublished) this.heardVersions.delete(version);
  }

  private emit(change: PreparedChange): void {
    try {
      this.nats.publish(subjects.billing.keysChanged, change);
      this.publishedCounter.inc();
    } catch (error) {
      // NATS down: caches fall back to their periodic snapshot refresh.
      this.logger.warn(`could not publish keys-changed v${change.version}: ${(error as Error).message}`);
    }
  }

  private heard(data: unknown): void {
    const parsed = keysChangedSchema.safeParse(data);
    if (!parsed.success) return;
    const change = parsed.data;
    if (change.version > this.lastPublished && !this.pending.has(change.version)) {
      this.heardVersions.add(change.version);
      this.drain();
    }
    this.notify(change);
  }

  private notify(change: HeardChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (error) {
        this.logger.warn(`keys-changed listener failed: ${(error as Error).message}`);
      }
    }
  }
}
