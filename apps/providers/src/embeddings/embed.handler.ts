import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Msg, Subscription } from '@nats-io/transport-node';
import { providerCancelSchema, providerEmbedRequestSchema, subjects, type ProviderEmbedFrame } from '@switchyard/contracts';
import type { UpstreamError } from '@switchyard/llm-spec';
import { HealthRegistry, NatsService, otelTrace } from '@switchyard/nest-kit';
import { ProviderDirectory } from '../catalog/provider-directory.service.js';
import { PROVIDERS_CONFIG, type ProvidersConfig } from '../config/providers.config.js';
import { CredentialsService } from '../credentials/credentials.service.js';
import { UpstreamPools } from '../upstream/upstream-pools.service.js';
import { shutdownError } from '../upstream/upstream-failure.js';
import { EmbedEvents } from './embed-events.service.js';
import { embedInputCount, EmbedExecution, unaryApiOf, type EmbedDependencies } from './embed-execution.js';
import { InflightRegistry } from '../common/inflight-registry.js';


export interface InflightEmbed {
  attemptId: string;
  generationId: string;
  accountId: string;
  provider: string;
  endpointId: string;
  inputs: number;
  stage: string;
  ageMs: number;
}

/**
 * `sy.providers.embed.v1` as a raw NATS subscription (queue group `providers`): each message is one embeddings call
 * answered on the caller's inbox with `items` / `heartbeat` / `done` | `failed` frames (`providerEmbedFrameSchema`).
 * It runs on the same catalog directory, credential store, upstream pools and origin allowlist as chat attempts,
 * listens to the same `sy.providers.cancel.v1` broadcast, and drains on shutdown like them: stop taking calls,
 * let running ones finish up to SHUTDOWN_DRAIN_MS, then abort them with a retryable failure.
 */
@Injectable()
export class EmbedHandler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Embeddings');
  private readonly inflight = new InflightRegistry<EmbedExecution>();
  private embedSubscription: Subscription | undefined;
  private cancelSubscription: Subscription | undefined;
  private acceptingCalls = false;
  private shuttingDown = false;
  private dependencies: EmbedDependencies | undefined;

  constructor(
    @Inject(PROVIDERS_CONFIG) private readonly config: ProvidersConfig,
    private readonly nats: NatsService,
    private readonly directory: ProviderDirectory,
    private readonly credentials: CredentialsService,
    private readonly events: EmbedEvents,
    private readonly moduleRef: ModuleRef,
    health: HealthRegistry,
  ) {
    health.register('embeddings', () => ({ ok: this.acceptingCalls, detail: { accepting: this.acceptingCalls, inflight: this.inflight.size } }));
  }

  onApplicationBootstrap(): void {
    // The attempts module owns the upstream pools (one set per process, pruned when origins leave the catalog).
    const pools = this.moduleRef.get(UpstreamPools, { strict: false });
    this.dependencies = {
      publishFrame: (subject, frame) => this.nats.connection.publish(subject, frame),
      resolveProvider: (slug) => this.directory.get(slug),
      resolveKey: (slug, options) => this.credentials.resolve(slug, options),
      dispatcher: (origin) => pools.get(origin),
      maxFrameBytes: Math.min(this.config.FRAME_MAX_BYTES, this.nats.maxPayload - 1_024),
      maxResponseBytes: this.config.UPSTREAM_MAX_RESPONSE_BYTES,
      onWarning: (message) => this.logger.warn(message),
    };
    this.cancelSubscription = this.nats.subscribe(subjects.providers.cancel, (data) => this.onCancel(data));
    // A replica without the catalog cannot resolve any provider: it takes calls only once it has one.
    void this.directory.ready.then(() => this.startAccepting());
  }

  get accepting(): boolean {
    return this.acceptingCalls;
  }

  list(): InflightEmbed[] {
    const now = performance.now();
    return [...this.inflight.values()].map((execution) => ({
      attemptId: execution.attemptId,
      generationId: execution.request.generationId,
      accountId: execution.request.accountId,
      provider: execution.request.endpoint.providerSlug,
      endpointId: execution.request.endpoint.id,
      inputs: embedInputCount(execution.request.request),
      stage: execution.stage,
      ageMs: Math.round(now - execution.receivedAt),
    }));
  }

  private async startAccepting(): Promise<void> {
    if (this.shuttingDown || this.embedSubscription) return;
    this.embedSubscription = this.nats.subscribe(subjects.providers.embed, (data, message) => this.onEmbed(data, message), { queue: 'providers', spanName: 'providers.embed' });
    try {
      await this.nats.connection.flush();
    } catch {
      // Reconnecting: the subscription is re-sent by the client.
    }
    if (this.shuttingDown) return;
    this.acceptingCalls = true;
    this.logger.log(`taking embeddings and rerank calls on ${subjects.providers.embed}`);
  }

  /** One call; the returned promise (the `providers.embed` span) lasts until the call is over. */
  async onEmbed(data: unknown, message: Msg): Promise<void> {
    const reply = message.reply;
    if (!reply) {
      this.logger.warn(`dropped a message on ${subjects.providers.embed} without a reply subject`);
      return;
    }
    const parsed = providerEmbedRequestSchema.safeParse(data);
    if (!parsed.success) {
      const detail = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
      this.reject(reply, { status: 400, errorType: 'invalid_request', retryable: false, phase: 'connect', message: `Invalid embeddings or rerank request: ${detail}` });
      return;
    }
    const request = parsed.data;
    if (this.shuttingDown || !this.dependencies) {
      this.reject(reply, shutdownError(false));
      return;
    }
    if (this.inflight.has(request.attemptId)) {
      this.reject(reply, { status: 400, errorType: 'invalid_request', retryable: false, phase: 'connect', message: `Attempt ${request.attemptId} is already running` });
      return;
    }
    const execution = new EmbedExecution(request, reply, this.dependencies);
    otelTrace.getActiveSpan()?.setAttributes({
      'switchyard.attempt_id': request.attemptId,
      'switchyard.generation_id': request.generationId,
      'switchyard.provider': request.endpoint.providerSlug,
      'switchyard.endpoint_id': request.endpoint.id,
      'switchyard.inputs': embedInputCount(request.request),
      'switchyard.api': unaryApiOf(request.request),
    });
    this.inflight.add(request.attemptId, execution);
    this.events.inFlight.inc({ provider: request.endpoint.providerSlug });
    try {
      const result = await execution.run();
      this.events.completed(request, result);
    } finally {
      this.inflight.remove(request.attemptId);
      this.events.inFlight.dec({ provider: request.endpoint.providerSlug });
    }
  }

  /** The cancel broadcast is shared with chat attempts: ids this replica does not run are remembered briefly. */
  onCancel(data: unknown): void {
    const parsed = providerCancelSchema.safeParse(data);
    if (!parsed.success) return;
    this.inflight.cancel(parsed.data.attemptId, parsed.data.reason ?? 'cancelled by the caller');
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    this.acceptingCalls = false;
    if (this.embedSubscription) await this.embedSubscription.drain().catch(() => undefined);
    await this.inflight.drain(this.config.SHUTDOWN_DRAIN_MS, this.logger, 'embeddings calls');
    this.cancelSubscription?.unsubscribe();
  }

  private reject(reply: string, error: UpstreamError): void {
    const frame: ProviderEmbedFrame = { k: 'failed', error, upstreamMs: 0 };
    try {
      this.nats.connection.publish(reply, JSON.stringify(frame));
    } catch (publishError) {
      this.logger.debug(`could not answer ${reply}: ${(publishError as Error).message}`);
    }
  }
}
