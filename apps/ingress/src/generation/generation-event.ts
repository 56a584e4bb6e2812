import { httpHeaders, type AttemptRecord, type GenerationCompleted } from '@switchyard/contracts';
import type { Usage } from '@switchyard/llm-spec';
import { formatMoney, type Charge } from '@switchyard/money';
import type { PlannedAttempt } from '@switchyard/routing-policy';
import type { FastifyRequest } from 'fastify';
import type { Reservation } from '../admission/credit-lease.service.js';
import type { Caller } from '../auth/authenticator.service.js';

/** Milliseconds to the microsecond, as generation records and attempt records keep them. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** The model a generation is recorded under: `model:variant` for variants. */
export function modelLabel(attempt: PlannedAttempt): string {
  return attempt.endpoint.variant === 'standard' ? attempt.model.id : `${attempt.model.id}:${attempt.endpoint.variant}`;
}

/** One served request as every API records it (chat, messages, responses, embeddings). */
export interface ServedGeneration {
  generationId: string;
  apiType: GenerationCompleted['apiType'];
  caller: Caller;
  reservation: Reservation;
  request: FastifyRequest;
  /** The model as the client asked for it. */
  requestedModel: string;
  attempt: PlannedAttempt;
  records: AttemptRecord[];
  /** performance.now() when the request arrived and when it ended. */
  startedAt: number;
  finishedAt: number;
  /** Upstream time of every attempt together, ms. */
  upstreamMs: number;
  generationMs: number;
  ttftMs: number | null;
  streamed: boolean;
  cancelled: boolean;
  usage: Usage;
  charge: Charge;
  finishReason: string | null;
  nativeFinishReason: string | null;
  upstreamId: string | null;
  /** The body's session id and user, when the API has them (the session header counts otherwise). */
  sessionId?: string | null;
  externalUser: string | null;
  /** What is logged for an account that opted in to prompt logging (null otherwise). */
  content: GenerationCompleted['content'];
}

/** The `generation-completed` event of a served request: who, what, how long, what it cost. */
export function generationCompletedEvent(served: ServedGeneration): GenerationCompleted {
  const totalMs = served.finishedAt - served.startedAt;
  const headers = served.request.headers;
  const header = (name: string) => {
    const value = headers[name.toLowerCase()];
    return (Array.isArray(value) ? value[0] : value) ?? null;
  };
  const { attempt, caller, charge } = served;
  return {
    id: served.generationId,
    requestId: served.generationId,
    accountId: caller.account.accountId,
    keyId: caller.key.keyId,
    keyHash: caller.key.hash,
    leaseId: served.reservation.leaseId,
    apiType: served.apiType,
    model: modelLabel(attempt),
    requestedModel: served.requestedModel,
    endpointId: attempt.endpoint.id,
    providerSlug: attempt.endpoint.providerSlug,
    providerName: attempt.provider.name,
    upstreamId: served.upstreamId,
    isByok: attempt.isByok,
    streamed: served.streamed,
    cancelled: served.cancelled,
    // Wall-clock time of arrival: now, less the time since the request arrived.
    createdAt: new Date(Date.now() - (performance.now() - served.startedAt)).toISOString(),
    latencyMs: roundMs(totalMs),
    generationTimeMs: roundMs(served.generationMs),
    overheadMs: roundMs(Math.max(0, totalMs - served.upstreamMs)),
    ttftMs: served.ttftMs === null ? null : roundMs(served.ttftMs),
    usage: served.usage,
    pricing: attempt.endpoint.pricing,
    cost: formatMoney(charge.cost),
    upstreamCost: formatMoney(charge.listCost),
    cacheDiscount: formatMoney(charge.breakdown.cacheDiscount),
    finishReason: served.finishReason,
    nativeFinishReason: served.nativeFinishReason,
    attempts: served.records,
    sessionId: served.sessionId ?? header(httpHeaders.sessionId),
    externalUser: served.externalUser,
    appTitle: header(httpHeaders.title) ?? header(httpHeaders.legacyTitle),
    httpReferer: header(httpHeaders.referer),
    userAgent: header('user-agent'),
    content: served.content,
  };
}
