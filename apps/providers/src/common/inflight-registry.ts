import type { Logger } from '@nestjs/common';

/** A cancel that arrives before its call (the two travel on different subjects) is remembered this long. */
const EARLY_CANCEL_TTL_MS = 30_000;
const EARLY_CANCEL_LIMIT = 10_000;
/** After the drain deadline, aborted calls get this long to send their `failed` frame and settle. */
const ABORT_SETTLE_MS = 2_000;

/** What the registry needs of a running call (chat attempt or embeddings call). */
export interface Interruptible {
  interrupt(cause: { kind: 'cancelled'; reason: string } | { kind: 'shutdown' }): void;
}

/**
 * The calls one providers replica is running, by attempt id: cancels find them (or are remembered when they arrive
 * first), and a graceful shutdown waits for them, then aborts what is left. Shared by the chat and embeddings
 * handlers.
 */
export class InflightRegistry<Call extends Interruptible> {
  private readonly calls = new Map<string, Call>();
  private readonly earlyCancels = new Map<string, number>();
  private readonly idleWaiters = new Set<() => void>();

  get size(): number {
    return this.calls.size;
  }

  has(id: string): boolean {
    return this.calls.has(id);
  }

  values(): IterableIterator<Call> {
    return this.calls.values();
  }

  /** Registers a call; interrupts it at once when its cancel already arrived. */
  add(id: string, call: Call): void {
    this.calls.set(id, call);
    if (this.takeEarlyCancel(id)) call.interrupt({ kind: 'cancelled', reason: 'cancelled before it started' });
  }

  remove(id: string): void {
    this.calls.delete(id);
    if (this.calls.size === 0) for (const resolve of this.idleWaiters) resolve();
  }

  /** Interrupts the call, or remembers the cancel for a call that has not arrived yet. */
  cancel(id: string, reason: string): void {
    const call = this.calls.get(id);
    if (call) {
      call.interrupt({ kind: 'cancelled', reason });
      return;
    }
    const now = Date.now();
    for (const [cancelledId, expiresAt] of this.earlyCancels) {
      if (expiresAt > now && this.earlyCancels.size < EARLY_CANCEL_LIMIT) break;
      this.earlyCancels.delete(cancelledId);
    }
    this.earlyCancels.set(id, now + EARLY_CANCEL_TTL_MS);
  }

  /** Waits up to `drainMs` for the calls to finish, then aborts the rest and lets them settle. */
  async drain(drainMs: number, logger: Logger, what: string): Promise<void> {
    if (this.calls.size > 0) {
      logger.log(`shutting down: waiting up to ${drainMs} ms for ${this.calls.size} ${what}`);
      await this.waitIdle(drainMs);
    }
    if (this.calls.size > 0) {
      logger.warn(`shutting down: aborting ${this.calls.size} ${what} still running after ${drainMs} ms`);
      for (const call of this.calls.values()) call.interrupt({ kind: 'shutdown' });
      await this.waitIdle(ABORT_SETTLE_MS);
    }
  }

  private takeEarlyCancel(id: string): boolean {
    const expiresAt = this.earlyCancels.get(id);
    if (expiresAt === undefined) return false;
    this.earlyCancels.delete(id);
    return expiresAt > Date.now();
  }

  private waitIdle(timeoutMs: number): Promise<void> {
    if (this.calls.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.idleWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.idleWaiters.add(done);
    });
  }
}
