import { freeQuotaReplySchema, GatewayError, PaymentRequiredError, RateLimitError, subjects, type FreeQuotaReply } from '@switchyard/contracts';
import { toDecimal } from '@switchyard/money';
import type { NatsService } from '@switchyard/nest-kit';
import type { PlannedAttempt } from '@switchyard/routing-policy';
import type { Caller } from '../auth/authenticator.service.js';

/** 503 with Retry-After: billing could not be asked (the request may well be affordable). */
export function billingUnavailable(message: string): GatewayError {
  return new GatewayError(503, message, { errorType: 'provider_overloaded', headers: { 'Retry-After': '1' }, metadata: { reason: 'billing_unavailable' } });
}

/** An attempt on a `:free` endpoint (price 0, the provider's rate-limited free tier). */
export function isFreeAttempt(attempt: PlannedAttempt): boolean {
  return attempt.endpoint.variant === 'free';
}

/** `X-RateLimit-Limit/-Remaining/-Reset` (epoch ms, as OpenRouter) of the tighter free-model window. */
export function rateLimitHeadersOf(reply: FreeQuotaReply): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(reply.limit),
    'X-RateLimit-Remaining': String(Math.max(0, reply.remaining)),
    'X-RateLimit-Reset': String(reply.resetAt),
  };
}

/** OpenRouter's wording: "Rate limit exceeded: free-models-per-min" / "free-models-per-day". */
export function freeQuotaError(reply: FreeQuotaReply): RateLimitError {
  const name = reply.window === 'minute' ? 'free-models-per-min' : 'free-models-per-day';
  const rateLimitHeaders = rateLimitHeadersOf(reply);
  const hint = reply.window === 'minute' ? `${reply.limit} requests per minute` : `${reply.limit} requests per day; buying credits raises the daily limit`;
  return new RateLimitError(`Rate limit exceeded: ${name}. Free models allow ${hint}.`, {
    retryAfterSeconds: reply.retryAfterSeconds,
    headers: rateLimitHeaders,
    metadata: { headers: rateLimitHeaders, limit_name: name, provider_name: null },
  });
}

/**
 * The `:free` model quota (20 requests a minute, 50 a day, 1000 once $10 was bought), counted by billing for every
 * ingress replica at once (`sy.billing.free-quota.v1`, answered from billing's memory). Taken once per request
 * that may be served by a free endpoint, before any upstream call.
 *
 * Free endpoints cost nothing, but as on OpenRouter an account with a negative balance cannot use them (402): the
 * balance is the one billing publishes with every change (AccountRecord, in memory here), so this costs no call.
 * When the request also plans paid fallbacks (`models`), a refusal drops only the free attempts: the paid ones
 * are then admitted (or refused) by the credit lease like any paid request.
 */
/** The attempts admitted, and the free-model quota's rate-limit headers when one was taken (for the response). */
export interface FreeQuotaAdmission {
  attempts: PlannedAttempt[];
  rateLimitHeaders?: Record<string, string>;
}

export class FreeModelQuota {
  constructor(
    private readonly nats: NatsService,
    private readonly timeoutMs = 2_000,
  ) {}

  async admit(caller: Caller, attempts: PlannedAttempt[]): Promise<FreeQuotaAdmission> {
    const free = attempts.filter(isFreeAttempt);
    if (free.length === 0) return { attempts };
    const paid = attempts.filter((attempt) => !isFreeAttempt(attempt));
    if (toDecimal(caller.account.balance).lt(0)) {
      if (paid.length > 0) return { attempts: paid };
      throw new PaymentRequiredError('Your account has a negative credit balance: add credits to use free models again', { balance: caller.account.balance });
    }
    let reply: FreeQuotaReply;
    try {
      reply = freeQuotaReplySchema.parse(await this.nats.request(subjects.billing.freeQuota, { accountId: caller.account.accountId, modelId: free[0]!.model.id }, { timeoutMs: this.timeoutMs }));
    } catch (error) {
      if (paid.length > 0) return { attempts: paid };
      if (GatewayError.isInstance(error) && error.status < 500) throw error;
      throw billingUnavailable('The free-model rate limiter (billing) is unavailable; retry shortly');
    }
    // Successful free requests carry the quota too (clients pace themselves by it; OpenRouter sends it on 429s only).
    if (reply.allowed) return { attempts, rateLimitHeaders: rateLimitHeadersOf(reply) };
    if (paid.length > 0) return { attempts: paid };
    throw freeQuotaError(reply);
  }
}
