import { Injectable, Logger } from '@nestjs/common';
import { subjects, type AttemptCompleted, type AttemptUsage, type ParsedProviderEmbedRequest } from '@switchyard/contracts';
import { makeUsage } from '@switchyard/llm-spec';
import { DurablePublisher, LATENCY_BUCKETS_SECONDS, MetricsService, NatsService } from '@switchyard/nest-kit';
import type { EmbedResult } from './embed-execution.js';

/**
 * After each embeddings call, off the caller's path: `attempt-completed` for the routing health monitor (core
 * NATS), `attempt-usage` for metering's reconciliation (JetStream through the outbox, message id = attempt id,
 * never awaited), and the Prometheus figures. The JetStream stream itself is ensured by the attempts module.
 */
@Injectable()
export class EmbedEvents {
  private readonly logger = new Logger('EmbedEvents');
  private readonly calls;
  private readonly upstreamSeconds;
  readonly inFlight;

  constructor(
    private readonly nats: NatsService,
    private readonly publisher: DurablePublisher,
    metrics: MetricsService,
  ) {
    this.calls = metrics.counter({ name: 'switchyard_provider_embed_calls_total', help: 'Embeddings calls by provider and outcome (ok, cancelled, or the error type)', labelNames: ['provider', 'outcome'] });
    this.upstreamSeconds = metrics.histogram({ name: 'switchyard_provider_embed_upstream_duration_seconds', help: 'Upstream embeddings call duration, request sent to last byte', labelNames: ['provider', 'outcome'], buckets: LATENCY_BUCKETS_SECONDS });
    this.inFlight = metrics.gauge({ name: 'switchyard_provider_embed_calls_in_flight', help: 'Embeddings calls running on this replica', labelNames: ['provider'] });
  }

  completed(request: ParsedProviderEmbedRequest, result: EmbedResult): void {
    const provider = request.endpoint.providerSlug;
    const outcome = result.ok ? 'ok' : result.interrupted === 'cancelled' ? 'cancelled' : (result.error?.errorType ?? 'unmapped');
    this.calls.inc({ provider, outcome });
    if (result.upstreamMs !== null) this.upstreamSeconds.observe({ provider, outcome: result.ok ? 'ok' : 'error' }, result.upstreamMs / 1000);
    this.nats.publishBatched(subjects.providers.attemptCompleted, embedCompletedEvent(request, result));
    if (request.probe) return;
    const usage = embedUsageEvent(request, result);
    if (usage) this.publisher.publish(subjects.providers.attemptUsage, usage, request.attemptId);
  }
}

/**
 * The health monitor's view of one embeddings call. An embedding is answered whole, so its time to first token
 * is the upstream time of a success; it generates no tokens, so no throughput.
 */
export function embedCompletedEvent(request: ParsedProviderEmbedRequest, result: EmbedResult, now = Date.now()): AttemptCompleted {
  return {
    attemptId: request.attemptId,
    generationId: request.generationId,
    endpointId: request.endpoint.id,
    providerSlug: request.endpoint.providerSlug,
    modelId: request.endpoint.modelId,
    ok: result.ok,
    status: result.status,
    errorType: result.interrupted === 'cancelled' ? 'cancelled' : (result.error?.errorType ?? null),
    retryable: result.error?.retryable ?? false,
    ttftMs: result.ok ? result.upstreamMs : null,
    durationMs: result.durationMs,
    completionTokens: 0,
    tokensPerSecond: null,
    retryAfterMs: result.error?.retryAfterMs ?? null,
    usedTools: false,
    probe: request.probe,
    at: now,
  };
}

/**
 * The `attempt-usage` of an embeddings call, for reconciliation: published for every call that carries ingress's
 * charge inputs (whatever its outcome, zero usage when it failed, so metering sees every attempt of the generation
 * in order) and for any other call that produced usage. A delivered call (`ok`) is finished with reason `stop`, so
 * the reconciler charges its prompt tokens exactly as ingress does.
 */
export function embedUsageEvent(request: ParsedProviderEmbedRequest, result: EmbedResult, now = Date.now()): AttemptUsage | null {
  const usage = result.ok ? result.usage : null;
  if (!usage && !request.billing) return null;
  return {
    attemptId: request.attemptId,
    generationId: request.generationId,
    accountId: request.accountId,
    endpointId: request.endpoint.id,
    usage: usage ?? makeUsage({ promptTokens: 0, completionTokens: 0 }),
    at: now,
    outcome: {
      ok: result.ok,
      contentSent: result.ok,
      finishReason: result.ok ? 'stop' : null,
      cancelled: result.interrupted === 'cancelled',
      status: result.status,
      errorType: result.ok ? null : (result.error?.errorType ?? null),
      durationMs: result.durationMs,
    },
    ...(request.billing ? { billing: request.billing } : {}),
  };
}
