import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  BadRequestError,
  httpHeaders,
  newAttemptId,
  newGenerationId,
  PaymentRequiredError,
  ServiceUnavailableError,
  type AttemptRecord,
  type ProviderEmbedRequest,
} from '@switchyard/contracts';
import { estimateTokens, makeUsage, type CanonicalChatRequest, type Usage } from '@switchyard/llm-spec';
import { chargeFor, Decimal, formatMoney, usageCost, type Charge } from '@switchyard/money';
import { EmbedAttemptClient, extractTraceContext, NatsService, recordCarrier, SpanKind, withSpan, type Embedding } from '@switchyard/nest-kit';
import { plan, type PlannedAttempt } from '@switchyard/routing-policy';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { attemptBillingFor } from '../../admission/attempt-billing.js';
import { CreditLeaseService, type Reservation } from '../../admission/credit-lease.service.js';
import type { Caller } from '../../auth/authenticator.service.js';
import type { FailedAttempt } from '../../chat/attempt-runner.service.js';
import { exhaustedError } from '../../chat/generation-pipeline.service.js';
import { accountPolicyOf, planFailure } from '../../chat/planning.js';
import { generationCompletedEvent, modelLabel, roundMs } from '../../generation/generation-event.js';
import { INGRESS_CONFIG, type IngressConfig } from '../../config/ingress.config.js';
import { GenerationRecorderService } from '../../generation/generation-recorder.service.js';
import { requestStartedAt } from '../../http/request-timing.js';
import { CatalogStateService } from '../../state/catalog-state.service.js';
import type { EmbeddingsRequest } from './embeddings-request.schema.js';
import { renderEmbeddingsResponse } from './embeddings.renderer.js';
import { wrongEndpointError } from './endpoint-kind.js';

/** Prompt-token estimate of each input: about four characters a token, one per token id (as providers estimate). */
export function inputTokenEstimates(input: readonly string[] | readonly (readonly number[])[]): number[] {
  return input.map((item) => (typeof item === 'string' ? estimateTokens(item) : item.length));
}

type RunOutcome =
  | { kind: 'served'; attempt: PlannedAttempt; embeddings: Embedding[]; usage: Usage; upstreamId: string | null; upstreamMs: number }
  | { kind: 'cancelled'; attempt: PlannedAttempt }
  | { kind: 'exhausted'; failures: FailedAttempt[] };

interface Exchange {
  caller: Caller;
  embeddings: EmbeddingsRequest;
  request: FastifyRequest;
  generationId: string;
  startedAt: number;
  reservation: Reservation;
  records: AttemptRecord[];
  /** Sum of the upstream time of every attempt, ms (for the overhead figure). */
  upstreamMs: number;
}

/**
 * One embeddings request, end to end and without touching a database: the shared planner (catalog snapshot +
 * routing table + account policy), admission on the credit lease (the estimated input tokens at the priciest
 * planned endpoint's prompt price), attempts through providers (`sy.providers.embed.v1`) with failover on
 * retryable errors, the charge (`chargeFor`: prompt tokens only, finish "stop", so prompt-logging and BYOK rules
 * apply as for chat), the response with `X-Generation-Id` and `usage.cost`, and one `generation-completed`
 * (`apiType: "embeddings"`) through the outbox.
 */
@Injectable()
export class EmbeddingsService {
  private readonly logger = new Logger('Embeddings');
  private readonly client: EmbedAttemptClient;

  constructor(
    private readonly state: CatalogStateService,
    private readonly admission: CreditLeaseService,
    private readonly recorder: GenerationRecorderService,
    nats: NatsService,
    @Inject(INGRESS_CONFIG) private readonly config: IngressConfig,
  ) {
    this.client = new EmbedAttemptClient(nats, config.PROVIDER_LIVENESS_MS);
  }

