import { Logger } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import type { z } from 'zod';
import type { HealthRegistry } from '../admin/health.registry.js';
import type { NatsService } from '../nats/nats.service.js';
import { mergeSnapshotPages } from './snapshot-pages.js';

export interface SnapshotCacheOptions<T> {
  name: string;
  /** RPC that replies with the full snapshot. */
  snapshotSubject: string;
  /** Broadcast event announcing a change. */
  changedSubject: string;
  schema: z.ZodType<T>;
  version: (value: T) => number;
  /**
   * Applies a change event to the current value: returns the new value, `'refetch'` when a full snapshot is needed
   * (a version gap, or events that only announce), or `'ignore'` for stale events.
   */
  apply: (current: T, event: unknown) => T | 'refetch' | 'ignore';
  /** Safety-net full refresh, ms (events are the primary path). */
  refreshIntervalMs?: number;
  /** Snapshot RPC timeout, ms. */
  timeoutMs?: number;
  /**
   * The snapshot's paged fields (arrays or records) when its owner may answer in pages (a snapshot larger than one
   * NATS message, see snapshot-pages.ts): the pages are collected and put back together before the schema reads them.
   */
  pagedFields?: readonly string[];
}

/**
 * A versioned in-memory copy of another service's data (catalog, routing table, keys), kept fresh by NATS events,
 * with a full snapshot on start, after every reconnect, on a version gap and periodically as a safety net. If the
 * owner is down, the last good value keeps serving: the hot path never waits on it.
 */
export class SnapshotCache<T> {
  private readonly logger: Logger;
  private current: T | undefined;
  private subscription: Subscription | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private fetching: Promise<void> | undefined;
  /** A change was announced while a fetch was in flight: its reply may predate the change, so fetch again. */
  private refetchRequested = false;
  private stopped = false;
  private readonly listeners = new Set<(value: T) => void>();
  private readyResolve!: () => void;
  readonly ready: Promise<void>;
  lastUpdatedAt = 0;

  constructor(
    private readonly nats: NatsService,
    private readonly options: SnapshotCacheOptions<T>,
    health?: HealthRegistry,
  ) {
    this.logger = new Logger(`Cache:${options.name}`);
    this.ready = new Promise((resolve) => (this.readyResolve = resolve));
    health?.register(`cache:${options.name}`, () => ({ ok: this.current !== undefined, detail: this.current === undefined ? 'no snapshot yet' : { version: this.options.version(this.current) } }));
  }

  get value(): T | undefined {
    return this.current;
  }

  get version(): number {
    return this.current === undefined ? -1 : this.options.version(this.current);
  }

  onChange(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Subscribes to changes and fetches the first snapshot (retrying in the background until it arrives). */
  start(): void {
    this.subscription = this.nats.subscribe(this.options.changedSubject, (event) => this.handleEvent(event));
    this.nats.onReconnect(() => void this.refresh());
    void this.refresh();
    const interval = this.options.refreshIntervalMs ?? 30_000;
    this.refreshTimer = setInterval(() => void this.refresh(), interval);
    this.refreshTimer.unref();
  }

  /** Replaces the value if it is newer (or equal: a refetch of the same version is harmless). */
  set(value: T): void {
    if (this.current !== undefined && this.options.version(value) < this.options.version(this.current)) return;
    this.current = value;
    this.lastUpdatedAt = Date.now();
    this.readyResolve();
    for (const listener of this.listeners) listener(value);
  }

  private handleEvent(event: unknown): void {
    if (this.current === undefined) {
      void this.refresh();
      return;
    }
    let outcome: T | 'refetch' | 'ignore';
    try {
      outcome = this.options.apply(this.current, event);
    } catch (error) {
      this.logger.warn(`could not apply a change event (${(error as Error).message}); fetching a snapshot`);
      outcome = 'refetch';
    }
    if (outcome === 'refetch') void this.refresh();
    else if (outcome !== 'ignore') this.set(outcome);
  }

  /** Fetches a full snapshot now (coalesced); keeps the old value on failure and retries soon. */
  refresh(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.fetching) {
      this.refetchRequested = true;
      return this.fetching;
    }
    this.fetching = (async () => {
      try {
        const timeoutMs = this.options.timeoutMs ?? 5_000;
        const fields = this.options.pagedFields;
        const raw = fields
          ? mergeSnapshotPages(await this.nats.requestAll<Record<string, unknown>>(this.options.snapshotSubject, {}, { timeoutMs }), fields)
          : await this.nats.request<unknown>(this.options.snapshotSubject, {}, { timeoutMs });
        this.set(this.options.schema.parse(raw));
      } catch (error) {
        const message = (error as Error).message;
        if (this.current === undefined) this.logger.warn(`snapshot unavailable (${message}); retrying`);
        else this.logger.debug(`refresh failed (${message}); serving version ${this.version}`);
        if (!this.stopped) setTimeout(() => void this.refresh(), this.current === undefined ? 500 : 5_000).unref();
      } finally {
        this.fetching = undefined;
        if (this.refetchRequested) {
          this.refetchRequested = false;
          void this.refresh();
        }
      }
    })();
    return this.fetching;
  }

  stop(): void {
    this.stopped = true;
    this.subscription?.unsubscribe();
    if (this.refreshTimer) clearInterval(this.refreshTimer);
  }
}
