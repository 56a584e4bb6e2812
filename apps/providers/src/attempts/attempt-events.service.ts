import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { subjects, type AttemptCompleted, type AttemptUsage } from '@switchyard/contracts';
import { estimatePromptTokens, makeUsage, type Usage } from '@switchyard/llm-spec';
import { DurablePublisher, ensureInBackground, ensureSwitchyardStream, LATENCY_BUCKETS_SECONDS, MetricsService, NatsService } from '@switchyard/nest-kit';
import type { AttemptExecution, AttemptResult } from './attempt-execution.js';

/**
 * What happens after an attempt, off the caller's path: the `attempt-completed` outcome for the routing health
 * monitor (core NATS), the attempt's usage for metering's reconciliation (JetStream through the outbox, message id =
 * attempt id, never awaited), and the Prometheus figures.
 */
@Injectable()
export class AttemptEvents implements OnApplicationBootstrap {
  private readonly logger = new Logger('AttemptEvents');
  private readonly attempts;
  private readonly upstreamSeconds;
  private readonly ttftSeconds;
  readonly inFlight;

  constructor(
    private readonly nats: NatsService,
    private readonly publisher: DurablePublisher,
    metrics: MetricsService,
  ) {
    this.attempts = metrics.counter({ name: 'switchyard_provider_attempts_total', help: 'Provider attempts by provider and outcome (ok, cancelled, or the error type)', labelNames: ['provider', 'outcome'] });
    this.upstreamSeconds = metrics.histogram({ name: 'switchyard_provider_upstream_duration_seconds', help: 'Upstream call duration, request sent to last byte', labelNames: ['provider', 'outcome'], buckets: LATENCY_BUCKETS_SECONDS });
    this.ttftSeconds = metrics.histogram({ name: 'switchyard_provider_ttft_seconds', help: 'Upstream time to first content part', labelNames: ['provider'], buckets: LATENCY_BUCKETS_SECONDS });
    this.inFlight = metrics.gauge({ name: 'switchyard_provider_attempts_in_flight', help: 'Attempts running on this replica', labelNames: ['provider'] });
  }

  /** Usage events go to the SWITCHYARD stream: make sure it exists (idempotent), retrying in the background. */
  onApplicationBootstrap(): void {
    ensureInBackground('the JetStream stream', async () => ensureSwitchyardStream(await this.nats.jetstreamManager()), this.logger);
  }

  /** Deferred to the outbox's batch window (DurablePublisher.defer): the caller has its answer already. */
  completed(execution: AttemptExecution, result: AttemptResult): void {
    this.publisher.defer(() => this.report(execution, result));
  }

  private report(execution: AttemptExecution, result: AttemptResult): void {
    const { request } = execution;
    const provider = request.endpoint.providerSlug;
    const outcome = result.ok ? 'ok' : result.interrupted === 'cancelled' ? 'cancelled' : (result.error?.errorType ?? 'unmapped');
    this.attempts.inc({ provider, outcome });
    if (result.upstreamMs !== null) this.upstreamSeconds.observe({ provider, outcome: result.ok ? 'ok' : 'error' }, result.upstreamMs / 1000);
    if (result.ttftMs !== null) this.ttftSeconds.observe({ provider }, result.ttftMs / 1000);

    this.nats.publishBatched(subjects.providers.attemptCompleted, attemptCompletedEvent(execution, result));
    if (execution.probe) return;
    const event = attemptUsageEvent(execution, result);
    if (event) this.publisher.publish(subjects.providers.attemptUsage, event, request.attemptId);
  }

  /** Waits (bounded) until JetStream acked every usage event (graceful shutdown). */
  flush(timeoutMs: number): Promise<number> {
    return this.publisher.flush(timeoutMs);
  }
}

/** The health monitor's view of one attempt. `ok` also requires a sound tool-call round when tools were offered. */
export function attemptCompletedEvent(execution: AttemptExecution, result: AttemptResult): AttemptCompleted {
  const { request } = execution;
  let ok = result.ok;
  let errorType: string | null = result.error?.errorType ?? null;
  if (ok && result.finishReason === 'error') {
    ok = false;
    errorType = 'server';
  }
  if (ok && execution.usedTools && result.toolCallsValid === false) {
    ok = false;
    errorType = 'invalid_tool_call';
  }
  if (result.interrupted === 'cancelled') errorType = 'cancelled';
  const completionTokens = result.usage?.completionTokens ?? 0;
  const window = result.generationMs !== null && result.generationMs > 0 ? result.generationMs : result.upstreamMs;
  const tokensPerSecond = completionTokens > 0 && window !== null && window > 0 ? Math.round((completionTokens * 1000 * 100) / window) / 100 : null;
  return {
    attemptId: request.attemptId,
    generationId: request.generationId,
    endpointId: request.endpoint.id,
    providerSlug: request.endpoint.providerSlug,
    modelId: request.endpoint.modelId,
    ok,
    status: result.status,
    errorType,
    retryable: result.error?.retryable ?? false,
    ttftMs: result.ttftMs,
    durationMs: result.durationMs,
    completionTokens,
    tokensPerSecond,
    retryAfterMs: result.error?.retryAfterMs ?? null,
    usedTools: execution.usedTools,
    probe: execution.probe,
    at: Date.now(),
  };
}

/**
 * The usage to reconcile: what the provider reported, or — when the attempt was delivered (content went out, or it
 * finished) and the provider reported no usage (a cancelled stream, a stream cut mid-way, an upstream that never
 * reports usage) — a tokenizer estimate marked `estimated`, computed as ingress computes its own (ARCHITECTURE:
 * billed for what the provider reported or an estimate).
 */
export function usageToRecord(execution: AttemptExecution, result: AttemptResult): Usage | null {
  if (result.usage) return result.usage;
  if (result.contentSent || result.ok) {
    return makeUsage({ promptTokens: estimatePromptTokens(execution.request.request), completionTokens: Math.ceil(result.contentChars / 4), estimated: true });
  }
  return null;
}

/**
 * The `attempt-usage` event of an attempt, or null when there is nothing to reconcile. An attempt of a generation
 * (one that carries ingress's `billing`) is published whatever its outcome — with zero usage when nothing was
 * reported — so metering sees every attempt of the generation and bills only a delivered last one; other attempts
 * only when they produced usage.
 */
export function attemptUsageEvent(execution: AttemptExecution, result: AttemptResult, now = Date.now()): AttemptUsage | null {
  const { request } = execution;
  const usage = usageToRecord(execution, result);
  if (!usage && !request.billing) return null;
  const cancelled = result.interrupted === 'cancelled';
  return {
    attemptId: request.attemptId,
    generationId: request.generationId,
    accountId: request.accountId,
    endpointId: request.endpoint.id,
    usage: usage ?? makeUsage({ promptTokens: 0, completionTokens: 0 }),
    at: now,
    outcome: {
      ok: result.ok,
      contentSent: result.contentSent,
      // As ingress records it: the finish part's reason; 'error' for a failure after content; none when cancelled.
      finishReason: result.ok ? result.finishReason : result.contentSent && !cancelled ? 'error' : null,
      cancelled,
      status: result.status,
      errorType: result.ok ? null : (result.error?.errorType ?? null),
      durationMs: result.durationMs,
    },
    ...(request.billing ? { billing: request.billing } : {}),
  };
}
