import type { attemptCompletedSchema } from '@switchyard/contracts';
import { type CircuitState, type EndpointHealth, defaultEndpointHealth } from '@switchyard/llm-spec';
import type { z } from 'zod';
import type { Clock } from '../clock.js';
import { type AttemptClass, classifyAttempt, isProbeGeneration } from './attempt-outcome.js';
import { type BreakerOptions, type BreakerState, CircuitBreaker, type SerializedBreaker } from './circuit-breaker.js';
import { EndpointStats, LONGEST_WINDOW_MS, type SerializedStats, type StatsSummary } from './endpoint-stats.js';

/** The parsed `attemptCompleted` event (defaults applied). */
export type AttemptEvent = z.output<typeof attemptCompletedSchema>;

/** The fields of an attempt the monitor reads. */
type AttemptFacts = Pick<AttemptEvent, 'ok' | 'status' | 'errorType' | 'retryAfterMs' | 'ttftMs' | 'tokensPerSecond' | 'completionTokens' | 'usedTools' | 'at'>;

/** The result of one probe as the probing replica saw it. */
export interface ProbeResult {
  ok: boolean;
  status: number;
  errorType?: string | null;
  retryAfterMs?: number | null;
  ttftMs?: number | null;
}

export interface WeightOptions {
  /** Weight of an endpoint whose 5-minute error rate is degraded. */
  degraded: number;
  /** Error rate (0..1) from which the weight drops. */
  degradedErrorRate: number;
  /** Outcomes needed in the 5-minute window before the error rate counts. */
  minSamples: number;
}

export interface HealthMonitorOptions {
  breaker: BreakerOptions;
  weight: WeightOptions;
  maxTrackedEndpoints: number;
}

export interface DrainInfo {
  reason: string | null;
  /** Epoch ms. */
  drainedAt: number;
}

export interface StateChange {
  endpointId: string;
  /** `breaker`: the breaker moved (also while drained); `drain`: an operator drained or undrained it. */
  kind: 'breaker' | 'drain';
  from: CircuitState;
  to: CircuitState;
  at: number;
  cause: string;
}

export interface RecordOutcome {
  /** `stale`: older than the longest window; `duplicate`: a probe result already applied; `dropped`: too many endpoints. */
  status: 'applied' | 'stale' | 'duplicate' | 'dropped';
  classification: AttemptClass;
  probe: boolean;
  /** Something the routing table publishes changed: the state, `lastFailureAt` or `retryAfterUntil`. */
  changed: boolean;
  transition: StateChange | null;
}

export interface BreakerDetails {
  state: BreakerState;
  openings: number;
  consecutiveFailures: number;
  windowFailures: number;
  windowAttempts: number;
  openedAt: number | null;
  openUntil: number | null;
  halfOpenSince: number | null;
  halfOpenSuccesses: number;
  nextCoolDownMs: number;
  lastTransitionAt: number | null;
}

/** Everything the admin health table shows about one endpoint. */
export interface EndpointDetails {
  endpointId: string;
  health: EndpointHealth;
  stats: StatsSummary | null;
  breaker: BreakerDetails;
  drain: DrainInfo | null;
  lastAttemptAt: number | null;
  lastProbeAt: number | null;
  /** The latest provider-side failure, even one the table no longer publishes because the breaker closed since. */
  lastFailureAt: number | null;
}

/** One persisted endpoint: stats, breaker and failure marks. */
export interface SerializedEndpoint {
  v: 1;
  stats: SerializedStats;
  breaker: SerializedBreaker;
  lastFailureAt: number | null;
  retryAfterUntil: number | null;
  lastAttemptAt: number | null;
}

class EndpointRecord {
  readonly stats = new EndpointStats();
  readonly breaker: CircuitBreaker;
  lastFailureAt: number | null = null;
  retryAfterUntil: number | null = null;
  /** Event time of the last real attempt. */
  lastAttemptAt: number | null = null;
  /** When this replica last saw a probe result for the endpoint (its own or another replica's). */
  lastProbeAt: number | null = null;
  /** Bumped on every sample recorded: the cached summary is valid while it and the 10 s time slot are unchanged. */
  revision = 0;
  private cached: { revision: number; slot: number; summary: StatsSummary } | undefined;

