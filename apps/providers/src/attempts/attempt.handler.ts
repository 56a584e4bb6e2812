import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Msg, Subscription } from '@nats-io/transport-node';
import { providerCancelSchema, providerChatRequestSchema, subjects } from '@switchyard/contracts';
import type { UpstreamError } from '@switchyard/llm-spec';
import { HealthRegistry, NatsService, otelTrace } from '@switchyard/nest-kit';
import { ProviderDirectory } from '../catalog/provider-directory.service.js';
import { PROVIDERS_CONFIG, type ProvidersConfig } from '../config/providers.config.js';
import { CredentialsService } from '../credentials/credentials.service.js';
import { UpstreamPools } from '../upstream/upstream-pools.service.js';
import { shutdownError } from '../upstream/upstream-failure.js';
import { AttemptEvents } from './attempt-events.service.js';
import { AttemptExecution, type AttemptDependencies } from './attempt-execution.js';
import { InflightRegistry } from '../common/inflight-registry.js';


export interface InflightAttempt {
  attemptId: string;
  generationId: string;
  accountId: string;
  provider: string;
  endpointId: string;
  modelId: string;
  stream: boolean;
  byok: boolean;
  probe: boolean;
  stage: string;
  contentSent: boolean;
  ageMs: number;
  startedAt: string;
}

/**
 * The hot path: `sy.providers.chat.v1` as a raw NATS subscription (queue group `providers`), each message one
 * attempt streamed back to the caller's reply inbox; the `sy.providers.cancel.v1` broadcast aborts the attempt
 * with that id at once. Tracks in-flight attempts for cancellation, metrics, the admin view and graceful shutdown:
 * stop taking new attempts, let the running ones finish up to SHUTDOWN_DRAIN_MS, then abort them with a retryable
 * `failed` frame.
 */
