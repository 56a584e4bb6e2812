import fc from 'fast-check';
import { type BreakerOptions, CircuitBreaker } from './circuit-breaker.js';

const START = 1_700_000_000_000;
const options: BreakerOptions = {
  windowMs: 30_000,
  minFailures: 5,
  errorRate: 0.5,
  consecutiveFailures: 10,
  coolDownMs: 10_000,
  maxCoolDownMs: 60_000,
  halfOpenSuccesses: 1,
};

function openedBreaker(at = START, overrides: Partial<BreakerOptions> = {}): CircuitBreaker {
  const breaker = new CircuitBreaker({ ...options, ...overrides });
  for (let index = 0; index < 5; index++) breaker.record('failure', at, at, false);
  expect(breaker.state).toBe('open');
  return breaker;
}

describe('CircuitBreaker', () => {
  it('opens on ≥ 5 failures at ≥ 50 % error rate in the window, not before', () => {
    const breaker = new CircuitBreaker(options);
    for (let index = 0; index < 4; index++) expect(breaker.record('failure', START, START, false)).toBeNull();
    expect(breaker.state).toBe('closed');
    const transition = breaker.record('failure', START + 1, START + 1, false);
    expect(transition).toMatchObject({ from: 'closed', to: 'open', at: START + 1 });
    expect(transition!.cause).toContain('5 failures of 5 attempts');
    expect(breaker.openUntil).toBe(START + 1 + 10_000);
  });

  it('stays closed while the error rate is below the threshold', () => {
    const breaker = new CircuitBreaker(options);
    for (let index = 0; index < 8; index++) breaker.record('success', START, START, false);
    for (let index = 0; index < 7; index++) breaker.record('failure', START, START, false);
    breaker.record('success', START, START, false);
    // 7 failures of 16 = 44 %
    expect(breaker.state).toBe('closed');
    expect(breaker.windowCounts(START)).toEqual({ failures: 7, total: 16 });
  });

  it('forgets failures older than the window', () => {
    const breaker = new CircuitBreaker(options);
    for (let index = 0; index < 4; index++) breaker.record('failure', START, START, false);
    breaker.record('success', START + 31_000, START + 31_000, false);
    expect(breaker.record('failure', START + 31_000, START + 31_000, false)).toBeNull();
    expect(breaker.state).toBe('closed');
  });

  it('opens after N consecutive failures even when the window is mostly successes', () => {
    const breaker = new CircuitBreaker({ ...options, consecutiveFailures: 6 });
    for (let index = 0; index < 100; index++) breaker.record('success', START, START, false);
    for (let index = 0; index < 5; index++) breaker.record('failure', START, START, false);
    expect(breaker.state).toBe('closed');
    expect(breaker.record('failure', START, START, false)).toMatchObject({ to: 'open', cause: '6 consecutive failures' });
  });

  it('turns half-open when the cool-down has passed, and closes on a successful probe', () => {
    const breaker = openedBreaker();
    expect(breaker.tick(START + 9_999)).toBeNull();
    expect(breaker.tick(START + 10_000)).toMatchObject({ from: 'open', to: 'half-open' });
    expect(breaker.halfOpenSince).toBe(START + 10_000);
    expect(breaker.record('success', START + 10_500, START + 10_500, true)).toMatchObject({ from: 'half-open', to: 'closed', cause: 'probe succeeded' });
    expect(breaker.openings).toBe(0);
    expect(breaker.windowCounts(START + 10_500)).toEqual({ failures: 0, total: 0 });
  });

  it('re-opens on a failed probe with an exponentially longer cool-down, capped', () => {
    const breaker = openedBreaker();
    let now = START;
    const coolDowns: number[] = [];
    for (let round = 0; round < 6; round++) {
      coolDowns.push(breaker.openUntil! - breaker.openedAt!);
      now = breaker.openUntil!;
      breaker.tick(now);
      expect(breaker.state).toBe('half-open');
      now += 100;
      expect(breaker.record('failure', now, now, true)).toMatchObject({ from: 'half-open', to: 'open' });
    }
    expect(coolDowns).toEqual([10_000, 20_000, 40_000, 60_000, 60_000, 60_000]);
  });

  it('needs the configured number of successful trials to close', () => {
    const breaker = openedBreaker(START, { halfOpenSuccesses: 2 });
    breaker.tick(START + 10_000);
    expect(breaker.record('success', START + 10_100, START + 10_100, true)).toBeNull();
    expect(breaker.state).toBe('half-open');
    expect(breaker.record('success', START + 10_200, START + 10_200, false)).toMatchObject({ to: 'closed', cause: 'attempt succeeded' });
  });

  it('re-opens when a real attempt fails in half-open', () => {
    const breaker = openedBreaker();
    breaker.tick(START + 10_000);
    expect(breaker.record('failure', START + 10_100, START + 10_100, false)).toMatchObject({ from: 'half-open', to: 'open', cause: 'attempt failed in half-open' });
    expect(breaker.openUntil).toBe(START + 10_100 + 20_000);
  });

  it('ignores real attempts while open, and results older than the current episode', () => {
    const breaker = openedBreaker();
    expect(breaker.record('success', START + 1_000, START + 1_000, false)).toBeNull();
    expect(breaker.record('failure', START + 1_000, START + 1_000, false)).toBeNull();
    expect(breaker.state).toBe('open');
    breaker.tick(START + 10_000);
    // an attempt that completed before the breaker turned half-open
    expect(breaker.record('success', START + 9_000, START + 10_001, false)).toBeNull();
    // a probe from before the opening
    expect(breaker.record('success', START - 1, START + 10_001, true)).toBeNull();
    expect(breaker.state).toBe('half-open');
  });

  it("follows another replica's probe while still open (replicas converge)", () => {
    const success = openedBreaker();
    expect(success.record('success', START + 9_900, START + 9_900, true)).toMatchObject({ from: 'open', to: 'closed' });
    const failure = openedBreaker();
    expect(failure.record('failure', START + 9_900, START + 9_900, true)).toMatchObject({ from: 'open', to: 'open' });
    expect(failure.openUntil).toBe(START + 9_900 + 20_000);
  });

  it('ignores late probe results and pre-close failures once closed', () => {
    const breaker = openedBreaker();
    breaker.tick(START + 10_000);
    breaker.record('success', START + 10_100, START + 10_100, true);
    expect(breaker.record('failure', START + 10_200, START + 10_200, true)).toBeNull();
    for (let index = 0; index < 10; index++) breaker.record('failure', START + 5_000, START + 10_300, false);
    expect(breaker.state).toBe('closed');
  });

  it('survives a serialize/restore round trip', () => {
    const breaker = openedBreaker();
    const copy = new CircuitBreaker(options);
    copy.restore(JSON.parse(JSON.stringify(breaker.toJSON(START))), START + 1);
    expect(copy).toMatchObject({ state: 'open', openings: 1, openedAt: START, openUntil: START + 10_000 });
    expect(copy.tick(START + 10_000)).toMatchObject({ to: 'half-open' });
  });

  it('only ever moves along the allowed transitions, for any sequence of outcomes and ticks', () => {
    const allowed = new Set(['closed>open', 'open>half-open', 'open>closed', 'open>open', 'half-open>closed', 'half-open>open']);
    fc.assert(
      fc.property(
        fc.array(fc.record({ kind: fc.constantFrom('success', 'failure', 'tick'), probe: fc.boolean(), advance: fc.integer({ min: 0, max: 20_000 }) }), { maxLength: 200 }),
        (steps) => {
          const breaker = new CircuitBreaker(options);
          let now = START;
          for (const step of steps) {
            now += step.advance;
            const transition = step.kind === 'tick' ? breaker.tick(now) : breaker.record(step.kind, now, now, step.probe);
            if (transition) expect(allowed.has(`${transition.from}>${transition.to}`)).toBe(true);
            if (breaker.state === 'open') {
              expect(breaker.openUntil! - breaker.openedAt!).toBeGreaterThanOrEqual(options.coolDownMs);
              expect(breaker.openUntil! - breaker.openedAt!).toBeLessThanOrEqual(options.maxCoolDownMs);
            }
          }
        },
      ),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 200) },
    );
  });
});