  constructor(options: BreakerOptions) {
    this.breaker = new CircuitBreaker(options);
  }

  /**
   * The failure mark the routing table publishes: the latest provider-side failure, unless the breaker closed
   * after it. A close means a half-open trial (a probe or an attempt) succeeded after that failure, so the
   * endpoint has proven itself healthy again; publishing the older failure would keep the planner demoting it as
   * "failed in the last 30 s" for up to 30 s after the recovery the probes just confirmed. A failure after the
   * close is published as usual.
   */
  get publishedFailureAt(): number | null {
    const closedAt = this.breaker.closedAt;
    if (this.lastFailureAt !== null && closedAt !== null && this.lastFailureAt <= closedAt) return null;
    return this.lastFailureAt;
  }

  /**
   * The stats summary, recomputed only when a sample arrived or time entered a new 10 s slot (every window's
   * buckets are multiples of 10 s, so figures cannot change otherwise): a table build costs O(endpoints that
   * changed), not O(all endpoints × buckets).
   */
  summary(now: number): StatsSummary {
    const slot = Math.floor(now / SUMMARY_SLOT_MS);
    const cached = this.cached;
    if (cached && cached.revision === this.revision && cached.slot === slot) return cached.summary;
    const summary = this.stats.summary(now);
    this.cached = { revision: this.revision, slot, summary };
    return summary;
  }
}

/** The smallest bucket of the public windows (5 minutes in 10 s buckets). */
const SUMMARY_SLOT_MS = 10_000;

/** Probe attempt ids remembered to apply each probe once (client outcome and providers' event). */
const REMEMBERED_PROBES = 4_096;

/**
 * The health monitor's state for every endpoint: rolling public stats (real traffic), a circuit breaker (real
 * traffic and probes), the last provider-side failure, a 429's retry-after and operator drains. Pure apart from
 * the injected clock: no I/O, no timers. Every replica feeds it the same events, so replicas agree.
 */
export class HealthMonitor {
  private readonly records = new Map<string, EndpointRecord>();
  private readonly drains = new Map<string, DrainInfo>();
  private readonly appliedProbes = new Map<string, true>();

  constructor(
    private readonly options: HealthMonitorOptions,
    private readonly clock: Clock,
  ) {}

  /** Feeds one `attemptCompleted` event. O(1). */
  record(event: AttemptEvent): RecordOutcome {
    const probe = event.probe || isProbeGeneration(event.generationId);
    return this.ingest(event.endpointId, event.attemptId, event, probe);
  }

  /**
   * Feeds the outcome of a probe this replica sent, as its client saw it (providers may also publish the attempt;
   * whichever arrives second is ignored).
   */
  recordProbe(endpointId: string, attemptId: string, result: ProbeResult): RecordOutcome {
    const at = this.clock.now();
    return this.ingest(
      endpointId,
      attemptId,
      {
        ok: result.ok,
        status: result.status,
        errorType: result.errorType ?? null,
        retryAfterMs: result.retryAfterMs ?? null,
        ttftMs: result.ttftMs ?? null,
        tokensPerSecond: null,
        completionTokens: 0,
        usedTools: false,
        at,
      },
      true,
    );
  }