@Injectable()
export class AttemptHandler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Attempts');
  private readonly inflight = new InflightRegistry<AttemptExecution>();
  private chatSubscription: Subscription | undefined;
  private cancelSubscription: Subscription | undefined;
  private acceptingAttempts = false;
  private shuttingDown = false;
  private readonly dependencies: AttemptDependencies;

  constructor(
    @Inject(PROVIDERS_CONFIG) private readonly config: ProvidersConfig,
    private readonly nats: NatsService,
    private readonly directory: ProviderDirectory,
    private readonly credentials: CredentialsService,
    private readonly pools: UpstreamPools,
    private readonly events: AttemptEvents,
    health: HealthRegistry,
  ) {
    this.dependencies = {
      publishFrame: (subject, frame) => this.nats.connection.publish(subject, frame),
      resolveProvider: (slug) => this.directory.get(slug),
      resolveKey: (slug, options) => this.credentials.resolve(slug, options),
      dispatcher: (origin) => this.pools.get(origin),
      maxFrameBytes: config.FRAME_MAX_BYTES,
      maxResponseBytes: config.UPSTREAM_MAX_RESPONSE_BYTES,
      onWarning: (message) => this.logger.warn(message),
    };
    health.register('attempts', () => ({ ok: this.acceptingAttempts, detail: { accepting: this.acceptingAttempts, inflight: this.inflight.size } }));
  }

  onApplicationBootstrap(): void {
    this.dependencies.maxFrameBytes = Math.min(this.config.FRAME_MAX_BYTES, this.nats.maxPayload - 1_024);
    this.cancelSubscription = this.nats.subscribe(subjects.providers.cancel, (data) => this.onCancel(data));
    this.directory.onChange((providers) => {
      const origins = new Set<string>();
      for (const provider of providers.values()) if (provider.origin) origins.add(provider.origin);
      this.pools.retain(origins);
    });
    // A replica without the catalog cannot resolve any provider: it takes attempts only once it has one.
    void this.directory.ready.then(() => this.startAccepting());
  }

  /** True once this replica takes attempts (catalog loaded, subscription registered on the server). */
  get accepting(): boolean {
    return this.acceptingAttempts;
  }

  list(): InflightAttempt[] {
    const now = performance.now();
    return [...this.inflight.values()].map((execution) => ({
      attemptId: execution.attemptId,
      generationId: execution.request.generationId,
      accountId: execution.request.accountId,
      provider: execution.request.endpoint.providerSlug,
      endpointId: execution.request.endpoint.id,
      modelId: execution.request.endpoint.modelId,
      stream: execution.request.request.stream === true,
      byok: execution.request.byok,
      probe: execution.probe,
      stage: execution.stage,
      contentSent: execution.isContentSent,
      ageMs: Math.round(now - execution.receivedAt),
      startedAt: new Date(execution.receivedAtWall).toISOString(),
    }));
  }

  private async startAccepting(): Promise<void> {
    if (this.shuttingDown || this.chatSubscription) return;
    this.chatSubscription = this.nats.subscribe(subjects.providers.chat, (data, message) => this.onChat(data, message), { queue: 'providers', spanName: 'providers.attempt' });
    try {
      await this.nats.connection.flush();
    } catch {
      // Reconnecting: the subscription is re-sent by the client.
    }
    if (this.shuttingDown) return;
    this.acceptingAttempts = true;
    this.logger.log(`taking attempts on ${subjects.providers.chat} (catalog version ${this.directory.version})`);
  }

  /** One attempt; the returned promise (the `providers.attempt` span) lasts until the attempt is over. */
  async onChat(data: unknown, message: Msg): Promise<void> {
    const reply = message.reply;
    if (!reply) {
      this.logger.warn(`dropped a message on ${subjects.providers.chat} without a reply subject`);
      return;
    }
    const parsed = providerChatRequestSchema.safeParse(data);
    if (!parsed.success) {
      const detail = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
      this.reject(reply, { status: 400, errorType: 'invalid_request', retryable: false, phase: 'connect', message: `Invalid attempt request: ${detail}` });
      return;
    }
    const request = parsed.data;
    if (this.shuttingDown) {
      this.reject(reply, shutdownError(false));
      return;
    }
    if (this.inflight.has(request.attemptId)) {
      this.reject(reply, { status: 400, errorType: 'invalid_request', retryable: false, phase: 'connect', message: `Attempt ${request.attemptId} is already running` });
      return;
    }
    const probe = (data as { probe?: unknown }).probe === true;
    const execution = new AttemptExecution(request, reply, this.dependencies, probe);
    const span = otelTrace.getActiveSpan();
    if (span?.isRecording()) span.setAttributes({
      'switchyard.attempt_id': request.attemptId,
      'switchyard.generation_id': request.generationId,
      'switchyard.provider': request.endpoint.providerSlug,
      'switchyard.endpoint_id': request.endpoint.id,
    });
    this.inflight.add(request.attemptId, execution);
    this.events.inFlight.inc({ provider: request.endpoint.providerSlug });
    try {
      const result = await execution.run();
      this.events.completed(execution, result);
    } finally {
      this.inflight.remove(request.attemptId);
      this.events.inFlight.dec({ provider: request.endpoint.providerSlug });
    }
  }

  onCancel(data: unknown): void {
    const parsed = providerCancelSchema.safeParse(data);
    if (!parsed.success) return;
    this.inflight.cancel(parsed.data.attemptId, parsed.data.reason ?? 'cancelled by the caller');
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    this.acceptingAttempts = false;
    if (this.chatSubscription) {
      // Stop taking attempts; messages already delivered to this replica are still handled (as shutdown rejections).
      await this.chatSubscription.drain().catch(() => undefined);
    }
    await this.inflight.drain(this.config.SHUTDOWN_DRAIN_MS, this.logger, 'in-flight attempts');
    this.cancelSubscription?.unsubscribe();
    const pending = await this.events.flush(2_000);
    if (pending > 0) this.logger.warn(`${pending} usage events still waiting for JetStream at shutdown`);
    try {
      await this.nats.connection.flush();
    } catch {
      // Closed already: frames were best effort.
    }
  }

  private reject(reply: string, error: UpstreamError): void {
    try {
      this.nats.connection.publish(reply, JSON.stringify({ k: 'failed', error, contentSent: false, upstreamMs: 0, ttftMs: null }));
    } catch (publishError) {
      this.logger.debug(`could not answer ${reply}: ${(publishError as Error).message}`);
    }
  }
}
