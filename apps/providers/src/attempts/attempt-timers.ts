import type { AttemptTimeouts } from '@switchyard/contracts';

export type TimeoutPhase = 'connect' | 'first-token' | 'idle';

export type Clock = () => number;

const monotonic: Clock = () => performance.now();

/** Timers may fire a hair early relative to the clock; a deadline within this many ms counts as reached. */
const TOLERANCE_MS = 1;

/**
 * The three deadlines of an attempt with a single lazily re-armed timer (no timer churn per part):
 * - `connect`: from the upstream call to its response headers (`connectMs`);
 * - `first-token`: from the upstream call to the first content part (`firstTokenMs`), which for a non-streaming
 *   response is the complete body;
 * - `idle`: the longest silence between two parts once content has started (`idleMs`).
 * Before the headers both `connect` and `first-token` apply; the earlier one is reported.
 */
export class AttemptWatchdog {
  private timer: NodeJS.Timeout | undefined;
  private firesAt = Number.POSITIVE_INFINITY;
  private connectDeadline = Number.POSITIVE_INFINITY;
  private firstTokenDeadline = Number.POSITIVE_INFINITY;
  private idleDeadline = Number.POSITIVE_INFINITY;
  private headersReceived = false;
  private contentStarted = false;
  private stopped = false;

  constructor(
    private readonly timeouts: AttemptTimeouts,
    private readonly onExpired: (phase: TimeoutPhase, limitMs: number) => void,
    private readonly now: Clock = monotonic,
  ) {}

  /** The upstream call starts now. */
  start(at = this.now()): void {
    this.connectDeadline = at + this.timeouts.connectMs;
    this.firstTokenDeadline = at + this.timeouts.firstTokenMs;
    this.schedule();
  }

  /** Response headers arrived: the connect deadline no longer applies. */
  headers(): void {
    this.headersReceived = true;
    this.schedule();
  }

  /** A part arrived; `content` says whether it carried generated content. */
  part(content: boolean, at = this.now()): void {
    if (content) this.contentStarted = true;
    if (!this.contentStarted) return;
    this.idleDeadline = at + this.timeouts.idleMs;
    // The idle deadline only moves later: an armed timer fires early and re-arms, so nothing to do here unless
    // the pending timer was for a later deadline (the first-token one) — then bring it forward.
    if (this.firesAt > this.idleDeadline) this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.firesAt = Number.POSITIVE_INFINITY;
  }

  /** The deadline that applies now, with its phase and limit. */
  current(): { at: number; phase: TimeoutPhase; limitMs: number } {
    if (this.contentStarted) return { at: this.idleDeadline, phase: 'idle', limitMs: this.timeouts.idleMs };
    if (!this.headersReceived && this.connectDeadline <= this.firstTokenDeadline) {
      return { at: this.connectDeadline, phase: 'connect', limitMs: this.timeouts.connectMs };
    }
    return { at: this.firstTokenDeadline, phase: 'first-token', limitMs: this.timeouts.firstTokenMs };
  }

  private schedule(): void {
    if (this.stopped) return;
    const { at } = this.current();
    if (!Number.isFinite(at)) return;
    if (this.timer && this.firesAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.firesAt = at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - this.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.firesAt = Number.POSITIVE_INFINITY;
    if (this.stopped) return;
    const deadline = this.current();
    if (this.now() + TOLERANCE_MS >= deadline.at) {
      this.stopped = true;
      this.onExpired(deadline.phase, deadline.limitMs);
      return;
    }
    this.schedule();
  }
}

/**
 * Sends a heartbeat whenever nothing went to the caller for `intervalMs`, so the caller's liveness check (about
 * 3.5 s of silence = a dead replica) never fires while the upstream is merely slow. `touch()` on every frame sent.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private lastSentAt: number;
  private stopped = false;

  constructor(
    private readonly intervalMs: number,
    private readonly send: () => void,
    private readonly now: Clock = monotonic,
  ) {
    this.lastSentAt = now();
  }

  start(): void {
    this.arm(this.intervalMs);
  }

  touch(at = this.now()): void {
    this.lastSentAt = at;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.fire(), Math.max(1, delayMs));
  }

  private fire(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const now = this.now();
    const quietFor = now - this.lastSentAt;
    if (quietFor + TOLERANCE_MS >= this.intervalMs) {
      this.lastSentAt = now;
      this.send();
      this.arm(this.intervalMs);
    } else {
      this.arm(this.intervalMs - quietFor);
    }
  }
}
