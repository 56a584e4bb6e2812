import { GatewayError, ServiceUnavailableError, subjects, type AccountRecord, type KeyRecord, type LeaseReply, type LeaseRequest } from '@switchyard/contracts';
import { Decimal, formatMoney, toDecimal } from '@switchyard/money';
import { MetricsService, type NatsService } from '@switchyard/nest-kit';
import type { PlannedAttempt } from '@switchyard/routing-policy';
import type { Caller } from '../auth/authenticator.service.js';
import { ingressConfigSchema } from '../config/ingress.config.js';
import { attemptBillingFor } from './attempt-billing.js';
import { CreditLeaseService, type Reservation } from './credit-lease.service.js';
import { FreeModelQuota } from './free-model-quota.js';
import { accountRecord, keyRecord } from '../../test/support/records.js';

function caller(overrides: { account?: Partial<AccountRecord>; key?: Partial<KeyRecord> } = {}): Caller {
  return { key: keyRecord(overrides.key), account: accountRecord(overrides.account) };
}

function attempt(variant: 'standard' | 'free', overrides: { pricing?: { prompt: string; completion: string }; isByok?: boolean } = {}): PlannedAttempt {
  return {
    endpoint: { id: `m/x@p${variant === 'free' ? '/free' : ''}`, variant, pricing: overrides.pricing ?? { prompt: '0', completion: '0' }, providerSlug: 'p' },
    model: { id: 'm/x' },
    provider: { name: 'P' },
    isByok: overrides.isByok ?? false,
    sticky: false,
    reason: '',
  } as unknown as PlannedAttempt;
}

/** A NatsService whose `request` is answered by `answer` (throw to simulate an unreachable billing). */
function fakeNats(answer: (subject: string, data: any) => unknown): NatsService & { calls: Array<{ subject: string; data: any }> } {
  const calls: Array<{ subject: string; data: any }> = [];
  return {
    calls,
    request: async (subject: string, data: unknown) => {
      calls.push({ subject, data });
      await new Promise((resolve) => setImmediate(resolve));
      return answer(subject, data);
    },
  } as unknown as NatsService & { calls: Array<{ subject: string; data: any }> };
}

describe('FreeModelQuota', () => {
  const allowed = { allowed: true, window: 'minute', limit: 20, remaining: 19, resetAt: 1_000, retryAfterSeconds: 0 };

  it('asks billing only for requests that may be served by a free endpoint', async () => {
    const nats = fakeNats(() => allowed);
    const paid = [attempt('standard')];
    expect(await new FreeModelQuota(nats).admit(caller(), paid)).toEqual({ attempts: paid });
    expect(nats.calls).toEqual([]);
    const free = [attempt('free')];
    // An allowed free request carries its quota for the response's X-RateLimit-* headers.
    expect(await new FreeModelQuota(nats).admit(caller(), free)).toEqual({ attempts: free, rateLimitHeaders: { 'X-RateLimit-Limit': '20', 'X-RateLimit-Remaining': '19', 'X-RateLimit-Reset': '1000' } });
    expect(nats.calls).toEqual([{ subject: subjects.billing.freeQuota, data: { accountId: 'acct-1', modelId: 'm/x' } }]);
  });

  it("refuses with OpenRouter's 429: free-models-per-min / per-day, X-RateLimit-* and Retry-After", async () => {
    const minute = new FreeModelQuota(fakeNats(() => ({ allowed: false, window: 'minute', limit: 20, remaining: 0, resetAt: 1_700_000_060_000, retryAfterSeconds: 42 })));
    const error = await minute.admit(caller(), [attempt('free')]).catch((thrown: unknown) => thrown);
    expect(GatewayError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ status: 429, message: expect.stringContaining('Rate limit exceeded: free-models-per-min') });
    expect((error as GatewayError).headers).toEqual({ 'X-RateLimit-Limit': '20', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '1700000060000', 'Retry-After': '42' });
    const day = new FreeModelQuota(fakeNats(() => ({ allowed: false, window: 'day', limit: 50, remaining: 0, resetAt: 1_700_006_400_000, retryAfterSeconds: 3600 })));
    expect(await day.admit(caller(), [attempt('free')]).catch((thrown: unknown) => thrown)).toMatchObject({ status: 429, message: expect.stringContaining('free-models-per-day') });
  });

  it('keeps the paid fallbacks when the free quota refuses, and refuses a negative balance with 402 without asking billing', async () => {
    const refusing = fakeNats(() => ({ ...allowed, allowed: false, remaining: 0 }));
    const paid = attempt('standard', { pricing: { prompt: '0.000001', completion: '0.000002' } });
    expect(await new FreeModelQuota(refusing).admit(caller(), [attempt('free'), paid])).toEqual({ attempts: [paid] });
    const quiet = fakeNats(() => allowed);
    expect(await new FreeModelQuota(quiet).admit(caller({ account: { balance: '-0.01' } }), [attempt('free')]).catch((thrown: unknown) => thrown)).toMatchObject({ status: 402 });
    expect(quiet.calls).toEqual([]);
  });

  it('answers 503 with Retry-After when billing cannot be asked', async () => {
    const down = fakeNats(() => {
      throw new ServiceUnavailableError('no responders');
    });
    const error = await new FreeModelQuota(down).admit(caller(), [attempt('free')]).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ status: 503, headers: { 'Retry-After': '1' } });
  });
});

