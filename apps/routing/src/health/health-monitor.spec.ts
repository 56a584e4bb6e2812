import { attemptCompletedSchema, type AttemptCompleted } from '@switchyard/contracts';
import { endpointHealthSchema } from '@switchyard/llm-spec';
import fc from 'fast-check';
import { classifyAttempt } from './attempt-outcome.js';
import { HealthMonitor, type HealthMonitorOptions } from './health-monitor.js';

const START = 1_700_000_000_000;
const ENDPOINT = 'openai/gpt-4o-mini@openai';

class FakeClock {
  constructor(public time = START) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

const options: HealthMonitorOptions = {
  breaker: { windowMs: 30_000, minFailures: 5, errorRate: 0.5, consecutiveFailures: 10, coolDownMs: 10_000, maxCoolDownMs: 300_000, halfOpenSuccesses: 1 },
  weight: { degraded: 0.5, degradedErrorRate: 0.1, minSamples: 10 },
  maxTrackedEndpoints: 100,
};

let counter = 0;
function event(clock: FakeClock, overrides: Partial<AttemptCompleted> = {}) {
  counter++;
  return attemptCompletedSchema.parse({
    attemptId: `att-${counter}`,
    generationId: `gen-${counter}`,
    endpointId: ENDPOINT,
    providerSlug: 'openai',
    modelId: 'openai/gpt-4o-mini',
    ok: true,
    status: 200,
    durationMs: 500,
    ttftMs: 120,
    completionTokens: 50,
    tokensPerSecond: 80,
    at: clock.now(),
    ...overrides,
  });
}

function failure(clock: FakeClock, overrides: Partial<AttemptCompleted> = {}) {
  return event(clock, { ok: false, status: 502, errorType: 'provider_unavailable', retryable: true, ttftMs: null, completionTokens: 0, tokensPerSecond: null, ...overrides });
}

describe('classifyAttempt', () => {
  it.each([
    [{ ok: true, status: 200 }, 'success'],
    [{ ok: false, status: 500 }, 'failure'],
    [{ ok: false, status: 503 }, 'failure'],
    [{ ok: false, status: 429 }, 'failure'],
    [{ ok: false, status: 408 }, 'failure'],
    [{ ok: false, status: 0, errorType: 'provider_unavailable' }, 'failure'],
    [{ ok: false, status: 200, errorType: 'timeout' }, 'failure'],
    [{ ok: false, status: 400, errorType: 'context_length_exceeded' }, 'neutral'],
    [{ ok: false, status: 401, errorType: 'authentication' }, 'neutral'],
    [{ ok: false, status: 422, errorType: 'unprocessable' }, 'neutral'],
    [{ ok: false, status: 499, errorType: 'unmapped' }, 'neutral'],
  ] as const)('%j → %s', (outcome, expected) => {
    expect(classifyAttempt(outcome)).toBe(expected);
  });
});

describe('HealthMonitor', () => {
  let clock: FakeClock;
  let monitor: HealthMonitor;

  beforeEach(() => {
    clock = new FakeClock();
    monitor = new HealthMonitor(options, clock);
  });

  it('publishes nothing for an endpoint it knows nothing about', () => {
    expect(monitor.tableEntries([ENDPOINT])).toEqual({});
    expect(monitor.health(ENDPOINT)).toEqual(endpointHealthSchema.parse({}));
  });

  it('counts provider-side failures against uptime but not request errors or cancels', () => {
    for (let index = 0; index < 3; index++) monitor.record(event(clock));
    monitor.record(failure(clock));
    monitor.record(failure(clock, { status: 400, errorType: 'invalid_request', retryable: false }));
    monitor.record(failure(clock, { status: 499, errorType: 'unmapped' }));
    const health = monitor.health(ENDPOINT);
    expect(health).toMatchObject({ uptime5m: 75, uptime30m: 75, uptime1d: 75, state: 'closed' });
    expect(health.latencyP50Last5m).toBe(120);
    expect(health.throughputP50Last5m).toBe(80);
  });

  it('marks the last provider-side failure, and a change only when it moves forward', () => {
    const first = monitor.record(failure(clock));
    expect(first.changed).toBe(true);
    expect(monitor.health(ENDPOINT).lastFailureAt).toBe(START);
    expect(monitor.record(failure(clock, { at: START - 1_000 })).changed).toBe(false);
    expect(monitor.record(event(clock)).changed).toBe(false);
    expect(monitor.record(failure(clock, { status: 400, errorType: 'invalid_request' })).changed).toBe(false);
  });

  it("sets retryAfterUntil from a 429's retryAfterMs and clears it once passed", () => {
    const outcome = monitor.record(failure(clock, { status: 429, errorType: 'rate_limit_exceeded', retryAfterMs: 20_000 }));
    expect(outcome.changed).toBe(true);
    expect(monitor.health(ENDPOINT).retryAfterUntil).toBe(START + 20_000);
    // a shorter retry-after does not shorten it
    expect(monitor.record(failure(clock, { status: 429, retryAfterMs: 5_000 })).changed).toBe(false);
    expect(monitor.health(ENDPOINT).retryAfterUntil).toBe(START + 20_000);
    clock.advance(20_000);
    expect(monitor.health(ENDPOINT).retryAfterUntil).toBeNull();
  });

  it('opens the breaker after the failure threshold and reports the transition', () => {
    let last;
    for (let index = 0; index < 5; index++) last = monitor.record(failure(clock));
    expect(last!.transition).toMatchObject({ endpointId: ENDPOINT, kind: 'breaker', from: 'closed', to: 'open' });
    expect(last!.changed).toBe(true);
    expect(monitor.state(ENDPOINT)).toBe('open');
    expect(monitor.tableEntries()[ENDPOINT].state).toBe('open');
  });

  it('turns half-open on tick after the cool-down and lists the endpoint for probing', () => {
    for (let index = 0; index < 5; index++) monitor.record(failure(clock));
    clock.advance(9_999);
    expect(monitor.tick()).toEqual([]);
    clock.advance(1);
    expect(monitor.tick()).toEqual([expect.objectContaining({ endpointId: ENDPOINT, from: 'open', to: 'half-open' })]);
    expect(monitor.halfOpenEndpoints()).toEqual([{ endpointId: ENDPOINT, lastProbeAt: null, halfOpenSince: START + 10_000 }]);
  });

  it('closes on a probe result once, whether it comes from the client or from providers first', () => {
    for (let index = 0; index < 5; index++) monitor.record(failure(clock));
    clock.advance(10_000);
    monitor.tick();
    const local = monitor.recordProbe(ENDPOINT, 'att-probe-1', { ok: true, status: 200 });
    expect(local.transition).toMatchObject({ from: 'half-open', to: 'closed' });
    const echoed = monitor.record(event(clock, { attemptId: 'att-probe-1', generationId: 'probe-abc' }));
    expect(echoed.status).toBe('duplicate');
    expect(echoed.probe).toBe(true);
  });

  it('stops publishing the failure mark once a half-open probe closed the breaker, and publishes a later failure again', () => {
    for (let index = 0; index < 5; index++) monitor.record(failure(clock));
    clock.advance(10_000);
    monitor.tick();
    clock.advance(1_000);
    const failedProbe = monitor.recordProbe(ENDPOINT, 'att-probe-f', { ok: false, status: 500 });
    expect(failedProbe.transition).toMatchObject({ from: 'half-open', to: 'open' });
    expect(monitor.health(ENDPOINT).lastFailureAt).toBe(START + 11_000);
    clock.advance(20_000);
    monitor.tick();
    clock.advance(500);
    const probe = monitor.recordProbe(ENDPOINT, 'att-probe-ok', { ok: true, status: 200 });
    expect(probe).toMatchObject({ changed: true, transition: { from: 'half-open', to: 'closed' } });
    // The recovery is proven: the planner must not keep demoting it as "failed in the last 30 s".
    expect(monitor.health(ENDPOINT)).toMatchObject({ state: 'closed', lastFailureAt: null });
    expect(monitor.tableEntries()[ENDPOINT]?.lastFailureAt ?? null).toBeNull();
    // The admin view still knows when it last failed.
    expect(monitor.details(ENDPOINT).lastFailureAt).toBe(START + 11_000);
    // A straggler that failed before the close stays history; a failure after it is published again.
    expect(monitor.record(failure(clock, { at: clock.now() - 2_000 })).transition).toBeNull();
    expect(monitor.health(ENDPOINT).lastFailureAt).toBeNull();
    clock.advance(100);
    const later = monitor.record(failure(clock));
    expect(later.changed).toBe(true);
    expect(monitor.health(ENDPOINT).lastFailureAt).toBe(clock.now());
  });

  it('keeps publishing a failure when the breaker never opened (no probe proved anything)', () => {
    monitor.record(failure(clock));
    clock.advance(100);
    monitor.record(event(clock));
    expect(monitor.health(ENDPOINT).lastFailureAt).toBe(START);
  });

  it('applies a probe once when providers reports it before the client does', () => {
    for (let index = 0; index < 5; index++) monitor.record(failure(clock));
    clock.advance(10_000);
    monitor.tick();
    const echoed = monitor.record(failure(clock, { attemptId: 'att-probe-2', generationId: 'probe-def' }));
    expect(echoed).toMatchObject({ status: 'applied', probe: true, transition: { from: 'half-open', to: 'open' } });
    const local = monitor.recordProbe(ENDPOINT, 'att-probe-2', { ok: false, status: 503 });
    expect(local.status).toBe('duplicate');
    expect(monitor.details(ENDPOINT).breaker.openings).toBe(2);
  });

  it('never counts probes in public uptime or latency', () => {
    monitor.record(event(clock, { generationId: 'probe-1', ok: false, status: 503 }));
    monitor.record(event(clock, { probe: true }));
    monitor.recordProbe(ENDPOINT, 'att-x', { ok: false, status: 500 });
    const health = monitor.health(ENDPOINT);
    expect(health.uptime5m).toBeNull();
    expect(health.latency30m).toBeNull();
    // but a failed probe is a provider-side failure
    expect(health.lastFailureAt).toBe(START);
  });

  it('lowers the weight when the 5-minute error rate is degraded, with enough samples', () => {
    for (let index = 0; index < 8; index++) monitor.record(event(clock));
    monitor.record(failure(clock));
    expect(monitor.health(ENDPOINT).weight).toBe(1); // 9 samples: not enough
    monitor.record(event(clock));
    expect(monitor.health(ENDPOINT).weight).toBe(0.5); // 1 of 10 = 10 %
    for (let index = 0; index < 10; index++) monitor.record(event(clock));
    expect(monitor.health(ENDPOINT).weight).toBe(1); // 1 of 20 = 5 %
    clock.advance(5 * 60_000);
    expect(monitor.health(ENDPOINT).weight).toBe(1);
  });

  it('drains and undrains over the breaker state, and only drain changes are public while drained', () => {
    expect(monitor.drain(ENDPOINT, { reason: 'maintenance', drainedAt: START })).toMatchObject({ kind: 'drain', from: 'closed', to: 'drained' });
    expect(monitor.drain(ENDPOINT, { reason: 'again', drainedAt: START })).toBeNull();
    expect(monitor.tableEntries()[ENDPOINT]).toMatchObject({ state: 'drained', weight: 1 });
    let last;
    for (let index = 0; index < 5; index++) last = monitor.record(failure(clock));
    expect(last!.transition).toMatchObject({ to: 'open' });
    expect(monitor.isPublicChange(last!.transition!)).toBe(false);
    expect(monitor.state(ENDPOINT)).toBe('drained');
    expect(monitor.halfOpenEndpoints()).toEqual([]);
    expect(monitor.undrain(ENDPOINT)).toMatchObject({ from: 'drained', to: 'open' });
    expect(monitor.undrain(ENDPOINT)).toBeNull();
  });

  it('applies a full set of drains from storage as a diff', () => {
    monitor.drain('a', { reason: null, drainedAt: START });
    monitor.drain('b', { reason: null, drainedAt: START });
    const changes = monitor.applyDrains(new Map([['b', { reason: null, drainedAt: START }], ['c', { reason: 'x', drainedAt: START }]]));
    expect(changes.map((change) => `${change.endpointId}:${change.to}`).sort()).toEqual(['a:closed', 'c:drained']);
  });

  it('drops events older than a day and caps the endpoints it tracks', () => {
    expect(monitor.record(failure(clock, { at: START - 86_400_000 })).status).toBe('stale');
    const small = new HealthMonitor({ ...options, maxTrackedEndpoints: 1 }, clock);
    expect(small.record(event(clock, { endpointId: 'a' })).status).toBe('applied');
    expect(small.record(event(clock, { endpointId: 'b' })).status).toBe('dropped');
  });

  it('restores a serialized monitor with the same table (breaker, marks and stats)', () => {
    for (let index = 0; index < 3; index++) monitor.record(event(clock));
    for (let index = 0; index < 5; index++) monitor.record(failure(clock, { endpointId: 'other@x', status: 429, retryAfterMs: 60_000 }));
    const rows = JSON.parse(JSON.stringify(monitor.serialize()));
    const restored = new HealthMonitor(options, clock);
    expect(restored.restore(rows)).toBe(2);
    expect(restored.tableEntries()).toEqual(monitor.tableEntries());
    expect(restored.state('other@x')).toBe('open');
  });

  it('forgets endpoints outside the catalog once they have nothing left to say', () => {
    monitor.record(event(clock, { endpointId: 'gone@x' }));
    monitor.record(event(clock));
    expect(monitor.prune(() => false)).toEqual([]);
    clock.advance(86_400_000);
    expect(monitor.prune((id) => id === ENDPOINT)).toEqual(['gone@x']);
    expect(monitor.size).toBe(1);
  });

  it('keeps every published figure inside its schema range for any event stream', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            ok: fc.boolean(),
            status: fc.constantFrom(200, 400, 429, 499, 500, 502, 503, 504),
            ttftMs: fc.option(fc.double({ min: 0, max: 100_000, noNaN: true }), { nil: null }),
            tokensPerSecond: fc.option(fc.double({ min: 0, max: 5_000, noNaN: true }), { nil: null }),
            usedTools: fc.boolean(),
            probe: fc.boolean(),
            lag: fc.integer({ min: 0, max: 3_600_000 }),
            advance: fc.integer({ min: 0, max: 60_000 }),
            retryAfterMs: fc.option(fc.integer({ min: 0, max: 120_000 }), { nil: null }),
          }),
          { maxLength: 80 },
        ),
        (steps) => {
          const local = new FakeClock();
          const subject = new HealthMonitor(options, local);
          for (const step of steps) {
            local.advance(step.advance);
            subject.record(event(local, { ...step, at: local.now() - step.lag }));
            subject.tick();
          }
          for (const health of Object.values(subject.tableEntries([ENDPOINT]))) {
            expect(endpointHealthSchema.safeParse(health).success).toBe(true);
            for (const percentiles of [health.latency30m, health.throughput30m]) {
              if (percentiles) {
                expect(percentiles.p50).toBeLessThanOrEqual(percentiles.p75);
                expect(percentiles.p75).toBeLessThanOrEqual(percentiles.p90);
                expect(percentiles.p90).toBeLessThanOrEqual(percentiles.p99);
              }
            }
          }
        },
      ),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 100) },
    );
  });
});
