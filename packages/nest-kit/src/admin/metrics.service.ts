import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type CounterConfiguration, type GaugeConfiguration, type HistogramConfiguration } from 'prom-client';

/** Buckets for sub-millisecond to multi-second hop timings, in seconds. */
export const LATENCY_BUCKETS_SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The service's Prometheus registry (`GET /metrics`), with Node's default process metrics (RSS, heap, event loop
 * lag) and a `switchyard_` prefix on everything the services define.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly metrics = new Map<string, Counter | Gauge | Histogram>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  setServiceLabel(service: string): void {
    this.registry.setDefaultLabels({ service });
  }

  counter<Label extends string>(configuration: Omit<CounterConfiguration<Label>, 'registers'>): Counter<Label> {
    return this.getOrCreate(configuration.name, () => new Counter({ ...configuration, registers: [this.registry] })) as Counter<Label>;
  }

  gauge<Label extends string>(configuration: Omit<GaugeConfiguration<Label>, 'registers'>): Gauge<Label> {
    return this.getOrCreate(configuration.name, () => new Gauge({ ...configuration, registers: [this.registry] })) as Gauge<Label>;
  }

  histogram<Label extends string>(configuration: Omit<HistogramConfiguration<Label>, 'registers'>): Histogram<Label> {
    return this.getOrCreate(configuration.name, () => new Histogram({ ...configuration, registers: [this.registry] })) as Histogram<Label>;
  }

  private getOrCreate(name: string, create: () => Counter | Gauge | Histogram): Counter | Gauge | Histogram {
    let metric = this.metrics.get(name);
    if (!metric) {
      metric = create();
      this.metrics.set(name, metric);
    }
    return metric;
  }
}