describe('attemptBillingFor', () => {
  it('numbers the attempts and carries each one its endpoint prices, label and BYOK flag, with the account charge inputs', () => {
    const reservation: Reservation = { accountId: 'acct-1', keyHash: 'hash-1', keyLimited: false, amount: new Decimal(1), leaseId: 'lease-9', settled: false };
    const billing = attemptBillingFor({ caller: caller({ account: { privacy: { allowTraining: false, allowRetention: true, requireZdr: false, logPrompts: true }, byokFeeWaived: true } }), requestedModel: 'm/x:free', apiType: 'messages', streamed: true, reservation, requestedAt: Date.parse('2025-01-01T00:00:00Z') });
    const first = billing(attempt('free'));
    const second = billing(attempt('standard', { pricing: { prompt: '0.1', completion: '0.2' }, isByok: true }));
    expect(first).toMatchObject({ attemptNumber: 1, model: 'm/x:free', requestedModel: 'm/x:free', keyId: 'key-1', leaseId: 'lease-9', apiType: 'messages', promptLogging: true, byokFeeWaived: true, isByok: false, requestedAt: '2025-01-01T00:00:00.000Z' });
    expect(second).toMatchObject({ attemptNumber: 2, model: 'm/x', pricing: { prompt: '0.1', completion: '0.2' }, isByok: true });
  });
});

describe('CreditLeaseService', () => {
  const config = ingressConfigSchema.parse({ LEASE_CHUNK_USD: '1', REPLICA_ID: 'replica-1' });

  /** Billing's lease rule for one replica: grant min(requested, what is left of `balance`). */
  function billing(balance: string) {
    let granted = new Decimal(0);
    return fakeNats((subject, data: LeaseRequest) => {
      expect(subject).toBe(subjects.billing.lease);
      const now = Decimal.min(toDecimal(data.requested), Decimal.max(toDecimal(balance).minus(granted), 0));
      granted = granted.plus(now);
      const reply: LeaseReply = { accountId: data.accountId, leaseId: 'lease-1', granted: formatMoney(granted), keyGranted: null, expiresAt: Date.now() + 300_000, grantedNow: formatMoney(now), grantedTotal: formatMoney(granted), debitedTotal: '0' };
      return reply;
    });
  }

  it('admits concurrent requests up to exactly what billing grants, and refuses the rest with 402 and what is available', async () => {
    const nats = billing('0.05');
    const service = new CreditLeaseService(nats, config, new MetricsService());
    const results = await Promise.all(Array.from({ length: 10 }, () => service.reserve(caller({ account: { balance: '0.05' } }), new Decimal('0.01')).catch((error: unknown) => error)));
    const admitted = results.filter((result) => !GatewayError.isInstance(result));
    expect(admitted).toHaveLength(5);
    for (const refusal of results.filter((result) => GatewayError.isInstance(result))) expect(refusal).toMatchObject({ status: 402, metadata: { available: '0', required: '0.01' } });
  });

  it('asks for a quarter of what the account has left, not the whole chunk, so other replicas keep room', async () => {
    const nats = billing('0.4');
    const service = new CreditLeaseService(nats, config, new MetricsService());
    await service.reserve(caller({ account: { balance: '0.4' } }), new Decimal('0.01'));
    expect(nats.calls[0]!.data.requested).toBe('0.1');
  });

  it('asks ahead of need for a quarter of the balance it last saw: a changed balance changes the refill', async () => {
    const nats = billing('10');
    const service = new CreditLeaseService(nats, config, new MetricsService());
    const first = await service.reserve(caller({ account: { balance: '0.4' } }), new Decimal('0.01'));
    expect(nats.calls.map((call) => call.data.requested)).toEqual(['0.1']);
    // The balance billing announced fell to 0.08: the next admission fits the room, and the refill is now 0.02.
    const second = await service.reserve(caller({ account: { balance: '0.08' } }), new Decimal('0.01'));
    expect(nats.calls).toHaveLength(1);
    service.settle(second, new Decimal('0.086')); // room 0.1 - 0.086 - 0.01 = 0.004, under a quarter of the refill
    await new Promise((resolve) => setImmediate(resolve));
    expect(nats.calls.map((call) => call.data.requested)).toEqual(['0.1', '0.02']);
    service.release(first);
  });

  it('answers 503 (not 402) when billing cannot be reached and the lease cannot cover the request', async () => {
    const down = fakeNats(() => {
      throw new ServiceUnavailableError('billing down');
    });
    const service = new CreditLeaseService(down, config, new MetricsService());
    expect(await service.reserve(caller(), new Decimal('0.01')).catch((error: unknown) => error)).toMatchObject({ status: 503, headers: { 'Retry-After': '1' } });
  });

  it('settles the actual cost: the difference to the reservation is room again', async () => {
    const nats = billing('0.02');
    const service = new CreditLeaseService(nats, config, new MetricsService());
    const who = caller({ account: { balance: '0.08' } });
    const first = await service.reserve(who, new Decimal('0.01'));
    const second = await service.reserve(who, new Decimal('0.01'));
    expect(await service.reserve(who, new Decimal('0.01')).catch((error: unknown) => error)).toMatchObject({ status: 402 });
    service.settle(first, new Decimal('0.004'));
    service.release(second);
    await service.reserve(who, new Decimal('0.016'));
  });
});
