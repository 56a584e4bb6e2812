import { jest } from '@jest/globals';
import { AttemptWatchdog, Heartbeat, type TimeoutPhase } from './attempt-timers.js';

const timeouts = { connectMs: 1_000, firstTokenMs: 3_000, idleMs: 500 };

describe('AttemptWatchdog (timeout classification)', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  function watchdog(limits = timeouts) {
    const expired: Array<{ phase: TimeoutPhase; limitMs: number; at: number }> = [];
    const dog = new AttemptWatchdog(limits, (phase, limitMs) => expired.push({ phase, limitMs, at: Date.now() }), () => Date.now());
    return { dog, expired };
  }

  it('reports a connect timeout when no headers arrive within connectMs', () => {
    const { dog, expired } = watchdog();
    dog.start();
    jest.advanceTimersByTime(999);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(expired).toEqual([{ phase: 'connect', limitMs: 1_000, at: 1_001_000 }]);
  });

  it('reports first-token, counted from the request, once headers came but no content did', () => {
    const { dog, expired } = watchdog();
    dog.start();
    jest.advanceTimersByTime(800);
    dog.headers();
    dog.part(false); // response metadata is not content
    jest.advanceTimersByTime(2_199);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(expired).toEqual([{ phase: 'first-token', limitMs: 3_000, at: 1_003_000 }]);
  });

  it('reports first-token before headers when firstTokenMs is the shorter limit', () => {
    const { dog, expired } = watchdog({ connectMs: 5_000, firstTokenMs: 2_000, idleMs: 500 });
    dog.start();
    jest.advanceTimersByTime(2_000);
    expect(expired.map((entry) => entry.phase)).toEqual(['first-token']);
  });

  it('reports idle when parts stop for idleMs after content started, and each part pushes the deadline', () => {
    const { dog, expired } = watchdog();
    dog.start();
    dog.headers();
    jest.advanceTimersByTime(100);
    dog.part(true);
    for (let index = 0; index < 10; index++) {
      jest.advanceTimersByTime(400);
      dog.part(true);
    }
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(499);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(expired).toEqual([{ phase: 'idle', limitMs: 500, at: 1_004_600 }]);
  });

  it('brings the timer forward when the idle deadline is earlier than the pending first-token one', () => {
    const { dog, expired } = watchdog({ connectMs: 1_000, firstTokenMs: 60_000, idleMs: 200 });
    dog.start();
    dog.headers();
    dog.part(true);
    jest.advanceTimersByTime(200);
    expect(expired.map((entry) => entry.phase)).toEqual(['idle']);
  });

  it('fires at most once and never after stop()', () => {
    const { dog, expired } = watchdog();
    dog.start();
    jest.advanceTimersByTime(10_000);
    expect(expired).toHaveLength(1);
    const second = watchdog();
    second.dog.start();
    second.dog.stop();
    jest.advanceTimersByTime(10_000);
    expect(second.expired).toEqual([]);
  });
});

describe('Heartbeat', () => {
  beforeEach(() => jest.useFakeTimers({ now: 5_000 }));
  afterEach(() => jest.useRealTimers());

  it('beats every interval while nothing else is sent', () => {
    const beats: number[] = [];
    const heartbeat = new Heartbeat(200, () => beats.push(Date.now()), () => Date.now());
    heartbeat.start();
    jest.advanceTimersByTime(1_000);
    expect(beats).toEqual([5_200, 5_400, 5_600, 5_800, 6_000]);
    heartbeat.stop();
    jest.advanceTimersByTime(1_000);
    expect(beats).toHaveLength(5);
  });

  it('stays silent while frames flow and resumes an interval after the last one', () => {
    const beats: number[] = [];
    const heartbeat = new Heartbeat(200, () => beats.push(Date.now()), () => Date.now());
    heartbeat.start();
    for (let index = 0; index < 10; index++) {
      jest.advanceTimersByTime(100);
      heartbeat.touch();
    }
    expect(beats).toEqual([]);
    jest.advanceTimersByTime(200);
    expect(beats).toEqual([6_200]);
  });
});
