import { Histogram, type HistogramLayout, type SerializedHistogram } from './histogram.js';

/** What one attempt adds to a window. */
export interface WindowSample {
  /** Provider-side outcome; omitted for outcomes that say nothing about the provider (request errors, cancels). */
  outcome?: 'success' | 'failure';
  /** A tool-calling attempt and whether its tool round went well. */
  toolSuccess?: boolean;
  /** Time to first token, ms. */
  ttftMs?: number | null;
  /** Output tokens per second. */
  tokensPerSecond?: number | null;
}

interface Bucket {
  /** Absolute bucket number: floor(time / bucketMs). */
  index: number;
  successes: number;
  failures: number;
  toolSuccesses: number;
  toolAttempts: number;
  ttft: Histogram | null;
  throughput: Histogram | null;
}

/** Sums over the buckets of a window. */
export interface WindowAggregate {
  successes: number;
  failures: number;
  toolSuccesses: number;
  toolAttempts: number;
  ttft: Histogram | null;
  throughput: Histogram | null;
}

/** Serialized bucket: [index, successes, failures, toolSuccesses, toolAttempts, ttft | null, throughput | null]. */
export type SerializedBucket = [number, number, number, number, number, SerializedHistogram | null, SerializedHistogram | null];

export interface RollingWindowOptions {
  bucketMs: number;
  bucketCount: number;
  /** Layouts of the time-to-first-token and throughput histograms; none = counts only. */
  histograms?: { ttft: HistogramLayout; throughput: HistogramLayout };
}

/**
 * A rolling time window as a ring of fixed buckets: `bucketCount` buckets of `bucketMs` each. Recording is O(1)
 * (a bucket is recycled in place when its slot comes round again), memory is bounded whatever the event rate, and
 * the window forgets an event once its bucket leaves the span: at time `now` it covers the buckets
 * floor(now/bucketMs) − bucketCount + 1 … floor(now/bucketMs), i.e. the last `span − bucketMs` to `span` ms.
 * Times are event times, so every replica fed the same events holds the same figures.
 */
export class RollingWindow {
  readonly bucketMs: number;
  readonly bucketCount: number;
  private readonly buckets: Array<Bucket | undefined>;
  private readonly layouts: RollingWindowOptions['histograms'];

  constructor(options: RollingWindowOptions) {
    if (!(options.bucketMs > 0) || !Number.isInteger(options.bucketCount) || options.bucketCount < 1) {
      throw new RangeError('a rolling window needs bucketMs > 0 and an integer bucketCount ≥ 1');
    }
    this.bucketMs = options.bucketMs;
    this.bucketCount = options.bucketCount;
    this.buckets = new Array(options.bucketCount);
    this.layouts = options.histograms;
  }

  get spanMs(): number {
    return this.bucketMs * this.bucketCount;
  }

  /** Adds a sample at event time `at` (ignored when it is outside the window at `now` or in its future). */
  record(at: number, now: number, sample: WindowSample): boolean {
    const bucket = this.bucketFor(at, now);
    if (!bucket) return false;
    if (sample.outcome === 'success') bucket.successes++;
    else if (sample.outcome === 'failure') bucket.failures++;
    if (sample.toolSuccess !== undefined) {
      bucket.toolAttempts++;
      if (sample.toolSuccess) bucket.toolSuccesses++;
    }
    if (this.layouts) {
      if (sample.ttftMs !== undefined && sample.ttftMs !== null) (bucket.ttft ??= new Histogram(this.layouts.ttft)).add(sample.ttftMs);
      if (sample.tokensPerSecond !== undefined && sample.tokensPerSecond !== null) (bucket.throughput ??= new Histogram(this.layouts.throughput)).add(sample.tokensPerSecond);
    }
    return true;
  }

  /** Sums of the buckets inside the window at `now`. Histograms are fresh copies (null when no sample). */
  aggregate(now: number): WindowAggregate {
    const result: WindowAggregate = { successes: 0, failures: 0, toolSuccesses: 0, toolAttempts: 0, ttft: null, throughput: null };
    const newest = Math.floor(now / this.bucketMs);
    const oldest = newest - this.bucketCount + 1;
    for (const bucket of this.buckets) {
      if (!bucket || bucket.index < oldest || bucket.index > newest) continue;
      result.successes += bucket.successes;
      result.failures += bucket.failures;
      result.toolSuccesses += bucket.toolSuccesses;
      result.toolAttempts += bucket.toolAttempts;
      if (bucket.ttft && bucket.ttft.total > 0) (result.ttft ??= new Histogram(bucket.ttft.layout)).merge(bucket.ttft);
      if (bucket.throughput && bucket.throughput.total > 0) (result.throughput ??= new Histogram(bucket.throughput.layout)).merge(bucket.throughput);
    }
    return result;
  }

