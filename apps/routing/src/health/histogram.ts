import type { Percentiles } from '@switchyard/llm-spec';

/**
 * Fixed bucket boundaries shared by every histogram of one kind (time to first token, throughput): geometric
 * upper bounds, so the relative error of a percentile estimate is bounded by the growth factor whatever the scale.
 * Bucket 0 holds [0, bound₀], bucket i holds (bound₍ᵢ₋₁₎, boundᵢ], the last one everything above the last bound.
 */
export class HistogramLayout {
  readonly upperBounds: Float64Array;
  /** Identifies the layout in persisted snapshots: a different layout makes old snapshots unusable. */
  readonly id: string;

  private constructor(bounds: number[], id: string) {
    this.upperBounds = Float64Array.from(bounds);
    this.id = id;
  }

  /** Bounds start, start·growth, start·growth², … up to the first bound ≥ end. */
  static geometric(start: number, end: number, growth: number): HistogramLayout {
    if (!(start > 0) || !(end > start) || !(growth > 1)) throw new RangeError('geometric layout needs 0 < start < end and growth > 1');
    const bounds: number[] = [];
    for (let bound = start; ; bound *= growth) {
      bounds.push(bound);
      if (bound >= end) break;
    }
    return new HistogramLayout(bounds, `geo:${start}:${end}:${growth}`);
  }

  /** Number of buckets (bounds + the overflow bucket). */
  get size(): number {
    return this.upperBounds.length + 1;
  }

  /** The bucket of a value: binary search over ~60 bounds, effectively constant time. */
  indexOf(value: number): number {
    const bounds = this.upperBounds;
    let low = 0;
    let high = bounds.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (value <= bounds[middle]) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  /** A representative value of bucket `index`: the geometric middle of its range (`max` closes the overflow bucket). */
  representative(index: number, max: number): number {
    const bounds = this.upperBounds;
    if (index === 0) return bounds[0] / 2;
    const lower = bounds[index - 1];
    const upper = index < bounds.length ? bounds[index] : Math.max(lower, max);
    return Math.sqrt(lower * upper);
  }
}

/** Time to first token, ms: 5 ms … 10 min, 25 % wide buckets (55 buckets). */
export const TTFT_LAYOUT = HistogramLayout.geometric(5, 600_000, 1.25);
/** Throughput, tokens/s: 0.5 … 20,000, 25 % wide buckets (49 buckets). */
export const THROUGHPUT_LAYOUT = HistogramLayout.geometric(0.5, 20_000, 1.25);

/** Serialized form: sparse counts as flattened [bucket, count, bucket, count, …] pairs, with min and max. */
export interface SerializedHistogram {
  c: number[];
  mn: number;
  mx: number;
}

/**
 * Counts of non-negative samples in fixed buckets, with the exact minimum and maximum. Constant memory whatever
 * the number of samples; percentiles are estimates within one bucket's width, clamped to [min, max].
 */
export class Histogram {
  readonly counts: Uint32Array;
  total = 0;
  min = Infinity;
  max = -Infinity;

  constructor(readonly layout: HistogramLayout) {
    this.counts = new Uint32Array(layout.size);
  }

  add(value: number): void {
    if (!Number.isFinite(value) || value < 0) return;
    this.counts[this.layout.indexOf(value)]++;
    this.total++;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  merge(other: Histogram): void {
    if (other.total === 0) return;
    const counts = this.counts;
    const source = other.counts;
    for (let index = 0; index < counts.length; index++) counts[index] += source[index];
    this.total += other.total;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  reset(): void {
    if (this.total === 0) return;
    this.counts.fill(0);
    this.total = 0;
    this.min = Infinity;
    this.max = -Infinity;
  }

  /**
   * The q-quantile (0 < q ≤ 1) by nearest rank: the representative value of the bucket holding the ⌈q·n⌉-th
   * sample, clamped to the observed [min, max]. Monotonic in q. Null when empty.
   */
  quantile(q: number): number | null {
    if (this.total === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    const counts = this.counts;
    for (let index = 0; index < counts.length; index++) {
      seen += counts[index];
      if (seen >= rank) return clamp(this.layout.representative(index, this.max), this.min, this.max);
    }
    return this.max;
  }

  /** p50, p75, p90, p99, rounded to `decimals`; null when empty. */
  percentiles(decimals = 2): Percentiles | null {
    if (this.total === 0) return null;
    return {
      p50: round(this.quantile(0.5)!, decimals),
      p75: round(this.quantile(0.75)!, decimals),
      p90: round(this.quantile(0.9)!, decimals),
      p99: round(this.quantile(0.99)!, decimals),
    };
  }

  toJSON(): SerializedHistogram {
    const pairs: number[] = [];
    for (let index = 0; index < this.counts.length; index++) {
      if (this.counts[index] > 0) pairs.push(index, this.counts[index]);
    }
    return { c: pairs, mn: this.total === 0 ? 0 : this.min, mx: this.total === 0 ? 0 : this.max };
  }

  /** Restores counts into this (reset) histogram; malformed input is ignored. */
  load(serialized: SerializedHistogram): void {
    this.reset();
    const pairs = Array.isArray(serialized?.c) ? serialized.c : [];
    for (let offset = 0; offset + 1 < pairs.length; offset += 2) {
      const index = pairs[offset];
      const count = pairs[offset + 1];
      if (!Number.isInteger(index) || index < 0 || index >= this.counts.length || !Number.isInteger(count) || count <= 0) continue;
      this.counts[index] += count;
      this.total += count;
    }
    if (this.total > 0) {
      this.min = Number.isFinite(serialized.mn) ? serialized.mn : 0;
      this.max = Number.isFinite(serialized.mx) ? Math.max(serialized.mx, this.min) : this.min;
    }
  }
}

function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}

export function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}
