import fc from 'fast-check';
import { Histogram, HistogramLayout, TTFT_LAYOUT } from './histogram.js';
import { EndpointStats, WINDOWS } from './endpoint-stats.js';
import { RollingWindow } from './rolling-window.js';

const START = 1_700_000_000_000;
const runs = Number(process.env.PROPERTY_RUNS ?? 200);

describe('Histogram', () => {
  it('estimates percentiles within one bucket width of the exact value', () => {
    const histogram = new Histogram(TTFT_LAYOUT);
    for (let value = 1; value <= 1_000; value++) histogram.add(value);
    const p50 = histogram.quantile(0.5)!;
    const p99 = histogram.quantile(0.99)!;
    expect(p50).toBeGreaterThan(500 / 1.25);
    expect(p50).toBeLessThan(500 * 1.25);
    expect(p99).toBeGreaterThan(990 / 1.25);
    expect(p99).toBeLessThanOrEqual(1_000);
  });

  it('returns the exact value when every sample is the same, and null when empty', () => {
    const histogram = new Histogram(TTFT_LAYOUT);
    expect(histogram.percentiles()).toBeNull();
    for (let index = 0; index < 10; index++) histogram.add(237);
    expect(histogram.percentiles()).toEqual({ p50: 237, p75: 237, p90: 237, p99: 237 });
  });

  it('ignores negative and non-finite samples', () => {
    const histogram = new Histogram(TTFT_LAYOUT);
    histogram.add(-1);
    histogram.add(Number.NaN);
    histogram.add(Number.POSITIVE_INFINITY);
    expect(histogram.total).toBe(0);
  });

  it('keeps p50 ≤ p75 ≤ p90 ≤ p99, all within [min, max], for any samples', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 5_000_000, noNaN: true }), { minLength: 1, maxLength: 300 }), (samples) => {
        const histogram = new Histogram(TTFT_LAYOUT);
        for (const sample of samples) histogram.add(sample);
        const percentiles = histogram.percentiles(1)!;
        expect(percentiles.p50).toBeLessThanOrEqual(percentiles.p75);
        expect(percentiles.p75).toBeLessThanOrEqual(percentiles.p90);
        expect(percentiles.p90).toBeLessThanOrEqual(percentiles.p99);
        const min = Math.min(...samples);
        const max = Math.max(...samples);
        expect(percentiles.p50).toBeGreaterThanOrEqual(Math.floor(min * 10) / 10);
        expect(percentiles.p99).toBeLessThanOrEqual(Math.ceil(max * 10) / 10);
      }),
      { numRuns: runs },
    );
  });

  it('round-trips through its compact serialized form', () => {
    const histogram = new Histogram(HistogramLayout.geometric(1, 1_000, 2));
    [3, 3, 40, 999, 5_000].forEach((value) => histogram.add(value));
    const copy = new Histogram(histogram.layout);
    copy.load(JSON.parse(JSON.stringify(histogram.toJSON())));
    expect(copy.total).toBe(5);
    expect(copy.percentiles()).toEqual(histogram.percentiles());
  });
});

describe('RollingWindow', () => {
  it('forgets an event once its bucket leaves the span', () => {
    const window = new RollingWindow({ bucketMs: 10_000, bucketCount: 30 });
    window.record(START, START, { outcome: 'failure' });
    expect(window.aggregate(START + 289_999).failures).toBe(1);
    expect(window.aggregate(START + 300_000).failures).toBe(0);
  });

  it('drops events older than the window or in its future', () => {
    const window = new RollingWindow({ bucketMs: 1_000, bucketCount: 10 });
    expect(window.record(START - 10_000, START, { outcome: 'success' })).toBe(false);
    expect(window.record(START + 1_000, START, { outcome: 'success' })).toBe(false);
    expect(window.aggregate(START).successes).toBe(0);
  });

  it('recycles a slot in place when its bucket comes round again', () => {
    const window = new RollingWindow({ bucketMs: 1_000, bucketCount: 3 });
    window.record(START, START, { outcome: 'failure' });
    window.record(START + 3_000, START + 3_000, { outcome: 'success' });
    expect(window.aggregate(START + 3_000)).toMatchObject({ successes: 1, failures: 0 });
  });

  it('counts exactly the events of the last span − bucket ms, never one older than the span (any event sequence)', () => {
    const bucketMs = 1_000;
    const bucketCount = 20;
    fc.assert(
      fc.property(
        fc.array(fc.record({ delay: fc.integer({ min: 0, max: 3_000 }), lag: fc.integer({ min: 0, max: 30_000 }), success: fc.boolean() }), { maxLength: 200 }),
        fc.integer({ min: 0, max: 40_000 }),
        (steps, readDelay) => {
          const window = new RollingWindow({ bucketMs, bucketCount });
          let now = START;
          const events: Array<{ at: number; success: boolean }> = [];
          for (const step of steps) {
            now += step.delay;
            const at = now - step.lag;
            if (window.record(at, now, { outcome: step.success ? 'success' : 'failure' })) events.push({ at, success: step.success });
          }
          const readAt = now + readDelay;
          const aggregate = window.aggregate(readAt);
          const oldestBucket = Math.floor(readAt / bucketMs) - bucketCount + 1;
          const inside = events.filter((event) => Math.floor(event.at / bucketMs) >= oldestBucket);
          expect(aggregate.successes).toBe(inside.filter((event) => event.success).length);
          expect(aggregate.failures).toBe(inside.filter((event) => !event.success).length);
          // never anything older than the span; always everything younger than span − bucket
          const spanMs = bucketMs * bucketCount;
          expect(inside.every((event) => event.at > readAt - spanMs)).toBe(true);
          const recent = events.filter((event) => event.at > readAt - spanMs + bucketMs);
          expect(recent.every((event) => inside.includes(event))).toBe(true);
        },
      ),
      { numRuns: runs },
    );
  });
});

