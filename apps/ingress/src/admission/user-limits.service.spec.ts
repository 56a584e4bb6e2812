import { PaymentRequiredError, type UserLimitsSnapshot } from '@switchyard/contracts';
import { HealthRegistry, type NatsService, type SnapshotCache } from '@switchyard/nest-kit';
import { blocksFrom, UserLimitsService } from './user-limits.service.js';

const now = Date.parse('2026-11-25T12:00:00Z');
const snapshot: UserLimitsSnapshot = {
  blocks: [
    { keyHash: 'k1', user: 'alice', until: '2026-11-26T00:00:00.000Z', limit: '1', limitReset: 'daily' },
    { keyHash: 'k1', user: 'old', until: '2026-11-25T00:00:00.000Z', limit: '1', limitReset: 'daily' },
    { keyHash: 'k2', user: 'carol', until: null, limit: '0.5', limitReset: null },
  ],
};

function service(): UserLimitsService {
  const limits = new UserLimitsService({} as NatsService, new HealthRegistry());
  (limits as unknown as { cache: SnapshotCache<ReturnType<typeof blocksFrom>> }).cache.set(blocksFrom(snapshot));
  return limits;
}

describe('UserLimitsService (per-end-user budgets in ingress)', () => {
  it('refuses a blocked user on that key only, with a 402 that says the limit, its window and when it resets', () => {
    const limits = service();
    let refusal: unknown;
    try {
      limits.check('k1', 'alice', now);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(PaymentRequiredError);
    expect(refusal).toMatchObject({
      status: 402,
      message: 'This user has reached its spend limit on this API key ($1 per day); it resets at 2026-11-26T00:00:00.000Z',
      metadata: { user: 'alice', user_limit: '1', user_limit_reset: 'daily', resets_at: '2026-11-26T00:00:00.000Z' },
    });
    expect(() => limits.check('k2', 'alice', now)).not.toThrow(); // another key
    expect(() => limits.check('k1', 'bob', now)).not.toThrow(); // another user
    expect(() => limits.check('k1', undefined, now)).not.toThrow(); // no user named
    expect(() => limits.check('k1', '', now)).not.toThrow();
  });

  it('lets a user through once their window is over, and holds one whose limit never resets', () => {
    const limits = service();
    expect(() => limits.check('k1', 'old', now)).not.toThrow();
    expect(() => limits.check('k1', 'alice', Date.parse('2026-11-26T00:00:00Z'))).not.toThrow();
    expect(() => limits.check('k2', 'carol', Date.parse('2099-01-01T00:00:00Z'))).toThrow('This user has reached its spend limit on this API key ($0.5 in total)');
  });

  it('serves everyone before its first snapshot (billing not answered yet)', () => {
    expect(() => new UserLimitsService({} as NatsService, new HealthRegistry()).check('k1', 'alice', now)).not.toThrow();
  });
});