  private ingest(endpointId: string, attemptId: string, event: AttemptFacts, probe: boolean): RecordOutcome {
    const now = this.clock.now();
    const classification = classifyAttempt(event);
    const outcome: RecordOutcome = { status: 'applied', classification, probe, changed: false, transition: null };
    // Event times from other machines: never in our future, and nothing older than the longest window.
    const at = Number.isFinite(event.at) ? Math.min(event.at, now) : now;
    if (at <= now - LONGEST_WINDOW_MS) {
      outcome.status = 'stale';
      return outcome;
    }
    const record = this.recordFor(endpointId);
    if (!record) {
      outcome.status = 'dropped';
      return outcome;
    }

    if (probe) {
      record.lastProbeAt = now;
      if (this.appliedProbes.has(attemptId)) {
        outcome.status = 'duplicate';
        return outcome;
      }
      this.rememberProbe(attemptId);
    } else {
      record.lastAttemptAt = record.lastAttemptAt === null ? at : Math.max(record.lastAttemptAt, at);
      const succeeded = event.ok;
      record.revision++;
      record.stats.record(at, now, {
        outcome: classification === 'neutral' ? undefined : classification,
        toolSuccess: event.usedTools && event.status !== 499 ? event.ok : undefined,
        ttftMs: succeeded ? event.ttftMs : null,
        tokensPerSecond: succeeded && event.completionTokens > 0 ? event.tokensPerSecond : null,
      });
    }

    if (classification === 'failure') {
      if (record.lastFailureAt === null || at > record.lastFailureAt) {
        record.lastFailureAt = at;
        outcome.changed = true;
      }
      if (event.retryAfterMs !== null && event.retryAfterMs > 0) {
        const until = at + event.retryAfterMs;
        if (until > now && (record.retryAfterUntil === null || until > record.retryAfterUntil)) {
          record.retryAfterUntil = until;
          outcome.changed = true;
        }
      }
    }
    if (classification !== 'neutral') {
      const drained = this.drains.has(endpointId);
      const transition = record.breaker.record(classification, at, now, probe);
      if (transition) {
        outcome.transition = { endpointId, kind: 'breaker', from: transition.from, to: transition.to, at: transition.at, cause: transition.cause };
        if (!drained) outcome.changed = true;
      }
    }
    return outcome;
  }

  /** Time-driven transitions (open → half-open after the cool-down). Call every few hundred ms. */
  tick(): StateChange[] {
    const now = this.clock.now();
    const changes: StateChange[] = [];
    for (const [endpointId, record] of this.records) {
      if (record.breaker.state !== 'open') continue;
      const transition = record.breaker.tick(now);
      if (transition) changes.push({ endpointId, kind: 'breaker', from: transition.from, to: transition.to, at: transition.at, cause: transition.cause });
    }
    return changes;
  }

  /** Whether `change` moved the state the table publishes (a breaker moving behind a drain does not). */
  isPublicChange(change: StateChange): boolean {
    return change.kind === 'drain' || !this.drains.has(change.endpointId);
  }

  /** Replaces the set of drained endpoints (from Postgres); returns the public state changes. */
  applyDrains(drains: ReadonlyMap<string, DrainInfo>): StateChange[] {
    const changes: StateChange[] = [];
    const now = this.clock.now();
    for (const endpointId of [...this.drains.keys()]) {
      if (!drains.has(endpointId)) {
        const change = this.undrain(endpointId, now);
        if (change) changes.push(change);
      }
    }
    for (const [endpointId, info] of drains) {
      const change = this.drain(endpointId, info, now);
      if (change) changes.push(change);
    }
    return changes;
  }

  drain(endpointId: string, info: DrainInfo, now = this.clock.now()): StateChange | null {
    const existing = this.drains.get(endpointId);
    this.drains.set(endpointId, info);
    if (existing) return null;
    return { endpointId, kind: 'drain', from: this.breakerState(endpointId), to: 'drained', at: now, cause: info.reason ? `drained: ${info.reason}` : 'drained by an operator' };
  }

  undrain(endpointId: string, now = this.clock.now()): StateChange | null {
    if (!this.drains.delete(endpointId)) return null;
    return { endpointId, kind: 'drain', from: 'drained', to: this.breakerState(endpointId), at: now, cause: 'undrained by an operator' };
  }

  drainOf(endpointId: string): DrainInfo | undefined {
    return this.drains.get(endpointId);
  }

  /** The state the table publishes. */
  state(endpointId: string): CircuitState {
    return this.drains.has(endpointId) ? 'drained' : this.breakerState(endpointId);
  }

  private breakerState(endpointId: string): BreakerState {
    return this.records.get(endpointId)?.breaker.state ?? 'closed';
  }

  /** Endpoints with a health record or a drain. */
  knownEndpointIds(): Set<string> {
    return new Set([...this.records.keys(), ...this.drains.keys()]);
  }

  has(endpointId: string): boolean {
    return this.records.has(endpointId) || this.drains.has(endpointId);
  }

