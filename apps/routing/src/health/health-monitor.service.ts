import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { attemptCompletedSchema, NotFoundError, ServiceUnavailableError, subjects } from '@switchyard/contracts';
import type { CircuitState, EndpointHealth } from '@switchyard/llm-spec';
import { HealthRegistry, MetricsService, NatsService } from '@switchyard/nest-kit';
import { CatalogService } from '../catalog/catalog.service.js';
import { CLOCK, type Clock } from '../clock.js';
import { ROUTING_CONFIG, type RoutingConfig } from '../config/routing.config.js';
import { DrainRepository } from './drain.repository.js';
import { type EndpointDetails, HealthMonitor, type ProbeResult, type RecordOutcome, type StateChange } from './health-monitor.js';
import { StatsSnapshotRepository } from './stats-snapshot.repository.js';

/** How often endpoints that left the catalog are checked for being forgettable. */
const PRUNE_INTERVAL_MS = 60_000;

/** `switchyard_endpoint_state` values. */
const STATE_VALUE: Readonly<Record<CircuitState, number>> = { closed: 0, 'half-open': 1, open: 2, drained: 3 };

export type ChangeReason = 'attempt' | 'breaker' | 'drain';

/** An endpoint's details with its catalog identity (null fields when it is not in the catalog). */
export type EndpointDescription = EndpointDetails & { modelId: string | null; providerSlug: string | null; tag: string | null; inCatalog: boolean };

type Gauge = ReturnType<MetricsService['gauge']>;
type Counter = ReturnType<MetricsService['counter']>;

/**
 * The health monitor inside Nest: consumes every `attemptCompleted` event (core NATS, no queue group, so every
 * replica sees every event and holds the same view), ticks the breakers, follows drains in Postgres, saves and
 * restores the stats snapshot, keeps the metrics, and tells listeners (the routing-table publisher) when a
 * published field changed.
 */
