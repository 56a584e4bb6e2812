import { httpHeaders, type AttemptRecord, type GenerationCompleted } from '@switchyard/contracts';
import { emptyUsage, type EndpointPricing, type Usage } from '@switchyard/llm-spec';
import { formatMoney, type Charge } from '@switchyard/money';
import type { PlannedAttempt } from '@switchyard/routing-policy';
import type { FastifyRequest } from 'fastify';
import type { Reservation } from '../admission/credit-lease.service.js';
import type { Caller } from '../auth/authenticator.service.js';
import { NO_CHARGE, type CachedResponse } from '../response-cache/response-cache.js';

/** Milliseconds to the microsecond, as generation records and attempt records keep them. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** The model a generation is recorded under: `model:variant` for variants. */
export function modelLabel(attempt: PlannedAttempt): string {
  return attempt.endpoint.variant === 'standard' ? attempt.model.id : `${attempt.model.id}:${attempt.endpoint.variant}`;
}

/** Who served a generation, as its record names them. */
export interface ServedBy {
  /** With its variant (modelLabel). */
  model: string;
  endpointId: string;
  providerSlug: string;
  providerName: string;
  isByok: boolean;
  /** The prices applied; null when nothing was priced (a response-cache hit). */
  pricing: EndpointPricing | null;
}

export function servedByAttempt(attempt: PlannedAttempt): ServedBy {
  return { model: modelLabel(attempt), endpointId: attempt.endpoint.id, providerSlug: attempt.endpoint.providerSlug, providerName: attempt.provider.name, isByok: attempt.isByok, pricing: attempt.endpoint.pricing };
}

/** One served request as every API records it (chat, messages, responses, embeddings). */
export interface ServedGeneration {
  generationId: string;
  apiType: GenerationCompleted['apiType'];
  caller: Caller;
  /** The credit reservation the cost came out of; null when nothing was reserved (a response-cache hit). */
  reservation: Reservation | null;
  request: FastifyRequest;
  /** The model as the client asked for it. */
  requestedModel: string;
  servedBy: ServedBy;
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
  /** A response-cache hit: the generation whose response was replayed. */
  responseCacheSourceId?: string | null;
  /** The preset the request named (slug). */
  preset?: string | null;
}

/** The `generation-completed` event of a served request: who, what, how long, what it cost. */
export function generationCompletedEvent(served: ServedGeneration): GenerationCompleted {
  const totalMs = served.finishedAt - served.startedAt;
  const headers = served.request.headers;
  const header = (name: string) => {
    const value = headers[name.toLowerCase()];
    return (Array.isArray(value) ? value[0] : value) ?? null;
  };
  const { servedBy, caller, charge } = served;
  return {
    id: served.generationId,
    requestId: served.generationId,
    accountId: caller.account.accountId,
    keyId: caller.key.keyId,
    keyHash: caller.key.hash,
    leaseId: served.reservation?.leaseId ?? null,
    apiType: served.apiType,
    model: servedBy.model,
    requestedModel: served.requestedModel,
    endpointId: servedBy.endpointId,
    providerSlug: servedBy.providerSlug,
    providerName: servedBy.providerName,
    upstreamId: served.upstreamId,
    isByok: servedBy.isByok,
    streamed: served.streamed,
    cancelled: served.cancelled,
    // Wall-clock time of arrival: now, less the time since the request arrived.
    createdAt: new Date(Date.now() - (performance.now() - served.startedAt)).toISOString(),
    latencyMs: roundMs(totalMs),
    generationTimeMs: roundMs(served.generationMs),
    overheadMs: roundMs(Math.max(0, totalMs - served.upstreamMs)),
    ttftMs: served.ttftMs === null ? null : roundMs(served.ttftMs),
    usage: served.usage,
    pricing: servedBy.pricing,
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
    responseCacheSourceId: served.responseCacheSourceId ?? null,
    preset: served.preset ?? null,
  };
}

/** What a response-cache hit's record takes from its request (the rest is fixed: free, no attempt, no upstream time). */
export type CacheHitGeneration = Pick<
  ServedGeneration,
  'generationId' | 'apiType' | 'caller' | 'request' | 'requestedModel' | 'startedAt' | 'finishedAt' | 'streamed' | 'finishReason' | 'nativeFinishReason' | 'sessionId' | 'externalUser' | 'content'
>;

/**
 * The `generation-completed` event of a response-cache hit: served by the cache under its own id, with the stored
 * response's model and provider, zero usage and cost, no attempts and no lease, naming the generation it replays.
 */
export function cacheHitEvent(hit: Pick<CachedResponse, 'generationId' | 'servedBy'>, served: CacheHitGeneration): GenerationCompleted {
  return generationCompletedEvent({
    ...served,
    reservation: null,
    servedBy: { ...hit.servedBy, isByok: false, pricing: null },
    records: [],
    upstreamMs: 0,
    generationMs: 0,
    ttftMs: null,
    cancelled: false,
    usage: emptyUsage,
    charge: NO_CHARGE,
    upstreamId: null,
    responseCacheSourceId: hit.generationId,
  });
}