  /** Half-open endpoints that are not drained: the ones to probe. */
  halfOpenEndpoints(): Array<{ endpointId: string; lastProbeAt: number | null; halfOpenSince: number | null }> {
    const result: Array<{ endpointId: string; lastProbeAt: number | null; halfOpenSince: number | null }> = [];
    for (const [endpointId, record] of this.records) {
      if (record.breaker.state === 'half-open' && !this.drains.has(endpointId)) {
        result.push({ endpointId, lastProbeAt: record.lastProbeAt, halfOpenSince: record.breaker.halfOpenSince });
      }
    }
    return result;
  }

  /** Notes that a probe was sent (so the next one waits for the probe interval). */
  markProbeSent(endpointId: string): void {
    const record = this.records.get(endpointId);
    if (record) record.lastProbeAt = this.clock.now();
  }

  /** The routing-table entry of one endpoint. */
  health(endpointId: string, now = this.clock.now()): EndpointHealth {
    return this.healthOf(endpointId, this.records.get(endpointId), now, undefined);
  }

  private healthOf(endpointId: string, record: EndpointRecord | undefined, now: number, summary: StatsSummary | undefined): EndpointHealth {
    const state = this.state(endpointId);
    if (!record) return { ...defaultEndpointHealth, state };
    const stats = summary ?? record.summary(now);
    return {
      state,
      weight: this.weightOf(stats),
      lastFailureAt: record.publishedFailureAt,
      retryAfterUntil: record.retryAfterUntil !== null && record.retryAfterUntil > now ? record.retryAfterUntil : null,
      uptime5m: stats.windows['5m'].uptime,
      uptime30m: stats.windows['30m'].uptime,
      uptime1d: stats.windows['1d'].uptime,
      latency30m: stats.latency30m,
      throughput30m: stats.throughput30m,
      latencyP50Last5m: stats.latency5m?.p50 ?? null,
      throughputP50Last5m: stats.throughput5m?.p50 ?? null,
      toolCallSuccessRate: stats.toolCallSuccessRate,
    };
  }

  /** 1 when healthy; the degraded weight when the 5-minute error rate is high on enough outcomes. */
  private weightOf(stats: StatsSummary): number {
    const { successes, failures } = stats.windows['5m'];
    const total = successes + failures;
    const { degraded, degradedErrorRate, minSamples } = this.options.weight;
    return total >= minSamples && failures / total >= degradedErrorRate ? degraded : 1;
  }

  /**
   * Table entries of `endpointIds` plus every endpoint this monitor knows. Endpoints whose entry equals the
   * default (healthy, neutral weight, no figures) are left out: the table's consumers treat a missing endpoint
   * exactly so, and the table stays small.
   */
  tableEntries(endpointIds: Iterable<string> = []): Record<string, EndpointHealth> {
    const now = this.clock.now();
    const entries: Record<string, EndpointHealth> = {};
    const ids = this.knownEndpointIds();
    for (const id of endpointIds) ids.add(id);
    for (const id of [...ids].sort()) {
      const health = this.health(id, now);
      if (!isDefaultHealth(health)) entries[id] = health;
    }
    return entries;
  }

  details(endpointId: string, now = this.clock.now()): EndpointDetails {
    const record = this.records.get(endpointId);
    const stats = record ? record.summary(now) : null;
    const breaker = record?.breaker;
    const window = breaker?.windowCounts(now) ?? { failures: 0, total: 0 };
    const openings = breaker?.openings ?? 0;
    return {
      endpointId,
      health: this.healthOf(endpointId, record, now, stats ?? undefined),
      stats,
      breaker: {
        state: breaker?.state ?? 'closed',
        openings,
        consecutiveFailures: breaker?.consecutiveFailures ?? 0,
        windowFailures: window.failures,
        windowAttempts: window.total,
        openedAt: breaker?.openedAt ?? null,
        openUntil: breaker?.openUntil ?? null,
        halfOpenSince: breaker?.halfOpenSince ?? null,
        halfOpenSuccesses: breaker?.halfOpenSuccesses ?? 0,
        nextCoolDownMs: breaker ? breaker.coolDownFor(openings + 1) : this.options.breaker.coolDownMs,
        lastTransitionAt: breaker?.lastTransitionAt ?? null,
      },
      drain: this.drains.get(endpointId) ?? null,
      lastAttemptAt: record?.lastAttemptAt ?? null,
      lastProbeAt: record?.lastProbeAt ?? null,
      lastFailureAt: record?.lastFailureAt ?? null,
    };
  }

