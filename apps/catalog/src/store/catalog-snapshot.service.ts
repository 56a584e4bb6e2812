import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { type CatalogChanged, catalogChangedSchema, subjects } from '@switchyard/contracts';
import type { CatalogSnapshot } from '@switchyard/llm-spec';
import { HealthRegistry, MetricsService, NatsService } from '@switchyard/nest-kit';
import type { Subscription } from '@nats-io/transport-node';
import { CATALOG_CONFIG, type CatalogConfig } from '../config/catalog.config.js';
import type { ChangeEntry } from './catalog-records.js';
import { CatalogRepository } from './catalog.repository.js';
import { buildSnapshot } from './snapshot-builder.js';

/** A change event names at most this many records; a bigger change (an import) adds one summary entry instead. */
const MAX_EVENT_ENTRIES = 500;

/**
 * The in-memory catalog snapshot: built from Postgres at start and after every change, served to the snapshot
 * RPC without touching the database. Every change is announced on `catalog.changed` after the new snapshot is in
 * place. Other replicas hear the same event and reload; a periodic version check covers a missed event.
 */
@Injectable()
export class CatalogSnapshotService implements OnApplicationShutdown {
  private readonly logger = new Logger('CatalogSnapshot');
  private snapshot: CatalogSnapshot | undefined;
  private reloading: Promise<void> | undefined;
  private reloadAgain = false;
  /** The newest version this replica has heard of (its own changes, events, version checks). */
  private knownVersion = -1;
  private subscription: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readyResolve!: () => void;
  readonly ready: Promise<void> = new Promise((resolve) => (this.readyResolve = resolve));
  private readonly versionGauge;
  private readonly reloadDuration;
  private readonly changesCounter;
  private readonly sizeGauge;

  constructor(
    private readonly repository: CatalogRepository,
    private readonly nats: NatsService,
    @Inject(CATALOG_CONFIG) private readonly config: CatalogConfig,
    health: HealthRegistry,
    metrics: MetricsService,
  ) {
    health.register('catalog-snapshot', () => ({ ok: this.snapshot !== undefined, detail: this.snapshot ? { version: this.snapshot.version } : 'not loaded' }));
    this.versionGauge = metrics.gauge({ name: 'switchyard_catalog_version', help: 'Catalog version of the in-memory snapshot' });
    this.reloadDuration = metrics.histogram({ name: 'switchyard_catalog_snapshot_reload_seconds', help: 'Time to rebuild the catalog snapshot from Postgres', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });
    this.sizeGauge = metrics.gauge({ name: 'switchyard_catalog_snapshot_bytes', help: 'Size of the catalog snapshot reply (JSON), bytes' });
    this.changesCounter = metrics.counter<'source'>({ name: 'switchyard_catalog_changes_total', help: 'Catalog versions written by this replica', labelNames: ['source'] });
  }

  /** Loads the first snapshot and starts listening for other replicas' changes. */
  async start(): Promise<void> {
    this.subscription = this.nats.subscribe(subjects.catalog.changed, (data) => this.onChangedEvent(data));
    this.nats.onReconnect(() => void this.checkVersion());
    await this.reload();
    this.timer = setInterval(() => void this.checkVersion(), this.config.CATALOG_VERSION_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  /** The current snapshot (after `ready`). */
  current(): CatalogSnapshot {
    if (!this.snapshot) throw new Error('catalog snapshot not loaded yet');
    return this.snapshot;
  }

  get version(): number {
    return this.snapshot?.version ?? -1;
  }

  /**
   * The snapshot to serve: waits (bounded) for a reload in progress when this replica knows a newer version
   * exists, so a cache refetching on an event does not get the version it already has.
   */
  async forRequest(): Promise<CatalogSnapshot> {
    await this.ready;
    if (this.reloading && this.knownVersion > this.version) {
      await Promise.race([this.reloading, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    }
    return this.current();
  }

  /** Rebuilds the snapshot from Postgres (coalesced: a reload requested during one runs once more after it). */
  reload(): Promise<void> {
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      try {
        do {
          this.reloadAgain = false;
          const stop = this.reloadDuration.startTimer();
          const contents = await this.repository.load();
          const snapshot = buildSnapshot(contents);
          stop();
          if (!this.snapshot || snapshot.version >= this.snapshot.version) {
            // Past one NATS message the snapshot travels in pages (SnapshotHandler); the gauge shows how large it is.
            this.sizeGauge.set(Buffer.byteLength(JSON.stringify(snapshot)));
            this.snapshot = snapshot;
            this.knownVersion = Math.max(this.knownVersion, snapshot.version);
            this.versionGauge.set(snapshot.version);
            this.readyResolve();
          }
        } while (this.reloadAgain);
      } finally {
        this.reloading = undefined;
      }
    })();
    return this.reloading;
  }

  /** After a committed change: new snapshot in memory first, then the event (caches refetch from a fresh replica). */
  async changed(version: number, source: string, changes: ChangeEntry[]): Promise<void> {
    this.knownVersion = Math.max(this.knownVersion, version);
    this.changesCounter.inc({ source });
    try {
      await this.reload();
    } catch (error) {
      this.logger.error(`reload after version ${version} failed: ${(error as Error).message}`);
    }
    const entries = changes.slice(0, MAX_EVENT_ENTRIES).map(({ kind, id, action }) => ({ kind, id, action }));
    if (changes.length > MAX_EVENT_ENTRIES) entries.push({ kind: 'import', id: `${changes.length - MAX_EVENT_ENTRIES} more`, action: 'updated' });
    const event: CatalogChanged = { version, at: new Date().toISOString(), changes: entries };
    try {
      this.nats.publish(subjects.catalog.changed, event);
    } catch (error) {
      // the change is committed; caches catch up on their periodic refresh and replicas on their version check
      this.logger.error(`could not announce catalog version ${version}: ${(error as Error).message}`);
    }
  }

  private onChangedEvent(data: unknown): void {
    const parsed = catalogChangedSchema.safeParse(data);
    if (!parsed.success) {
      this.logger.warn('ignored a malformed catalog.changed event');
      return;
    }
    if (parsed.data.version <= this.version) return;
    this.knownVersion = Math.max(this.knownVersion, parsed.data.version);
    this.reload().catch((error: unknown) => this.logger.error(`reload after event ${parsed.data.version} failed: ${(error as Error).message}`));
  }

  private async checkVersion(): Promise<void> {
    try {
      const stored = await this.repository.version();
      if (stored !== this.version) {
        this.knownVersion = Math.max(this.knownVersion, stored);
        await this.reload();
      }
    } catch (error) {
      this.logger.warn(`version check failed: ${(error as Error).message}`);
    }
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    try {
      this.subscription?.unsubscribe();
    } catch {
      // the connection may already be draining
    }
  }
}
