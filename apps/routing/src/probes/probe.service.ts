import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { newAttemptId, type ProviderChatRequest, type ProviderEmbedRequest } from '@switchyard/contracts';
import { isEmbeddingModel, isRerankModel, type CatalogEndpoint, type UpstreamError } from '@switchyard/llm-spec';
import { type AttemptOutcome, EmbedAttemptClient, type EmbedOutcome, MetricsService, NatsService, NO_REPLICA_MESSAGE, ProviderAttemptClient } from '@switchyard/nest-kit';
import { randomBytes } from 'node:crypto';
import { CatalogService } from '../catalog/catalog.service.js';
import { CLOCK, type Clock } from '../clock.js';
import { ROUTING_CONFIG, type RoutingConfig } from '../config/routing.config.js';
import { PROBE_GENERATION_PREFIX } from '../health/attempt-outcome.js';
import { HealthMonitorService } from '../health/health-monitor.service.js';

/** How a probe ended, for the metric. */
type ProbeVerdict = 'success' | 'failure' | 'neutral' | 'unanswered' | 'cancelled';

/** The message ProviderAttemptClient gives a probe no providers replica answered (not the endpoint's fault). */
const LIVENESS_MESSAGE = 'No providers replica answered the attempt in time';

/**
 * Active probes of half-open endpoints: a minimal chat request (`max_tokens: 1`) sent exactly as ingress sends an
 * attempt (`ProviderAttemptClient` over `sy.providers.chat.v1`), or for an embedding model a one-input embeddings
 * call (`EmbedAttemptClient` over `sy.providers.embed.v1`, flagged `probe`, never billed) — a chat request to an
 * embeddings upstream says nothing about it. One at a time per endpoint and at most one per PROBE_INTERVAL_MS from
 * this replica (a probe result seen from another replica counts too).
 *
 * Providers' request schema has no probe flag, so probes are recognisable by their generation id, which starts
 * with `probe-`: every replica treats such an `attemptCompleted` as a probe (breaker only, never public uptime).
 * The probing replica also applies the outcome its client saw (applied once per attempt id, whichever comes
 * first), so a probe counts even when providers publishes no event for it. A probe no providers replica answered,
 * or one cancelled at shutdown, counts for nothing: it says nothing about the endpoint.
 */
