import { Inject, Injectable } from '@nestjs/common';
import { newAttemptId, type AttemptBilling, type AttemptRecord, type ProviderChatRequest } from '@switchyard/contracts';
import type { CanonicalChatRequest, StreamPart, UpstreamError } from '@switchyard/llm-spec';
import { NatsService, ProviderAttemptClient, withSpan, SpanKind, type CancelSignal } from '@switchyard/nest-kit';
import type { PlannedAttempt } from '@switchyard/routing-policy';
import { INGRESS_CONFIG, type IngressConfig } from '../config/ingress.config.js';
import { roundMs } from '../generation/generation-event.js';

export interface AttemptSink {
  /** A new attempt starts: forget any non-content parts of the previous one. */
  beginAttempt(attempt: PlannedAttempt): void;
  onParts(parts: StreamPart[]): void;
}

export interface FailedAttempt {
  attempt: PlannedAttempt;
  error: UpstreamError;
}

export type RunOutcome =
  | { kind: 'served'; attempt: PlannedAttempt; upstreamMs: number; ttftMs: number | null }
  | { kind: 'failed-mid-stream'; attempt: PlannedAttempt; error: UpstreamError; upstreamMs: number; ttftMs: number | null }
  | { kind: 'cancelled'; attempt: PlannedAttempt; upstreamMs: number }
  | { kind: 'exhausted'; failures: FailedAttempt[] };

export interface RunInput {
  generationId: string;
  accountId: string;
  request: CanonicalChatRequest;
  attempts: PlannedAttempt[];
  signal: CancelSignal;
  sink: AttemptSink;
  /** Filled with one record per attempt made. */
  records: AttemptRecord[];
  /** Sum of upstream time of every attempt, ms (for the overhead figure). */
  upstreamTime: { ms: number };
  /** Charge inputs sent with each attempt (copied into providers' attempt-usage for reconciliation); call once per attempt. */
  billing?: (attempt: PlannedAttempt) => AttemptBilling;
}

/**
 * Failover: runs the planned attempts in order through providers until one serves. A retryable failure (connect
 * error, timeout, 408, 429, 5xx) before any content moves to the next provider; a non-retryable one skips the
 * rest of that model's providers but still tries the `models` fallbacks. After content reached the client,
 * nothing is retried: the failure becomes the stream's final error chunk.
 */
@Injectable()
export class AttemptRunnerService {
  private readonly client: ProviderAttemptClient;

  constructor(
    nats: NatsService,
    @Inject(INGRESS_CONFIG) private readonly config: IngressConfig,
  ) {
    this.client = new ProviderAttemptClient(nats, { livenessMs: config.PROVIDER_LIVENESS_MS });
  }

  async run(input: RunInput): Promise<RunOutcome> {
    const failures: FailedAttempt[] = [];
    const skippedModels = new Set<string>();
    let tried = 0;
    for (const attempt of input.attempts) {
      if (tried >= this.config.MAX_ATTEMPTS) break;
      if (skippedModels.has(attempt.model.id)) continue;
      tried += 1;
      input.sink.beginAttempt(attempt);
      const providerRequest: ProviderChatRequest = {
        attemptId: newAttemptId(),
        generationId: input.generationId,
        accountId: input.accountId,
        endpoint: { id: attempt.endpoint.id, modelId: attempt.model.id, providerSlug: attempt.endpoint.providerSlug, upstreamModelId: attempt.endpoint.upstreamModelId },
        byok: attempt.isByok,
        request: input.request,
        timeouts: { connectMs: this.config.UPSTREAM_CONNECT_TIMEOUT_MS, firstTokenMs: this.config.UPSTREAM_FIRST_TOKEN_TIMEOUT_MS, idleMs: this.config.UPSTREAM_IDLE_TIMEOUT_MS },
        heartbeatMs: this.config.PROVIDER_HEARTBEAT_MS,
        ...(input.billing ? { billing: input.billing(attempt) } : {}),
      };
      const started = performance.now();
      const outcome = await withSpan(
        'providers.attempt',
        async (span) => {
          const recording = span.isRecording();
          if (recording) span.setAttributes({ 'switchyard.provider': attempt.endpoint.providerSlug, 'switchyard.endpoint': attempt.endpoint.id, 'switchyard.attempt': tried });
          const result = await this.client.run(providerRequest, { onParts: (parts) => input.sink.onParts(parts) }, input.signal);
          if (recording) span.setAttribute('switchyard.outcome', result.ok ? 'ok' : result.error.errorType);
          return result;
        },
        { kind: SpanKind.CLIENT },
      );
      const elapsed = performance.now() - started;
      const upstreamMs = outcome.ok ? outcome.end.upstreamMs : outcome.upstreamMs;
      input.upstreamTime.ms += Math.min(upstreamMs, elapsed);
      input.records.push({
        attemptId: providerRequest.attemptId,
        endpointId: attempt.endpoint.id,
        providerSlug: attempt.endpoint.providerSlug,
        providerName: attempt.provider.name,
        modelId: attempt.model.id,
        ok: outcome.ok,
        status: outcome.ok ? outcome.end.upstreamStatus : outcome.error.status,
        errorType: outcome.ok ? null : outcome.error.errorType,
        message: outcome.ok ? null : outcome.error.message,
        latencyMs: roundMs(elapsed),
        isByok: attempt.isByok,
      });
      if (outcome.ok) return { kind: 'served', attempt, upstreamMs, ttftMs: outcome.end.ttftMs };
      if (outcome.error.phase === 'cancelled' || input.signal.aborted) return { kind: 'cancelled', attempt, upstreamMs };
      if (outcome.contentSent) return { kind: 'failed-mid-stream', attempt, error: outcome.error, upstreamMs, ttftMs: outcome.ttftMs };
      failures.push({ attempt, error: outcome.error });
      if (!outcome.error.retryable) skippedModels.add(attempt.model.id);
    }
    return { kind: 'exhausted', failures };
  }
}
