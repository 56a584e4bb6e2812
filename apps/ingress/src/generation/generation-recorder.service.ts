import { Injectable } from '@nestjs/common';
import { GatewayError, subjects, type AttemptRecord, type GenerationCompleted } from '@switchyard/contracts';
import { DurablePublisher, LATENCY_BUCKETS_SECONDS, MetricsService } from '@switchyard/nest-kit';

/**
 * Publishes one `generation-completed` event per request to JetStream through the outbox: the response never
 * waits for the ack; the event is retried from memory until acked and flushed on shutdown. Also keeps the
 * gateway's request metrics (the overhead histogram is the figure users see in X-Switchyard-Overhead-Ms).
 */
@Injectable()
export class GenerationRecorderService {
  private readonly overhead;
  private readonly requests;
  private readonly attempts;
  private readonly healed;
  private readonly guardrails;

  constructor(
    private readonly publisher: DurablePublisher,
    metrics: MetricsService,
  ) {
    this.overhead = metrics.histogram({
      name: 'switchyard_gateway_overhead_seconds',
      help: "The gateway's own time per request: total minus upstream time",
      labelNames: ['api', 'streamed'],
      buckets: LATENCY_BUCKETS_SECONDS,
    });
    this.requests = metrics.counter({ name: 'switchyard_requests_total', help: 'Inference requests by outcome', labelNames: ['api', 'outcome', 'streamed'] });
    this.attempts = metrics.counter({ name: 'switchyard_attempts_total', help: 'Provider attempts by provider and outcome', labelNames: ['provider', 'outcome'] });
    this.healed = metrics.counter({ name: 'switchyard_responses_healed_total', help: 'Answers whose malformed JSON the response-healing plugin repaired', labelNames: ['api'] });
    this.guardrails = metrics.counter({
      name: 'switchyard_guardrail_findings_total',
      help: "Guardrail findings by action (block: the request refused; redact: the finding replaced) and pattern (a detector, or keyword)",
      labelNames: ['api', 'action', 'pattern'],
    });
  }

  /**
   * Runs the guardrails (`apply`) and counts what they found: redactions from its result, a block from its 403
   * (rethrown). Patterns are counted by detector, keywords as one `keyword` label (no user text in labels).
   */
  guarded<T extends { redacted: readonly string[] }>(api: string, apply: () => T): T {
    let result: T;
    try {
      result = apply();
    } catch (error) {
      const metadata = GatewayError.isInstance(error) ? (error.metadata as { reason?: string; patterns?: string[] } | undefined) : undefined;
      if (metadata?.reason === 'guardrail') this.countFindings(api, 'block', metadata.patterns ?? []);
      throw error;
    }
    if (result.redacted.length > 0) this.countFindings(api, 'redact', result.redacted);
    return result;
  }

  private countFindings(api: string, action: 'block' | 'redact', patterns: readonly string[]): void {
    for (const pattern of patterns) this.guardrails.inc({ api, action, pattern: pattern.startsWith('keyword:') ? 'keyword' : pattern });
  }

  /** An answer's JSON was repaired (the response-healing plugin). */
  responseHealed(api: string): void {
    this.healed.inc({ api });
  }

  /** Runs `task` off the request's path, with the outbox's batch (see DurablePublisher.defer). */
  defer(task: () => void): void {
    this.publisher.defer(task);
  }

  record(event: GenerationCompleted): void {
    this.publisher.publish(subjects.metering.generationCompleted, event, event.id);
  }

  /** The request's outcome and overhead (its time less the upstream time; `startedAt`/`finishedAt` from performance.now()). */
  observe(api: string, streamed: boolean, outcome: string, timing: { startedAt: number; finishedAt: number; upstreamMs: number }, attempts: readonly AttemptRecord[]): void {
    const labels = { api, streamed: String(streamed) };
    const overheadMs = Math.max(0, timing.finishedAt - timing.startedAt - timing.upstreamMs);
    this.overhead.observe(labels, overheadMs / 1000);
    this.requests.inc({ ...labels, outcome });
    for (const attempt of attempts) this.attempts.inc({ provider: attempt.providerSlug, outcome: attempt.ok ? 'ok' : (attempt.errorType ?? 'error') });
  }
}