  /** True when no bucket inside the window at `now` holds anything. */
  isEmpty(now: number): boolean {
    const aggregate = this.aggregate(now);
    return aggregate.successes + aggregate.failures + aggregate.toolAttempts === 0 && aggregate.ttft === null && aggregate.throughput === null;
  }

  clear(): void {
    this.buckets.fill(undefined);
  }

  /** The buckets still inside the window at `now`, compactly. */
  serialize(now: number): SerializedBucket[] {
    const newest = Math.floor(now / this.bucketMs);
    const oldest = newest - this.bucketCount + 1;
    const result: SerializedBucket[] = [];
    for (const bucket of this.buckets) {
      if (!bucket || bucket.index < oldest || bucket.index > newest) continue;
      const empty = bucket.successes + bucket.failures + bucket.toolAttempts === 0 && !bucket.ttft?.total && !bucket.throughput?.total;
      if (empty) continue;
      result.push([
        bucket.index,
        bucket.successes,
        bucket.failures,
        bucket.toolSuccesses,
        bucket.toolAttempts,
        bucket.ttft && bucket.ttft.total > 0 ? bucket.ttft.toJSON() : null,
        bucket.throughput && bucket.throughput.total > 0 ? bucket.throughput.toJSON() : null,
      ]);
    }
    return result.sort((left, right) => left[0] - right[0]);
  }

  /** Restores serialized buckets; those outside the window at `now` (or malformed) are skipped. */
  restore(serialized: readonly SerializedBucket[], now: number): void {
    this.clear();
    if (!Array.isArray(serialized)) return;
    const newest = Math.floor(now / this.bucketMs);
    const oldest = newest - this.bucketCount + 1;
    for (const entry of serialized) {
      if (!Array.isArray(entry) || entry.length < 5) continue;
      const [index, successes, failures, toolSuccesses, toolAttempts, ttft, throughput] = entry;
      if (!Number.isInteger(index) || index < oldest || index > newest) continue;
      if (![successes, failures, toolSuccesses, toolAttempts].every((value) => Number.isInteger(value) && value >= 0)) continue;
      const bucket = this.slotFor(index);
      bucket.successes = successes;
      bucket.failures = failures;
      bucket.toolSuccesses = Math.min(toolSuccesses, toolAttempts);
      bucket.toolAttempts = toolAttempts;
      if (this.layouts) {
        if (ttft) (bucket.ttft ??= new Histogram(this.layouts.ttft)).load(ttft);
        if (throughput) (bucket.throughput ??= new Histogram(this.layouts.throughput)).load(throughput);
      }
    }
  }

  private bucketFor(at: number, now: number): Bucket | undefined {
    if (!Number.isFinite(at)) return undefined;
    const index = Math.floor(at / this.bucketMs);
    const newest = Math.floor(now / this.bucketMs);
    if (index > newest || index <= newest - this.bucketCount) return undefined;
    const slot = modulo(index, this.bucketCount);
    const bucket = this.buckets[slot];
    if (bucket && bucket.index === index) return bucket;
    // The slot holds a bucket of an older round (inside the window only one bucket maps to a slot).
    return this.slotFor(index);
  }

  /** The bucket of `index`, recycling its slot in place. */
  private slotFor(index: number): Bucket {
    const slot = modulo(index, this.bucketCount);
    let bucket = this.buckets[slot];
    if (!bucket) {
      bucket = { index, successes: 0, failures: 0, toolSuccesses: 0, toolAttempts: 0, ttft: null, throughput: null };
      this.buckets[slot] = bucket;
      return bucket;
    }
    if (bucket.index !== index) {
      bucket.index = index;
      bucket.successes = 0;
      bucket.failures = 0;
      bucket.toolSuccesses = 0;
      bucket.toolAttempts = 0;
      bucket.ttft?.reset();
      bucket.throughput?.reset();
    }
    return bucket;
  }
}

function modulo(value: number, divisor: number): number {
  const remainder = value % divisor;
  return remainder < 0 ? remainder + divisor : remainder;
}