  /** One server span per request, continuing the client's W3C trace context. */
  execute(request: FastifyRequest, reply: FastifyReply, caller: Caller, embeddings: EmbeddingsRequest): Promise<void> {
    return withSpan(
      `${request.method} ${request.routeOptions.url ?? request.url}`,
      (span) => {
        span.setAttributes({ 'http.request.method': request.method, 'url.path': request.url.split('?')[0], 'switchyard.api': 'embeddings', 'switchyard.model': embeddings.model, 'switchyard.inputs': embeddings.input.length });
        return this.run(request, reply, caller, embeddings);
      },
      { kind: SpanKind.SERVER, parent: extractTraceContext(recordCarrier(request.headers as Record<string, string | string[] | undefined>)) },
    );
  }

  private async run(request: FastifyRequest, reply: FastifyReply, caller: Caller, embeddings: EmbeddingsRequest): Promise<void> {
    const startedAt = requestStartedAt(request);
    const index = this.state.index;
    if (!index) throw new ServiceUnavailableError('The gateway is starting up (catalog not loaded yet); retry shortly');
    const requestedModels = [embeddings.model, ...(embeddings.models ?? [])];
    const wrongEndpoint = wrongEndpointError(index, requestedModels, 'embeddings');
    if (wrongEndpoint) throw wrongEndpoint;

    const estimates = inputTokenEstimates(embeddings.input);
    const promptTokens = estimates.reduce((sum, tokens) => sum + tokens, 0);
    const sessionHeader = request.headers[httpHeaders.sessionId];
    // The planner's context filter applies per input: an embedding model's context is the limit of one input.
    const planned = await withSpan('plan', () =>
      plan({
        request: this.planningRequest(embeddings),
        catalog: index,
        routingTable: this.state.routingTable,
        account: accountPolicyOf(caller),
        sessionKey: typeof sessionHeader === 'string' ? sessionHeader : null,
        promptTokens: Math.max(...estimates),
        now: Date.now(),
      }),
    );
    if (!planned.ok) throw planFailure(planned);
    let attempts = await this.admission.checkFreeQuota(caller, planned.attempts);
    if (typeof embeddings.input[0] !== 'string') {
      // Token-id inputs cannot be sent to Gemini: route around those endpoints instead of failing on them.
      attempts = attempts.filter((attempt) => attempt.provider.wireFormat !== 'gemini');
      if (attempts.length === 0) {
        throw new BadRequestError(`Invalid request: input: the providers of ${embeddings.model} take text inputs only, not token ids: send the text instead`, { issues: [{ path: 'input', message: 'token-id inputs are not supported by this model' }] });
      }
    }
    const reservation = await this.reserve(caller, attempts, promptTokens);

    const generationId = newGenerationId();
    const abort = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableEnded) abort.abort();
    };
    reply.raw.on('close', onClose);
    const exchange: Exchange = { caller, embeddings, request, generationId, startedAt, reservation, records: [], upstreamMs: 0 };
    let outcome: RunOutcome;
    try {
      outcome = await this.attempt(exchange, attempts, abort.signal);
    } catch (error) {
      this.logger.error(`embeddings attempts failed unexpectedly: ${(error as Error).message}`, (error as Error).stack);
      outcome = { kind: 'exhausted', failures: [] };
    } finally {
      reply.raw.off('close', onClose);
    }

    if (outcome.kind === 'exhausted') {
      this.admission.release(reservation);
      this.observe(exchange, 'error', performance.now());
      throw outcome.failures.length > 0 ? exhaustedError(outcome.failures) : new ServiceUnavailableError('No provider could serve the request');
    }

    const result = outcome;
    const attempt = result.attempt;
    // What the provider reported is billed; a call the client abandoned before the answer is not (nothing was
    // delivered: zero-completion insurance with no finish), and is recorded as cancelled.
    const served = result.kind === 'served';
    const usage = served ? result.usage : makeUsage({ promptTokens, completionTokens: 0, estimated: true });
    const finishReason = served ? 'stop' : null;
    const charge = chargeFor({
      usage: { promptTokens: usage.promptTokens, completionTokens: 0, cachedTokens: 0, cacheWriteTokens: 0, requests: 1 },
      pricing: attempt.endpoint.pricing,
      finishReason,
      promptLogging: caller.account.privacy.logPrompts,
      isByok: attempt.isByok,
      byokFeeWaived: caller.account.byokFeeWaived,
    });
    this.admission.settle(reservation, charge.cost);
    try {
      if (served) {
        const overheadMs = Math.max(0, performance.now() - startedAt - exchange.upstreamMs);
        const body = renderEmbeddingsResponse({ id: generationId, model: modelLabel(attempt), provider: attempt.provider.name }, result.embeddings, usage, charge, attempt.isByok);
        await reply
          .status(200)
          .header(httpHeaders.generationId, generationId)
          .header(httpHeaders.overheadMs, overheadMs.toFixed(3))
          .header('Content-Type', 'application/json; charset=utf-8')
          .send(JSON.stringify(body));
      }
    } finally {
      const finishedAt = performance.now();
      const recorded = { usage, charge, finishReason, cancelled: !served, upstreamId: served ? result.upstreamId : null, generationMs: served ? result.upstreamMs : 0 };
      // The response is out: the metrics and the generation-completed event wait for the outbox's batch window.
      this.recorder.defer(() => {
        this.observe(exchange, result.kind, finishedAt);
        this.record(exchange, attempt, recorded, finishedAt);
      });
    }
  }

  /** What the planner reads: the models, provider preferences and user of the request (no messages). */
  private planningRequest(embeddings: EmbeddingsRequest): CanonicalChatRequest {
    const request: CanonicalChatRequest = { model: embeddings.model, messages: [], stream: false };
    if (embeddings.models) request.models = embeddings.models;
    if (embeddings.provider) request.provider = embeddings.provider;
    if (embeddings.user) request.user = embeddings.user;
    return request;
  }

  /** Reserves the estimated input cost at the priciest planned endpoint (embeddings have no output to reserve). */
  private async reserve(caller: Caller, attempts: PlannedAttempt[], promptTokens: number): Promise<Reservation> {
    let maxCost = new Decimal(0);
    for (const attempt of attempts) maxCost = Decimal.max(maxCost, usageCost({ promptTokens, completionTokens: 0, requests: 1 }, attempt.endpoint.pricing).total);
    try {
      return await this.admission.reserve(caller, maxCost);
    } catch (error) {
      if (!(error instanceof PaymentRequiredError)) throw error;
      throw new PaymentRequiredError(`This request requires more credits: about ${promptTokens} input tokens cost up to $${formatMoney(maxCost)}. To increase, add credits to your account.`, {
        ...error.metadata,
        estimated_prompt_tokens: promptTokens,
      });
    }
  }

  /**
   * Failover, as for chat: runs the planned attempts in order until one answers. A retryable failure (connect
   * error, timeout, 408, 429, 5xx, a silent replica) moves to the next endpoint; a non-retryable one skips the rest
   * of that model's endpoints but still tries the `models` fallbacks. Nothing reaches the client before an attempt
   * answered whole, so failover is always possible.
   */
  private async attempt(exchange: Exchange, attempts: PlannedAttempt[], signal: AbortSignal): Promise<RunOutcome> {
    const { caller, embeddings } = exchange;
    const failures: FailedAttempt[] = [];
    const skippedModels = new Set<string>();
    const billing = attemptBillingFor({ caller, requestedModel: embeddings.model, apiType: 'embeddings', streamed: false, reservation: exchange.reservation, requestedAt: Date.now() - (performance.now() - exchange.startedAt) });
    let tried = 0;
    for (const attempt of attempts) {
      if (tried >= this.config.MAX_ATTEMPTS) break;
      if (skippedModels.has(attempt.model.id)) continue;
      tried += 1;
      const call: ProviderEmbedRequest = {
        attemptId: newAttemptId(),
        generationId: exchange.generationId,
        accountId: caller.account.accountId,
        endpoint: { id: attempt.endpoint.id, modelId: attempt.model.id, providerSlug: attempt.endpoint.providerSlug, upstreamModelId: attempt.endpoint.upstreamModelId },
        byok: attempt.isByok,
        request: {
          input: embeddings.input,
          encodingFormat: embeddings.encodingFormat,
          ...(embeddings.dimensions !== undefined ? { dimensions: embeddings.dimensions } : {}),
          ...(embeddings.inputType !== undefined ? { inputType: embeddings.inputType } : {}),
        },
        timeouts: { connectMs: this.config.UPSTREAM_CONNECT_TIMEOUT_MS, totalMs: this.config.UPSTREAM_FIRST_TOKEN_TIMEOUT_MS },
        heartbeatMs: this.config.PROVIDER_HEARTBEAT_MS,
        billing: billing(attempt),
      };
      const started = performance.now();
      const outcome = await withSpan(
        'providers.embed',
        async (span) => {
          span.setAttributes({ 'switchyard.provider': attempt.endpoint.providerSlug, 'switchyard.endpoint': attempt.endpoint.id, 'switchyard.attempt': tried });
          const result = await this.client.run(call, signal);
          span.setAttribute('switchyard.outcome', result.ok ? 'ok' : result.error.errorType);
          return result;
        },
        { kind: SpanKind.CLIENT },
      );
      const elapsed = performance.now() - started;
      exchange.upstreamMs += Math.min(outcome.upstreamMs, elapsed);
      exchange.records.push({
        attemptId: call.attemptId,
        endpointId: attempt.endpoint.id,
        providerSlug: attempt.endpoint.providerSlug,
        providerName: attempt.provider.name,
        modelId: attempt.model.id,
        ok: outcome.ok,
        status: outcome.ok ? outcome.upstreamStatus : outcome.error.status,
        errorType: outcome.ok ? null : outcome.error.errorType,
        message: outcome.ok ? null : outcome.error.message,
        latencyMs: roundMs(elapsed),
        isByok: attempt.isByok,
      });
      if (outcome.ok) return { kind: 'served', attempt, embeddings: outcome.embeddings, usage: outcome.usage, upstreamId: outcome.upstreamId, upstreamMs: outcome.upstreamMs };
      if (outcome.error.phase === 'cancelled' || signal.aborted) return { kind: 'cancelled', attempt };
      failures.push({ attempt, error: outcome.error });
      if (!outcome.error.retryable) skippedModels.add(attempt.model.id);
    }
    return { kind: 'exhausted', failures };
  }

  /** `finishedAt`: when the request ended (performance.now()), which the deferred call comes after. */
  private observe(exchange: Exchange, outcome: string, finishedAt: number): void {
    this.recorder.observe('embeddings', false, outcome, { startedAt: exchange.startedAt, finishedAt, upstreamMs: exchange.upstreamMs }, exchange.records);
  }

  private record(exchange: Exchange, attempt: PlannedAttempt, served: { usage: Usage; charge: Charge; finishReason: string | null; cancelled: boolean; upstreamId: string | null; generationMs: number }, finishedAt: number): void {
    this.recorder.record(
      generationCompletedEvent({
        generationId: exchange.generationId,
        apiType: 'embeddings',
        caller: exchange.caller,
        reservation: exchange.reservation,
        request: exchange.request,
        requestedModel: exchange.embeddings.model,
        attempt,
        records: exchange.records,
        startedAt: exchange.startedAt,
        finishedAt,
        upstreamMs: exchange.upstreamMs,
        generationMs: served.generationMs,
        ttftMs: null,
        streamed: false,
        cancelled: served.cancelled,
        usage: served.usage,
        charge: served.charge,
        finishReason: served.finishReason,
        nativeFinishReason: null,
        upstreamId: served.upstreamId,
        externalUser: exchange.embeddings.user ?? null,
        // The inputs only: embeddings are numbers, not content worth logging.
        content: exchange.caller.account.privacy.logPrompts ? { input: exchange.embeddings.input, output: null } : null,
      }),
    );
  }
}