  /** Compact snapshot of every endpoint with something worth keeping (stats, an unclosed breaker, marks). */
  serialize(): Array<{ endpointId: string; snapshot: SerializedEndpoint }> {
    const now = this.clock.now();
    const rows: Array<{ endpointId: string; snapshot: SerializedEndpoint }> = [];
    for (const [endpointId, record] of this.records) {
      if (this.isForgettable(record, now)) continue;
      rows.push({
        endpointId,
        snapshot: {
          v: 1,
          stats: record.stats.serialize(now),
          breaker: record.breaker.toJSON(now),
          lastFailureAt: record.lastFailureAt,
          retryAfterUntil: record.retryAfterUntil,
          lastAttemptAt: record.lastAttemptAt,
        },
      });
    }
    return rows;
  }

  /**
   * Restores persisted endpoints (at start, before events flow). Malformed rows are skipped; endpoints already
   * tracked are left alone (live events beat a snapshot).
   */
  restore(rows: ReadonlyArray<{ endpointId: string; snapshot: unknown }>): number {
    const now = this.clock.now();
    let restored = 0;
    for (const row of rows) {
      const snapshot = row.snapshot as Partial<SerializedEndpoint> | null;
      if (!snapshot || snapshot.v !== 1 || this.records.has(row.endpointId)) continue;
      const record = this.recordFor(row.endpointId);
      if (!record) break;
      try {
        if (snapshot.stats) record.stats.restore(snapshot.stats, now);
        if (snapshot.breaker) record.breaker.restore(snapshot.breaker, now);
      } catch {
        this.records.delete(row.endpointId);
        continue;
      }
      record.revision++;
      record.lastFailureAt = finiteOrNull(snapshot.lastFailureAt);
      record.retryAfterUntil = finiteOrNull(snapshot.retryAfterUntil);
      record.lastAttemptAt = finiteOrNull(snapshot.lastAttemptAt);
      restored++;
    }
    return restored;
  }

  /**
   * Forgets endpoints with nothing left to say (empty windows, closed breaker, no failure in a day) that `keep`
   * does not want (those no longer in the catalog). Returns the ids forgotten.
   */
  prune(keep: (endpointId: string) => boolean): string[] {
    const now = this.clock.now();
    const removed: string[] = [];
    for (const [endpointId, record] of this.records) {
      if (keep(endpointId) || this.drains.has(endpointId) || !this.isForgettable(record, now)) continue;
      this.records.delete(endpointId);
      removed.push(endpointId);
    }
    return removed;
  }

  get size(): number {
    return this.records.size;
  }

  private isForgettable(record: EndpointRecord, now: number): boolean {
    return (
      record.breaker.state === 'closed' &&
      record.stats.isEmpty(now) &&
      (record.lastFailureAt === null || record.lastFailureAt <= now - LONGEST_WINDOW_MS) &&
      (record.retryAfterUntil === null || record.retryAfterUntil <= now)
    );
  }

  private recordFor(endpointId: string): EndpointRecord | undefined {
    let record = this.records.get(endpointId);
    if (!record) {
      if (this.records.size >= this.options.maxTrackedEndpoints) return undefined;
      record = new EndpointRecord(this.options.breaker);
      this.records.set(endpointId, record);
    }
    return record;
  }

  private rememberProbe(attemptId: string): void {
    this.appliedProbes.set(attemptId, true);
    if (this.appliedProbes.size > REMEMBERED_PROBES) {
      const oldest = this.appliedProbes.keys().next().value;
      if (oldest !== undefined) this.appliedProbes.delete(oldest);
    }
  }
}

export function isDefaultHealth(health: EndpointHealth): boolean {
  return (
    health.state === 'closed' &&
    health.weight === 1 &&
    health.lastFailureAt === null &&
    health.retryAfterUntil === null &&
    health.uptime5m === null &&
    health.uptime30m === null &&
    health.uptime1d === null &&
    health.latency30m === null &&
    health.throughput30m === null &&
    health.latencyP50Last5m === null &&
    health.throughputP50Last5m === null &&
    health.toolCallSuccessRate === null
  );
}

function finiteOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