describe('EndpointStats', () => {
  it('reports uptime per window as successes ÷ (successes + failures)', () => {
    const stats = new EndpointStats();
    for (let index = 0; index < 3; index++) stats.record(START, START, { outcome: 'success' });
    stats.record(START, START, { outcome: 'failure' });
    // a day-window-only event: 2 hours ago
    stats.record(START - 2 * 3_600_000, START, { outcome: 'failure' });
    const summary = stats.summary(START);
    expect(summary.windows['5m']).toEqual({ successes: 3, failures: 1, uptime: 75 });
    expect(summary.windows['30m'].uptime).toBe(75);
    expect(summary.windows['1d']).toEqual({ successes: 3, failures: 2, uptime: 60 });
  });

  it('keeps uptime within [0, 100] (null without outcomes) for any outcomes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 2 * 86_400_000 })), { maxLength: 100 }), fc.integer({ min: 0, max: 2 * 86_400_000 }), (outcomes, later) => {
        const stats = new EndpointStats();
        for (const [success, lag] of outcomes) stats.record(START - lag, START, { outcome: success ? 'success' : 'failure' });
        const summary = stats.summary(START + later);
        for (const name of Object.keys(WINDOWS) as Array<keyof typeof WINDOWS>) {
          const { uptime, successes, failures } = summary.windows[name];
          if (successes + failures === 0) expect(uptime).toBeNull();
          else {
            expect(uptime).toBeGreaterThanOrEqual(0);
            expect(uptime).toBeLessThanOrEqual(100);
          }
        }
      }),
      { numRuns: runs },
    );
  });

  it('publishes 30-minute latency and throughput percentiles and 5-minute medians', () => {
    const stats = new EndpointStats();
    // 20 minutes ago: slow; now: fast
    for (let index = 0; index < 10; index++) stats.record(START - 20 * 60_000, START, { outcome: 'success', ttftMs: 2_000, tokensPerSecond: 20 });
    for (let index = 0; index < 10; index++) stats.record(START, START, { outcome: 'success', ttftMs: 200, tokensPerSecond: 100 });
    const summary = stats.summary(START);
    expect(summary.latency5m).toEqual({ p50: 200, p75: 200, p90: 200, p99: 200 });
    expect(summary.latency30m!.p50).toBe(200);
    // within one bucket (25 %) of the slow samples
    expect(summary.latency30m!.p99).toBeGreaterThan(2_000 / 1.25);
    expect(summary.latency30m!.p99).toBeLessThanOrEqual(2_000);
    expect(summary.throughput5m!.p50).toBe(100);
    expect(summary.throughput30m!.p50).toBe(20);
  });

  it('computes the tool-calling success rate over the day', () => {
    const stats = new EndpointStats();
    stats.record(START - 3_600_000, START, { outcome: 'success', toolSuccess: true });
    stats.record(START, START, { outcome: 'success', toolSuccess: true });
    stats.record(START, START, { outcome: 'success', toolSuccess: false });
    stats.record(START, START, { outcome: 'success', toolSuccess: true });
    expect(stats.summary(START).toolCallSuccessRate).toBe(0.75);
    expect(new EndpointStats().summary(START).toolCallSuccessRate).toBeNull();
  });

  it('restores a snapshot taken earlier, minus what aged out in between', () => {
    const stats = new EndpointStats();
    stats.record(START - 60 * 60_000, START, { outcome: 'failure' });
    stats.record(START, START, { outcome: 'success', ttftMs: 300, tokensPerSecond: 50 });
    const snapshot = JSON.parse(JSON.stringify(stats.serialize(START)));
    const restored = new EndpointStats();
    restored.restore(snapshot, START + 60_000);
    const summary = restored.summary(START + 60_000);
    expect(summary.windows['5m']).toEqual({ successes: 1, failures: 0, uptime: 100 });
    expect(summary.windows['1d']).toEqual({ successes: 1, failures: 1, uptime: 50 });
    expect(summary.latency30m!.p50).toBe(300);
    // ten minutes later the 5-minute window has forgotten it
    restored.restore(snapshot, START + 10 * 60_000);
    expect(restored.summary(START + 10 * 60_000).windows['5m'].uptime).toBeNull();
  });

  it('ignores a malformed snapshot instead of throwing', () => {
    const stats = new EndpointStats();
    expect(() => stats.restore({ layouts: 'x', windows: { '5m': [null, 3, ['a']] } } as never, START)).not.toThrow();
    expect(stats.summary(START).windows['5m'].uptime).toBeNull();
  });
});