@Injectable()
export class ProbeService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Probes');
  private readonly client: ProviderAttemptClient;
  private readonly embedClient: EmbedAttemptClient;
  private readonly inFlight = new Map<string, AbortController>();
  private timer: NodeJS.Timeout | undefined;
  private readonly probes: ReturnType<MetricsService['counter']>;

  constructor(
    @Inject(ROUTING_CONFIG) private readonly config: RoutingConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly monitor: HealthMonitorService,
    private readonly catalog: CatalogService,
    nats: NatsService,
    metrics: MetricsService,
  ) {
    this.client = new ProviderAttemptClient(nats, { livenessMs: config.PROBE_LIVENESS_MS });
    this.embedClient = new EmbedAttemptClient(nats, config.PROBE_LIVENESS_MS);
    this.probes = metrics.counter({ name: 'switchyard_probes_total', help: 'Active probes sent, by outcome', labelNames: ['outcome'] });
  }

  onModuleInit(): void {
    if (!this.config.PROBE_ENABLED) return;
    this.timer = setInterval(() => this.probeDue(), this.config.BREAKER_TICK_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    for (const controller of this.inFlight.values()) controller.abort();
  }

  /** Number of probes in flight (admin and tests). */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Sends a probe to every half-open endpoint that is due one. */
  probeDue(): void {
    const now = this.clock.now();
    for (const { endpointId, lastProbeAt } of this.monitor.monitor.halfOpenEndpoints()) {
      if (this.inFlight.has(endpointId)) continue;
      if (lastProbeAt !== null && now - lastProbeAt < this.config.PROBE_INTERVAL_MS) continue;
      const endpoint = this.catalog.endpoint(endpointId);
      if (!endpoint || endpoint.status === 'disabled') continue; // not addressable or not routed: real traffic decides
      void this.probe(endpoint);
    }
  }

  /** Probes one endpoint; resolves when its outcome has been applied. */
  async probe(endpoint: CatalogEndpoint): Promise<ProbeVerdict> {
    const controller = new AbortController();
    this.inFlight.set(endpoint.id, controller);
    this.monitor.markProbeSent(endpoint.id);
    const attemptId = newAttemptId();
    // What every probe carries; the request itself is the smallest of the endpoint's kind.
    const base = {
      attemptId,
      generationId: `${PROBE_GENERATION_PREFIX}${randomBytes(10).toString('hex')}`,
      accountId: this.config.PROBE_ACCOUNT_ID,
      endpoint: { id: endpoint.id, modelId: endpoint.modelId, providerSlug: endpoint.providerSlug, upstreamModelId: endpoint.upstreamModelId },
      byok: false,
    };
    const connectMs = Math.min(5_000, this.config.PROBE_TIMEOUT_MS);
    let verdict: ProbeVerdict;
    try {
      const unary = this.unaryProbe(endpoint);
      const outcome = unary
        ? fromEmbedOutcome(await this.embedClient.run({ ...base, request: unary, timeouts: { connectMs, totalMs: this.config.PROBE_TIMEOUT_MS }, probe: true } satisfies ProviderEmbedRequest, controller.signal))
        : await this.client.run(
            {
              ...base,
              request: { model: endpoint.modelId, messages: [{ role: 'user', content: 'ping' }], max_tokens: 1, stream: false },
              timeouts: { connectMs, firstTokenMs: this.config.PROBE_TIMEOUT_MS, idleMs: this.config.PROBE_TIMEOUT_MS },
            } satisfies ProviderChatRequest,
            { onParts: () => undefined },
            controller.signal,
          );
      verdict = this.apply(endpoint.id, attemptId, outcome);
    } catch (error) {
      this.logger.warn(`probe of ${endpoint.id} could not be sent: ${(error as Error).message}`);
      verdict = 'unanswered';
    } finally {
      this.inFlight.delete(endpoint.id);
    }
    this.probes.inc({ outcome: verdict });
    return verdict;
  }

  /**
   * The smallest unary call of the endpoint's kind (by the catalog the routing service holds): one input to embed,
   * or one document to rerank; undefined for a generation endpoint, probed with a chat request.
   */
  private unaryProbe(endpoint: CatalogEndpoint): ProviderEmbedRequest['request'] | undefined {
    const model = this.catalog.current()?.model(endpoint.modelId);
    if (model === undefined) return undefined;
    if (isEmbeddingModel(model)) return { input: ['ping'], encodingFormat: 'float' };
    if (isRerankModel(model)) return { operation: 'rerank', query: 'ping', documents: ['ping'] };
    return undefined;
  }

  private apply(endpointId: string, attemptId: string, outcome: AttemptOutcome): ProbeVerdict {
    if (outcome.ok) {
      this.monitor.recordProbe(endpointId, attemptId, { ok: true, status: outcome.end.upstreamStatus, ttftMs: outcome.end.ttftMs });
      this.logger.log(`probe of ${endpointId} succeeded (${Math.round(outcome.end.upstreamMs)} ms)`);
      return 'success';
    }
    const { error } = outcome;
    if (error.phase === 'cancelled' || error.status === 499) return 'cancelled';
    if (isUnanswered(error)) {
      this.logger.warn(`probe of ${endpointId}: no providers replica answered; not counted`);
      return 'unanswered';
    }
    const recorded = this.monitor.recordProbe(endpointId, attemptId, { ok: false, status: error.status, errorType: error.errorType, retryAfterMs: error.retryAfterMs ?? null });
    this.logger.warn(`probe of ${endpointId} failed: ${error.status} ${error.message}`);
    return recorded.classification === 'failure' ? 'failure' : 'neutral';
  }
}

function isUnanswered(error: UpstreamError): boolean {
  return error.phase === 'connect' && error.status === 502 && (error.message === LIVENESS_MESSAGE || error.message === NO_REPLICA_MESSAGE);
}

/** An embeddings call's outcome in the terms of a chat attempt's (what `apply` reads). */
function fromEmbedOutcome(outcome: EmbedOutcome): AttemptOutcome {
  if (outcome.ok) return { ok: true, end: { upstreamMs: outcome.upstreamMs, ttftMs: null, upstreamStatus: outcome.upstreamStatus } };
  return { ok: false, error: outcome.error, contentSent: false, upstreamMs: outcome.upstreamMs, ttftMs: null };
}
