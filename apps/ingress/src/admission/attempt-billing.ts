import type { AttemptBilling } from '@switchyard/contracts';
import type { PlannedAttempt } from '@switchyard/routing-policy';
import type { Caller } from '../auth/authenticator.service.js';
import type { Reservation } from './credit-lease.service.js';

export interface AttemptBillingContext {
  caller: Caller;
  /** The model as the client asked for it. */
  requestedModel: string;
  apiType: AttemptBilling['apiType'];
  streamed: boolean;
  reservation: Reservation;
  /** When the request was received (epoch ms). */
  requestedAt: number;
  /** Requests billed at the endpoint's per-request price (a rerank's searches); 1 when absent. */
  requests?: number;
}

/**
 * The charge inputs sent with every attempt to providers, which copies them into `attempt-usage`: if this replica
 * dies between the last byte and the `generation-completed` publish, metering's reconciler charges the generation
 * with exactly what this replica would have charged (`chargeFor` with the same prices, prompt-logging discount and
 * BYOK fee inputs, the same lease). Call the returned function once per attempt, in order (it numbers them).
 */
export function attemptBillingFor(context: AttemptBillingContext): (attempt: PlannedAttempt) => AttemptBilling {
  let attemptNumber = 0;
  const requestedAt = new Date(context.requestedAt).toISOString();
  return (attempt) => {
    attemptNumber += 1;
    return {
      keyId: context.caller.key.keyId,
      keyHash: context.caller.key.hash,
      leaseId: context.reservation.leaseId,
      attemptNumber,
      requestedModel: context.requestedModel,
      // The generation's model label, as the pipeline records it (modelLabel): the variant is part of it.
      model: attempt.endpoint.variant === 'standard' ? attempt.model.id : `${attempt.model.id}:${attempt.endpoint.variant}`,
      providerName: attempt.provider.name,
      apiType: context.apiType,
      streamed: context.streamed,
      pricing: attempt.endpoint.pricing,
      // Left out when 1 (the default): every chat attempt would carry it.
      ...(context.requests !== undefined && context.requests !== 1 ? { requests: context.requests } : {}),
      promptLogging: context.caller.account.privacy.logPrompts,
      isByok: attempt.isByok,
      byokFeeWaived: context.caller.account.byokFeeWaived,
      requestedAt,
    };
  };
}
