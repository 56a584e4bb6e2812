import { RollingWindow, type SerializedBucket } from './rolling-window.js';

export interface BreakerOptions {
  /** Rolling window of the failure rule, ms. */
  windowMs: number;
  /** Open when the window holds at least this many failures... */
  minFailures: number;
  /** ...making at least this share (0..1) of its outcomes. */
  errorRate: number;
  /** Or after this many consecutive failures (0 disables). */
  consecutiveFailures: number;
  /** Cool-down after the first opening; doubled on each re-opening without a close in between. */
  coolDownMs: number;
  maxCoolDownMs: number;
  /** Successful trials needed in half-open to close. */
  halfOpenSuccesses: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerTransition {
  from: BreakerState;
  to: BreakerState;
  at: number;
  cause: string;
}

export interface SerializedBreaker {
  state: BreakerState;
  openings: number;
  consecutiveFailures: number;
  openedAt: number | null;
  openUntil: number | null;
  halfOpenSince: number | null;
  halfOpenSuccesses: number;
  closedAt: number | null;
  lastTransitionAt: number | null;
  window: SerializedBucket[];
}

/** Buckets of the failure window: 30 (e.g. 1 s each for a 30 s window). */
const WINDOW_BUCKETS = 30;

/**
 * The circuit breaker of one endpoint, a pure state machine over event times:
 *
 * - **closed → open** when the rolling window holds ≥ `minFailures` failures at an error rate ≥ `errorRate`, or
 *   after `consecutiveFailures` failures in a row. The cool-down is `coolDownMs · 2^(openings−1)`, capped at
 *   `maxCoolDownMs`, counted from the failure's event time (so replicas fed the same events agree).
 * - **open → half-open** when the cool-down has passed (`tick`); the routing service then sends active probes.
 * - **half-open → closed** after `halfOpenSuccesses` successful trials (probes or real attempts); **→ open** again
 *   on a failed trial, with the next, doubled cool-down.
 *
 * While open, real attempts (ingress still uses an open endpoint as a last resort) do not change the state, but a
 * probe result does — a probe comes from a replica that reached half-open first, so every replica converges on
 * its outcome. Results older than the current episode (an attempt that completed before the breaker opened or
 * turned half-open, a probe from before the last opening) are ignored.
 */
export class CircuitBreaker {
  state: BreakerState = 'closed';
  /** Openings since the breaker last closed: the exponent of the cool-down. */
  openings = 0;
  consecutiveFailures = 0;
  openedAt: number | null = null;
  openUntil: number | null = null;
  halfOpenSince: number | null = null;
  halfOpenSuccesses = 0;
  /** When it last closed after being open: earlier outcomes no longer count. */
  closedAt: number | null = null;
  lastTransitionAt: number | null = null;
  private readonly window: RollingWindow;

  constructor(private readonly options: BreakerOptions) {
    this.window = new RollingWindow({ bucketMs: Math.max(1, Math.ceil(options.windowMs / WINDOW_BUCKETS)), bucketCount: WINDOW_BUCKETS });
  }

  /** Cool-down after the `openings`-th opening (1-based). */
  coolDownFor(openings: number): number {
    const exponent = Math.max(0, openings - 1);
    // 2^exponent overflows to Infinity for large exponents; the cap keeps it finite.
    return Math.min(this.options.maxCoolDownMs, this.options.coolDownMs * 2 ** Math.min(exponent, 40));
  }

  /** Failures and outcomes in the failure window at `now`. */
  windowCounts(now: number): { failures: number; total: number } {
    const aggregate = this.window.aggregate(now);
    return { failures: aggregate.failures, total: aggregate.failures + aggregate.successes };
  }

  /**
   * Feeds one provider-side outcome at event time `at` (≤ now). Returns the transition it caused, if any.
   * `probe` marks the routing service's own probes (from any replica).
   */
  record(outcome: 'success' | 'failure', at: number, now: number, probe: boolean): BreakerTransition | null {
    switch (this.state) {
      case 'closed': {
        if (probe) return null; // a late probe result: the breaker already closed
        if (this.closedAt !== null && at < this.closedAt) return null;
        this.window.record(at, now, { outcome });
        if (outcome === 'success') {
          this.consecutiveFailures = 0;
          return null;
        }
        this.consecutiveFailures++;
        const cause = this.tripCause(now);
        return cause ? this.open(at, cause) : null;
      }
      case 'open': {
        if (!probe || this.openedAt === null || at < this.openedAt) return null;
        return this.trial(outcome, at, 'probe');
      }
      case 'half-open': {
        if (probe ? this.openedAt !== null && at < this.openedAt : this.halfOpenSince !== null && at < this.halfOpenSince) return null;
        return this.trial(outcome, at, probe ? 'probe' : 'attempt');
      }
    }
  }

