import { FreeQuotaLimiter } from './free-quota-limiter.js';

const MIDNIGHT = Date.parse('2025-06-02T00:00:00Z');

describe('FreeQuotaLimiter', () => {
  it('allows 20 requests in any sliding minute, then says when the oldest leaves the window', () => {
    const limiter = new FreeQuotaLimiter(20);
    const start = MIDNIGHT + 3_600_000;
    for (let index = 0; index < 20; index++) expect(limiter.take('a', 50, start + index * 1000).allowed).toBe(true);
    const refused = limiter.take('a', 50, start + 30_000);
    expect(refused).toEqual({ allowed: false, window: 'minute', limit: 20, remaining: 0, resetAt: start + 60_000, retryAfterSeconds: 30 });
    // Sliding: once the first request is a minute old, one more fits — but not two.
    expect(limiter.take('a', 50, start + 60_000).allowed).toBe(true);
    expect(limiter.take('a', 50, start + 60_500)).toMatchObject({ allowed: false, window: 'minute', retryAfterSeconds: 1 });
    expect(limiter.usedToday('a', start + 60_500)).toBe(21);
  });

  it('caps the UTC day (50, or whatever limit the tier gives) and resets at midnight UTC', () => {
    const limiter = new FreeQuotaLimiter(1000);
    const noon = MIDNIGHT + 12 * 3_600_000;
    for (let index = 0; index < 50; index++) limiter.take('a', 50, noon + index);
    expect(limiter.take('a', 50, noon + 100)).toEqual({ allowed: false, window: 'day', limit: 50, remaining: 0, resetAt: MIDNIGHT + 86_400_000, retryAfterSeconds: 12 * 3600 });
    expect(limiter.take('a', 1000, noon + 200)).toMatchObject({ allowed: true }); // the paid tier's limit
    expect(limiter.take('a', 50, MIDNIGHT + 86_400_000)).toMatchObject({ allowed: true, window: 'day', remaining: 49 });
  });

  it('reports the tighter window when allowed, and does not count refused requests', () => {
    const limiter = new FreeQuotaLimiter(20);
    expect(limiter.take('a', 50, MIDNIGHT + 1)).toMatchObject({ allowed: true, window: 'minute', remaining: 19 });
    const tight = new FreeQuotaLimiter(20);
    tight.seed('b', '2025-06-02', 45, MIDNIGHT + 1);
    expect(tight.take('b', 50, MIDNIGHT + 2)).toMatchObject({ allowed: true, window: 'day', remaining: 4 });
    for (let index = 0; index < 4; index++) tight.take('b', 50, MIDNIGHT + 3 + index);
    for (let index = 0; index < 5; index++) expect(tight.take('b', 50, MIDNIGHT + 10 + index).allowed).toBe(false);
    expect(tight.usedToday('b', MIDNIGHT + 20)).toBe(50);
  });

  it("counts other replicas' requests in the minute window (in time order, not in today's count), ignoring ones over a minute old", () => {
    const limiter = new FreeQuotaLimiter(20);
    const start = MIDNIGHT + 3_600_000;
    for (let index = 0; index < 10; index++) expect(limiter.take('a', 50, start + index * 1000).allowed).toBe(true);
    // Another replica allowed ten in between, and one long ago.
    for (let index = 0; index < 10; index++) limiter.observe('a', start + 500 + index * 1000, start + 10_000);
    limiter.observe('a', start - 61_000, start + 10_000);
    const refused = limiter.take('a', 50, start + 10_000);
    expect(refused).toMatchObject({ allowed: false, window: 'minute', resetAt: start + 60_000 });
    expect(limiter.usedToday('a', start + 10_000)).toBe(10);
    // The oldest of the twenty (this replica's, at `start`) leaves first, then the other replica's at start + 500.
    expect(limiter.take('a', 50, start + 60_000).allowed).toBe(true);
    expect(limiter.take('a', 50, start + 60_100)).toMatchObject({ allowed: false, resetAt: start + 60_500 });
  });

  it('keeps accounts apart', () => {
    const limiter = new FreeQuotaLimiter(1);
    expect(limiter.take('a', 50, MIDNIGHT).allowed).toBe(true);
    expect(limiter.take('b', 50, MIDNIGHT).allowed).toBe(true);
    expect(limiter.take('a', 50, MIDNIGHT).allowed).toBe(false);
  });

  it('drains pending counts for persistence, learns other replicas’ totals, and restores on a failed write', () => {
    const limiter = new FreeQuotaLimiter(100);
    const now = MIDNIGHT + 1000;
    for (let index = 0; index < 3; index++) limiter.take('a', 50, now);
    const drained = limiter.drainPending();
    expect(drained).toEqual([{ accountId: 'a', day: '2025-06-02', delta: 3 }]);
    expect(limiter.drainPending()).toEqual([]);
    limiter.take('a', 50, now); // during the write
    limiter.confirm('a', '2025-06-02', 10); // Postgres says 10 (another replica counted 7)
    expect(limiter.usedToday('a', now)).toBe(11);
    const again = limiter.drainPending();
    limiter.restore(again);
    expect(limiter.usedToday('a', now)).toBe(11);
    expect(limiter.drainPending()).toEqual([{ accountId: 'a', day: '2025-06-02', delta: 1 }]);
  });

  it('carries counts of a finished day to the next drain and forgets idle accounts', () => {
    const limiter = new FreeQuotaLimiter(100);
    limiter.take('a', 50, MIDNIGHT - 1000);
    limiter.take('a', 50, MIDNIGHT + 120_000);
    expect(limiter.drainPending()).toEqual([
      { accountId: 'a', day: '2025-06-01', delta: 1 },
      { accountId: 'a', day: '2025-06-02', delta: 1 },
    ]);
    limiter.prune(MIDNIGHT + 86_400_000 + 120_000);
    expect(limiter.size).toBe(0);
  });
});
