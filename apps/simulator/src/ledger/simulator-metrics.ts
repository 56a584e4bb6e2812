import { Injectable } from '@nestjs/common';
import { MetricsService } from '@switchyard/nest-kit';
import type { Counter, Gauge } from 'prom-client';

/** Prometheus series of the simulated upstreams (on the admin server's /metrics). */
@Injectable()
export class SimulatorMetrics {
  readonly requests: Counter<'route' | 'model' | 'outcome'>;
  readonly tokens: Counter<'model' | 'kind'>;
  readonly inflight: Gauge;

  constructor(metrics: MetricsService) {
    this.requests = metrics.counter({
      name: 'switchyard_simulator_requests_total',
      help: 'Simulated upstream requests by route, model and outcome (completed, failed, reset, cancelled, hung, unauthorized, invalid, not_found)',
      labelNames: ['route', 'model', 'outcome'],
    });
    this.tokens = metrics.counter({
      name: 'switchyard_simulator_tokens_total',
      help: 'Tokens the simulator billed, by model and kind (prompt, completion, reasoning, cached, cache_write)',
      labelNames: ['model', 'kind'],
    });
    this.inflight = metrics.gauge({ name: 'switchyard_simulator_inflight_requests', help: 'Simulated upstream requests currently open' });
  }
}
