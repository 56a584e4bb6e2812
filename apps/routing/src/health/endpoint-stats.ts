import type { Percentiles } from '@switchyard/llm-spec';
import { round, THROUGHPUT_LAYOUT, TTFT_LAYOUT } from './histogram.js';
import { RollingWindow, type SerializedBucket, type WindowAggregate, type WindowSample } from './rolling-window.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

/**
 * The three public windows (reference §6.2, §11.7): 5 minutes in 10 s buckets, 30 minutes in 1 min buckets, one
 * day in 15 min buckets. Latency and throughput histograms live in the two short windows only (the table
 * publishes 30-minute percentiles and 5-minute medians); the day window counts outcomes and tool calls.
 */
export const WINDOWS = {
  '5m': { bucketMs: 10 * SECOND, bucketCount: 30 },
  '30m': { bucketMs: MINUTE, bucketCount: 30 },
  '1d': { bucketMs: 15 * MINUTE, bucketCount: 96 },
} as const;

export type WindowName = keyof typeof WINDOWS;

/** Longest window: older events are dropped on arrival. */
export const LONGEST_WINDOW_MS = WINDOWS['1d'].bucketMs * WINDOWS['1d'].bucketCount;

export interface WindowCounts {
  successes: number;
  failures: number;
  /** successes ÷ (successes + failures) × 100, two decimals; null without outcomes. */
  uptime: number | null;
}

export interface StatsSummary {
  windows: Record<WindowName, WindowCounts>;
  /** Time to first token, ms. */
  latency5m: Percentiles | null;
  latency30m: Percentiles | null;
  /** Tokens per second. */
  throughput5m: Percentiles | null;
  throughput30m: Percentiles | null;
  /** Share of tool-calling attempts whose tool round went well over the day window, 0..1 (four decimals). */
  toolCallSuccessRate: number | null;
  toolCallAttempts: number;
}

export interface SerializedStats {
  /** Histogram layouts the buckets were counted with. */
  layouts: string;
  windows: Record<WindowName, SerializedBucket[]>;
}

const LAYOUTS_ID = `${TTFT_LAYOUT.id}|${THROUGHPUT_LAYOUT.id}`;

/** Rolling public statistics of one endpoint (real traffic only: probes never count). */
export class EndpointStats {
  private readonly windows: Record<WindowName, RollingWindow> = {
    '5m': new RollingWindow({ ...WINDOWS['5m'], histograms: { ttft: TTFT_LAYOUT, throughput: THROUGHPUT_LAYOUT } }),
    '30m': new RollingWindow({ ...WINDOWS['30m'], histograms: { ttft: TTFT_LAYOUT, throughput: THROUGHPUT_LAYOUT } }),
    '1d': new RollingWindow(WINDOWS['1d']),
  };

  /** O(1): one bucket per window. */
  record(at: number, now: number, sample: WindowSample): void {
    this.windows['5m'].record(at, now, sample);
    this.windows['30m'].record(at, now, sample);
    // The day window keeps no histograms: only outcomes and tool calls.
    this.windows['1d'].record(at, now, { outcome: sample.outcome, toolSuccess: sample.toolSuccess });
  }

  aggregate(name: WindowName, now: number): WindowAggregate {
    return this.windows[name].aggregate(now);
  }

  summary(now: number): StatsSummary {
    const short = this.windows['5m'].aggregate(now);
    const medium = this.windows['30m'].aggregate(now);
    const long = this.windows['1d'].aggregate(now);
    return {
      windows: { '5m': counts(short), '30m': counts(medium), '1d': counts(long) },
      latency5m: short.ttft?.percentiles(1) ?? null,
      latency30m: medium.ttft?.percentiles(1) ?? null,
      throughput5m: short.throughput?.percentiles(2) ?? null,
      throughput30m: medium.throughput?.percentiles(2) ?? null,
      toolCallSuccessRate: long.toolAttempts === 0 ? null : round(long.toolSuccesses / long.toolAttempts, 4),
      toolCallAttempts: long.toolAttempts,
    };
  }

  /** True when no window holds anything at `now` (the endpoint can be forgotten). */
  isEmpty(now: number): boolean {
    return this.windows['1d'].isEmpty(now) && this.windows['30m'].isEmpty(now);
  }

  serialize(now: number): SerializedStats {
    return {
      layouts: LAYOUTS_ID,
      windows: { '5m': this.windows['5m'].serialize(now), '30m': this.windows['30m'].serialize(now), '1d': this.windows['1d'].serialize(now) },
    };
  }

  /** Restores a snapshot; one taken with other histogram layouts restores counts only. */
  restore(serialized: SerializedStats, now: number): void {
    const sameLayouts = serialized?.layouts === LAYOUTS_ID;
    for (const name of Object.keys(WINDOWS) as WindowName[]) {
      const stored = serialized?.windows?.[name];
      const buckets = Array.isArray(stored) ? stored.filter((bucket) => Array.isArray(bucket)) : [];
      const usable = sameLayouts ? buckets : buckets.map((bucket): SerializedBucket => [bucket[0], bucket[1], bucket[2], bucket[3], bucket[4], null, null]);
      this.windows[name].restore(usable, now);
    }
  }
}

function counts(aggregate: WindowAggregate): WindowCounts {
  const total = aggregate.successes + aggregate.failures;
  return { successes: aggregate.successes, failures: aggregate.failures, uptime: total === 0 ? null : round((100 * aggregate.successes) / total, 2) };
}