@Injectable()
export class HealthMonitorService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('HealthMonitor');
  readonly monitor: HealthMonitor;
  private readonly listeners = new Set<(reason: ChangeReason) => void>();
  private subscription: Subscription | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private snapshotTimer: NodeJS.Timeout | undefined;
  private drainSyncTimer: NodeJS.Timeout | undefined;
  private drainListener: { stop: () => Promise<void> } | undefined;
  private saving: Promise<void> | undefined;
  private drainReload: Promise<void> | undefined;
  private drainReloadAgain = false;
  private restored = false;
  private lastPrunedAt = 0;

  private readonly stateGauge: Gauge;
  private readonly uptimeGauge: Gauge;
  private readonly transitions: Counter;
  private readonly events: Counter;
  private readonly trackedGauge: Gauge;

  constructor(
    @Inject(ROUTING_CONFIG) private readonly config: RoutingConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly nats: NatsService,
    private readonly catalog: CatalogService,
    private readonly drains: DrainRepository,
    private readonly snapshots: StatsSnapshotRepository,
    metrics: MetricsService,
    health: HealthRegistry,
  ) {
    this.monitor = new HealthMonitor(
      {
        breaker: {
          windowMs: config.BREAKER_WINDOW_MS,
          minFailures: config.BREAKER_MIN_FAILURES,
          errorRate: config.BREAKER_ERROR_RATE,
          consecutiveFailures: config.BREAKER_CONSECUTIVE_FAILURES,
          coolDownMs: config.BREAKER_COOL_DOWN_MS,
          maxCoolDownMs: config.BREAKER_MAX_COOL_DOWN_MS,
          halfOpenSuccesses: config.BREAKER_HALF_OPEN_SUCCESSES,
        },
        weight: { degraded: config.WEIGHT_DEGRADED, degradedErrorRate: config.WEIGHT_DEGRADED_ERROR_RATE, minSamples: config.WEIGHT_MIN_SAMPLES },
        maxTrackedEndpoints: config.MAX_TRACKED_ENDPOINTS,
      },
      clock,
    );
    this.stateGauge = metrics.gauge({ name: 'switchyard_endpoint_state', help: 'Endpoint state: 0 closed, 1 half-open, 2 open, 3 drained', labelNames: ['endpoint'] });
    this.uptimeGauge = metrics.gauge({ name: 'switchyard_endpoint_uptime_percent', help: 'Endpoint uptime over a rolling window, %', labelNames: ['endpoint', 'window'] });
    this.transitions = metrics.counter({ name: 'switchyard_breaker_transitions_total', help: 'Circuit breaker and drain transitions', labelNames: ['endpoint', 'from', 'to'] });
    this.events = metrics.counter({
      name: 'switchyard_attempt_events_total',
      help: 'attemptCompleted events processed, by how they counted (success, failure, neutral, probe, stale, duplicate, dropped, invalid)',
      labelNames: ['result'],
    });
    this.trackedGauge = metrics.gauge({ name: 'switchyard_tracked_endpoints', help: 'Endpoints with a health record' });
    health.register('health-monitor', () => ({ ok: this.restored && this.subscription !== undefined, detail: { trackedEndpoints: this.monitor.size } }));
  }

  async onModuleInit(): Promise<void> {
    await this.restoreSnapshot();
    await this.reloadDrains().catch((error: unknown) => this.logger.warn(`could not load drains (${(error as Error).message}); the listener retries`));
    this.subscription = this.nats.subscribe(subjects.providers.attemptCompleted, (data) => this.handleEvent(data));
    this.tickTimer = setInterval(() => this.tick(), this.config.BREAKER_TICK_MS);
    this.tickTimer.unref();
    this.snapshotTimer = setInterval(() => void this.saveSnapshot(), this.config.STATS_SNAPSHOT_INTERVAL_MS);
    this.snapshotTimer.unref();
    this.drainSyncTimer = setInterval(() => void this.reloadDrains().catch(() => undefined), this.config.DRAIN_SYNC_INTERVAL_MS);
    this.drainSyncTimer.unref();
    this.drainListener = this.drains.listen(() => void this.reloadDrains().catch((error: unknown) => this.logger.warn(`drain reload failed: ${(error as Error).message}`)));
  }

  async onModuleDestroy(): Promise<void> {
    for (const timer of [this.tickTimer, this.snapshotTimer, this.drainSyncTimer]) if (timer) clearInterval(timer);
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    await this.drainListener?.stop();
    await this.saveSnapshot();
  }

  /** Registers a listener for changes of published fields (state, lastFailureAt, retryAfterUntil). */
  onChange(listener: (reason: ChangeReason) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emitChange(reason: ChangeReason): void {
    for (const listener of this.listeners) {
      try {
        listener(reason);
      } catch (error) {
        this.logger.error(`change listener failed: ${(error as Error).message}`);
      }
    }
  }

  /** One `attemptCompleted` message. Never throws: a malformed event is counted and dropped. */
  handleEvent(data: unknown): RecordOutcome | undefined {
    const parsed = attemptCompletedSchema.safeParse(data);
    if (!parsed.success) {
      this.events.inc({ result: 'invalid' });
      this.logger.debug(`dropped a malformed attemptCompleted event: ${parsed.error.issues[0]?.message}`);
      return undefined;
    }
    const outcome = this.monitor.record(parsed.data);
    this.afterRecord(outcome);
    return outcome;
  }

  /** The outcome of a probe this replica sent. */
  recordProbe(endpointId: string, attemptId: string, result: ProbeResult): RecordOutcome {
    const outcome = this.monitor.recordProbe(endpointId, attemptId, result);
    this.afterRecord(outcome);
    return outcome;
  }

  private afterRecord(outcome: RecordOutcome): void {
    this.events.inc({ result: outcome.status !== 'applied' ? outcome.status : outcome.probe ? 'probe' : outcome.classification });
    if (outcome.transition) this.noteTransition(outcome.transition);
    if (outcome.changed) this.emitChange(outcome.transition ? 'breaker' : 'attempt');
  }

  /** Open breakers whose cool-down is over turn half-open. */
  tick(): void {
    const changes = this.monitor.tick();
    if (changes.length === 0) return;
    let publicChange = false;
    for (const change of changes) {
      this.noteTransition(change);
      if (this.monitor.isPublicChange(change)) publicChange = true;
    }
    if (publicChange) this.emitChange('breaker');
  }

  private noteTransition(change: StateChange): void {
    this.transitions.inc({ endpoint: change.endpointId, from: change.from, to: change.to });
    this.stateGauge.set({ endpoint: change.endpointId }, STATE_VALUE[this.monitor.state(change.endpointId)]);
    const message = `${change.endpointId}: ${change.from} → ${change.to} (${change.cause})`;
    if (change.to === 'open' || change.to === 'drained') this.logger.warn(message);
    else this.logger.log(message);
  }

  /**
   * The table entries: every endpoint of the catalog and every endpoint the monitor knows, default ones left out.
   * Refreshes the state and uptime gauges and forgets endpoints that left the catalog and have nothing to say.
   */
  tableEntries(): Record<string, EndpointHealth> {
    const catalogIds = [...this.catalog.endpointIds()];
    const now = this.clock.now();
    if (this.catalog.current() && now - this.lastPrunedAt >= PRUNE_INTERVAL_MS) {
      this.lastPrunedAt = now;
      this.monitor.prune((endpointId) => this.catalog.hasEndpoint(endpointId));
    }
    const entries = this.monitor.tableEntries(catalogIds);
    this.refreshGauges(catalogIds, entries);
    return entries;
  }

  private refreshGauges(catalogIds: readonly string[], entries: Record<string, EndpointHealth>): void {
    this.stateGauge.reset();
    this.uptimeGauge.reset();
    for (const endpointId of new Set([...catalogIds, ...Object.keys(entries)])) {
      const health = entries[endpointId];
      this.stateGauge.set({ endpoint: endpointId }, STATE_VALUE[health?.state ?? 'closed']);
      if (!health) continue;
      if (health.uptime5m !== null) this.uptimeGauge.set({ endpoint: endpointId, window: '5m' }, health.uptime5m);
      if (health.uptime30m !== null) this.uptimeGauge.set({ endpoint: endpointId, window: '30m' }, health.uptime30m);
      if (health.uptime1d !== null) this.uptimeGauge.set({ endpoint: endpointId, window: '1d' }, health.uptime1d);
    }
    this.trackedGauge.set(this.monitor.size);
  }

  /** Every endpoint (catalog ∪ known), sorted, with its full details. */
  allDetails(): EndpointDescription[] {
    const ids = this.monitor.knownEndpointIds();
    for (const id of this.catalog.endpointIds()) ids.add(id);
    const now = this.clock.now();
    return [...ids].sort().map((endpointId) => this.describe(endpointId, now));
  }

  describe(endpointId: string, now = this.clock.now()): EndpointDescription {
    const endpoint = this.catalog.endpoint(endpointId);
    return {
      ...this.monitor.details(endpointId, now),
      modelId: endpoint?.modelId ?? null,
      providerSlug: endpoint?.providerSlug ?? null,
      tag: endpoint?.tag ?? null,
      inCatalog: endpoint !== undefined,
    };
  }

  /**
   * Drains an endpoint: persisted, then applied here by re-reading the drains after the commit (a reload already
   * in flight could hold the set from before it), and on every other replica through the Postgres notification.
   */
  async drain(endpointId: string, reason: string | null): Promise<EndpointDescription> {
    this.assertKnown(endpointId);
    await this.drains.drain(endpointId, reason);
    await this.reloadDrains();
    return this.describe(endpointId);
  }

  async undrain(endpointId: string): Promise<EndpointDescription> {
    if (!this.monitor.drainOf(endpointId)) this.assertKnown(endpointId);
    await this.drains.undrain(endpointId);
    await this.reloadDrains();
    return this.describe(endpointId);
  }

  /** An endpoint of the catalog, or one the monitor has seen: anything else is a 404. */
  private assertKnown(endpointId: string): void {
    if (this.catalog.hasEndpoint(endpointId) || this.monitor.has(endpointId)) return;
    if (!this.catalog.current()) throw new ServiceUnavailableError('The catalog has not been loaded yet; retry shortly', { endpoint_id: endpointId });
    throw new NotFoundError(`Endpoint ${endpointId} not found`, { endpoint_id: endpointId });
  }

  /**
   * Reloads drains from Postgres and applies the difference. Coalesced: one reload at a time; a call during a
   * reload queues one more pass and resolves after it, so the caller's view includes everything committed before
   * its call.
   */
  reloadDrains(): Promise<void> {
    if (this.drainReload) {
      this.drainReloadAgain = true;
      return this.drainReload;
    }
    this.drainReload = (async () => {
      try {
        do {
          this.drainReloadAgain = false;
          const drains = await this.drains.list();
          const changes = this.monitor.applyDrains(drains);
          for (const change of changes) this.noteTransition(change);
          if (changes.length > 0) this.emitChange('drain');
        } while (this.drainReloadAgain);
      } finally {
        this.drainReload = undefined;
      }
    })();
    return this.drainReload;
  }

  private async restoreSnapshot(): Promise<void> {
    try {
      const rows = await this.snapshots.loadAll();
      const restored = this.monitor.restore(rows);
      if (restored > 0) this.logger.log(`restored the health of ${restored} endpoints from the last snapshot`);
    } catch (error) {
      this.logger.warn(`could not restore the stats snapshot (${(error as Error).message}); starting empty`);
    }
    this.restored = true;
  }

  /** Saves the compact snapshot (one at a time); failures are logged, the next interval retries. */
  saveSnapshot(): Promise<void> {
    this.saving ??= (async () => {
      try {
        await this.snapshots.replaceAll(this.monitor.serialize());
      } catch (error) {
        this.logger.warn(`could not save the stats snapshot: ${(error as Error).message}`);
      } finally {
        this.saving = undefined;
      }
    })();
    return this.saving;
  }

  markProbeSent(endpointId: string): void {
    this.monitor.markProbeSent(endpointId);
  }
}
