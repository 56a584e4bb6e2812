import { Injectable } from '@nestjs/common';

export interface HealthCheckResult {
  ok: boolean;
  detail?: unknown;
}
export type HealthCheck = () => HealthCheckResult | Promise<HealthCheckResult>;

export interface HealthReport {
  status: 'ok' | 'unavailable';
  service: string;
  uptimeSeconds: number;
  checks: Record<string, HealthCheckResult & { ms: number }>;
}

/** Readiness checks of the service's dependencies (NATS, Postgres, caches), registered by the modules that own them. */
@Injectable()
export class HealthRegistry {
  private readonly checks = new Map<string, HealthCheck>();
  private readonly startedAt = Date.now();
  serviceName = 'switchyard';

  register(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  async report(timeoutMs = 2_000): Promise<HealthReport> {
    const entries = await Promise.all(
      [...this.checks.entries()].map(async ([name, check]) => {
        const started = performance.now();
        let result: HealthCheckResult;
        try {
          result = await Promise.race([
            Promise.resolve(check()),
            new Promise<HealthCheckResult>((resolve) => setTimeout(() => resolve({ ok: false, detail: `timed out after ${timeoutMs} ms` }), timeoutMs).unref()),
          ]);
        } catch (error) {
          result = { ok: false, detail: (error as Error).message };
        }
        return [name, { ...result, ms: Math.round((performance.now() - started) * 100) / 100 }] as const;
      }),
    );
    const checks = Object.fromEntries(entries);
    return {
      status: entries.every(([, result]) => result.ok) ? 'ok' : 'unavailable',
      service: this.serviceName,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      checks,
    };
  }
}
