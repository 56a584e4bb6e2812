import type { Logger } from '@nestjs/common';

/**
 * Runs `ensure` (say, creating a JetStream stream) until it succeeds, in the background: a service starts while
 * NATS or JetStream is briefly unavailable and catches up when it is back. Retries back off from 250 ms to 5 s;
 * the first failure and every twentieth are logged.
 */
export function ensureInBackground(what: string, ensure: () => Promise<void>, logger: Pick<Logger, 'warn'>): void {
  const run = async (attempt: number): Promise<void> => {
    try {
      await ensure();
    } catch (error) {
      if (attempt === 0 || attempt % 20 === 0) logger.warn(`could not ensure ${what} (${(error as Error).message}); retrying`);
      setTimeout(() => void run(attempt + 1), Math.min(5_000, 250 * 2 ** Math.min(attempt, 5))).unref();
    }
  };
  void run(0);
}