  /** Time-driven transition: open → half-open once the cool-down has passed. */
  tick(now: number): BreakerTransition | null {
    if (this.state !== 'open' || this.openUntil === null || now < this.openUntil) return null;
    return this.transition('half-open', now, `cool-down of ${this.coolDownFor(this.openings)} ms over`, () => {
      this.halfOpenSince = now;
      this.halfOpenSuccesses = 0;
    });
  }

  private tripCause(now: number): string | null {
    const { failures, total } = this.windowCounts(now);
    const { minFailures, errorRate, consecutiveFailures } = this.options;
    if (failures >= minFailures && total > 0 && failures / total >= errorRate) {
      return `${failures} failures of ${total} attempts in ${this.window.spanMs / 1000} s`;
    }
    if (consecutiveFailures > 0 && this.consecutiveFailures >= consecutiveFailures) return `${this.consecutiveFailures} consecutive failures`;
    return null;
  }

  private trial(outcome: 'success' | 'failure', at: number, kind: 'probe' | 'attempt'): BreakerTransition | null {
    if (outcome === 'failure') return this.open(at, `${kind} failed in ${this.state}`);
    if (this.state === 'open') {
      // Another replica's probe succeeded: this replica joins the half-open episode at the probe's time.
      this.halfOpenSince = at;
      this.halfOpenSuccesses = 0;
    }
    this.halfOpenSuccesses++;
    if (this.halfOpenSuccesses >= this.options.halfOpenSuccesses) {
      return this.transition('closed', at, `${kind} succeeded`, () => {
        this.openings = 0;
        this.consecutiveFailures = 0;
        this.openedAt = null;
        this.openUntil = null;
        this.halfOpenSince = null;
        this.halfOpenSuccesses = 0;
        this.closedAt = at;
        this.window.clear();
      });
    }
    if (this.state === 'open') {
      return this.transition('half-open', at, `${kind} succeeded (${this.halfOpenSuccesses}/${this.options.halfOpenSuccesses})`, () => undefined);
    }
    return null;
  }

  private open(at: number, cause: string): BreakerTransition {
    const openings = this.openings + 1;
    return this.transition('open', at, cause, () => {
      this.openings = openings;
      this.openedAt = at;
      this.openUntil = at + this.coolDownFor(openings);
      this.halfOpenSince = null;
      this.halfOpenSuccesses = 0;
    });
  }

  private transition(to: BreakerState, at: number, cause: string, apply: () => void): BreakerTransition {
    const from = this.state;
    apply();
    this.state = to;
    this.lastTransitionAt = at;
    return { from, to, at, cause };
  }

  toJSON(now: number): SerializedBreaker {
    return {
      state: this.state,
      openings: this.openings,
      consecutiveFailures: this.consecutiveFailures,
      openedAt: this.openedAt,
      openUntil: this.openUntil,
      halfOpenSince: this.halfOpenSince,
      halfOpenSuccesses: this.halfOpenSuccesses,
      closedAt: this.closedAt,
      lastTransitionAt: this.lastTransitionAt,
      window: this.window.serialize(now),
    };
  }

  /** Restores a persisted breaker; an inconsistent record leaves the breaker closed. */
  restore(serialized: SerializedBreaker, now: number): void {
    const numberOrNull = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
    const state = serialized?.state;
    const openedAt = numberOrNull(serialized?.openedAt);
    const openUntil = numberOrNull(serialized?.openUntil);
    if ((state === 'open' || state === 'half-open') && (openedAt === null || openUntil === null)) return;
    if (state !== 'closed' && state !== 'open' && state !== 'half-open') return;
    this.state = state;
    this.openings = Number.isInteger(serialized.openings) && serialized.openings >= 0 ? serialized.openings : state === 'closed' ? 0 : 1;
    this.consecutiveFailures = Number.isInteger(serialized.consecutiveFailures) && serialized.consecutiveFailures >= 0 ? serialized.consecutiveFailures : 0;
    this.openedAt = openedAt;
    this.openUntil = openUntil;
    this.halfOpenSince = numberOrNull(serialized.halfOpenSince);
    this.halfOpenSuccesses = Number.isInteger(serialized.halfOpenSuccesses) && serialized.halfOpenSuccesses >= 0 ? serialized.halfOpenSuccesses : 0;
    this.closedAt = numberOrNull(serialized.closedAt);
    this.lastTransitionAt = numberOrNull(serialized.lastTransitionAt);
    this.window.restore(serialized.window ?? [], now);
  }
}
