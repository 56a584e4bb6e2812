import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  httpHeaders,
  newAttemptId,
  newGenerationId,
  PaymentRequiredError,
  ServiceUnavailableError,
  type AttemptRecord,
  type ProviderEmbedRequest,
  type RerankScoreFrame,
} from '@switchyard/contracts';
import { emptyUsage, makeUsage, type CanonicalChatRequest, type ProviderPreferences, type Usage } from '@switchyard/llm-spec';
import { chargeFor, Decimal, formatMoney, moneyToNumber, usageCost, type Charge } from '@switchyard/money';
import { CancelSource, EmbedAttemptClient, extractTraceContext, NatsService, recordCarrier, SpanKind, withSpan, type CancelSignal, type Embedding } from '@switchyard/nest-kit';
import { plan, type PlannedAttempt } from '@switchyard/routing-policy';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { attemptBillingFor } from '../../admission/attempt-billing.js';
import { attemptsAllowedForKey, modelAllowed } from '../../admission/model-allowlist.js';
import { applyCallerGuardrailsToTexts } from '../../admission/guardrails.js';
import { UserLimitsService } from '../../admission/user-limits.service.js';
import { CreditLeaseService, type Reservation } from '../../admission/credit-lease.service.js';
import type { Caller } from '../../auth/authenticator.service.js';
import type { FailedAttempt } from '../../chat/attempt-runner.service.js';
import { exhaustedError } from '../../chat/generation-pipeline.service.js';
import { accountPolicyOf, planFailure } from '../../chat/planning.js';
import { cacheHitEvent, generationCompletedEvent, modelLabel, roundMs, servedByAttempt } from '../../generation/generation-event.js';
import { cacheHeaders, NO_CHARGE, type CachedResponseOf } from '../../response-cache/response-cache.js';
import { ResponseCacheService } from '../../response-cache/response-cache.service.js';
import { ProviderCredentialsService } from '../../state/provider-credentials.service.js';
import { INGRESS_CONFIG, type IngressConfig } from '../../config/ingress.config.js';
import { GenerationRecorderService } from '../../generation/generation-recorder.service.js';
import { requestStartedAt } from '../../http/request-timing.js';
import { CatalogStateService } from '../../state/catalog-state.service.js';
import { wrongEndpointError } from '../embeddings/endpoint-kind.js';

/** What identifies a unary answer: the generation id, the model that served and its provider's display name. */
export interface UnaryIdentity {
  /** The generation id (also `X-Generation-Id`). */
  id: string;
  /** The model that served ("openai/text-embedding-3-small"). */
  model: string;
  /** Provider display name ("OpenAI"). */
  provider: string;
}

/** What the upstream answered: embeddings (one per input) or a rerank's scores (best first), with the usage billed. */
export interface UnaryAnswer {
  embeddings: Embedding[];
  results: RerankScoreFrame[];
  usage: Usage;
}

/**
 * One unary generation (embeddings, rerank) as its controller describes it to the service: what to plan, admit,
 * send to providers and render. The answer is never a stream.
 */
export interface UnaryGeneration {
  api: 'embeddings' | 'rerank';
  model: string;
  models?: string[];
  provider?: ProviderPreferences;
  user?: string;
  /** Estimated prompt tokens of the whole call: admission, and the usage of a call abandoned before its answer. */
  promptTokens: number;
  /** The longest piece one upstream context must hold (the planner's context filter): one input, or a rerank's query. */
  contextTokens: number;
  /** Requests billed at the endpoint's per-request price: 1, or a rerank's searches. */
  requests: number;
  /** The canonical call providers sends upstream. */
  call: ProviderEmbedRequest['request'];
  /** Drops the planned endpoints that cannot take this call; throws a 400 when none is left. */
  routable?(attempts: PlannedAttempt[]): PlannedAttempt[];
  /** The 200 body. */
  render(identity: UnaryIdentity, answer: UnaryAnswer, charge: Charge, isByok: boolean): unknown;
  /** What the generation stores when the account opted in to prompt logging. */
  content(answer: UnaryAnswer | undefined): { input: unknown; output: unknown };
  /** Span attributes of the request (beyond method, path, API and model). */
  attributes: Record<string, string | number>;
}

/** A unary request's routing fields as `UnaryGeneration` takes them (the optional ones only when given). */
export function unaryRouting(request: { model: string; models?: string[]; provider?: ProviderPreferences; user?: string }): Pick<UnaryGeneration, 'model' | 'models' | 'provider' | 'user'> {
  return {
    model: request.model,
    ...(request.models ? { models: request.models } : {}),
    ...(request.provider ? { provider: request.provider } : {}),
    ...(request.user ? { user: request.user } : {}),
  };
}

/** OpenRouter's `usage` of a unary answer: prompt tokens (= total), `cost` charged, BYOK flag and the upstream cost details. */
export function renderUnaryUsage(usage: Usage, charge: Charge, isByok: boolean): Record<string, unknown> {
  return {
    prompt_tokens: usage.promptTokens,
    total_tokens: usage.promptTokens,
    cost: moneyToNumber(charge.cost),
    is_byok: isByok,
    cost_details: {
      upstream_inference_cost: isByok ? moneyToNumber(charge.listCost) : null,
      upstream_inference_prompt_cost: moneyToNumber(charge.breakdown.prompt),
      upstream_inference_completions_cost: 0,
    },
  };
}

type RunOutcome =
  | { kind: 'served'; attempt: PlannedAttempt; answer: UnaryAnswer; upstreamId: string | null; upstreamMs: number }
  | { kind: 'cancelled'; attempt: PlannedAttempt }
  | { kind: 'exhausted'; failures: FailedAttempt[] };

interface Exchange {
  caller: Caller;
  generation: UnaryGeneration;
  request: FastifyRequest;
  generationId: string;
  startedAt: number;
  reservation: Reservation;
  records: AttemptRecord[];
  /** Sum of the upstream time of every attempt, ms (for the overhead figure). */
  upstreamMs: number;
}

/**
 * One embeddings or rerank request, end to end and without touching a database: the shared planner (catalog
 * snapshot + routing table + account policy), admission on the credit lease (the estimated input tokens and
 * `requests` at the per-request price of the priciest planned endpoint), calls through providers (`sy.providers.embed.v1`) with
 * failover on retryable errors, the charge (`chargeFor`: prompt tokens and `requests`, finish "stop", so
 * prompt-logging and BYOK rules apply as for chat), the response with `X-Generation-Id` and `usage.cost`, and one
 * `generation-completed` (`apiType` "embeddings" or "rerank") through the outbox.
 */
@Injectable()
export class UnaryGenerationService {
  private readonly logger = new Logger('Unary');
  private readonly client: EmbedAttemptClient;

  constructor(
    private readonly state: CatalogStateService,
    private readonly admission: CreditLeaseService,
    private readonly recorder: GenerationRecorderService,
    private readonly cache: ResponseCacheService,
    private readonly credentials: ProviderCredentialsService,
    nats: NatsService,
    @Inject(INGRESS_CONFIG) private readonly config: IngressConfig,
    private readonly userLimits: UserLimitsService,
  ) {
    this.client = new EmbedAttemptClient(nats, config.PROVIDER_LIVENESS_MS);
  }

  /** One server span per request, continuing the client's W3C trace context. */
  execute(request: FastifyRequest, reply: FastifyReply, caller: Caller, generation: UnaryGeneration): Promise<void> {
    return withSpan(
      `${request.method} ${request.routeOptions.url ?? request.url}`,
      (span) => {
        if (span.isRecording()) span.setAttributes({ 'http.request.method': request.method, 'url.path': request.url.split('?')[0], 'switchyard.api': generation.api, 'switchyard.model': generation.model, ...generation.attributes });
        return this.run(request, reply, caller, generation);
      },
      { kind: SpanKind.SERVER, parent: extractTraceContext(recordCarrier(request.headers as Record<string, string | string[] | undefined>)) },
    );
  }

  private async run(request: FastifyRequest, reply: FastifyReply, caller: Caller, asked: UnaryGeneration): Promise<void> {
    const startedAt = requestStartedAt(request);
    const index = this.state.index;
    if (!index) throw new ServiceUnavailableError('The gateway is starting up (catalog not loaded yet); retry shortly');
    const requestedModels = [asked.model, ...(asked.models ?? [])];
    const wrongEndpoint = wrongEndpointError(index, requestedModels, asked.api);
    if (wrongEndpoint) throw wrongEndpoint;
    // The account's guardrails see the texts before the cache or any provider (token-id inputs carry no text): they
    // refuse the call, or redact what they find.
    const generation = this.recorder.guarded(asked.api, () => guarded(caller, asked)).request;
    const cache = this.cache.requestOf(request, caller, false);
    if (cache && !cache.directive.clear) {
      const hit = await this.cache.lookup(cache.key, 'unary');
      if (hit && modelAllowed(caller.key.allowedModels, hit.servedBy.model.split(':')[0]!)) return this.replay(request, reply, caller, generation, startedAt, hit);
    }

    const promptTokens = generation.promptTokens;
    const sessionHeader = request.headers[httpHeaders.sessionId];
    const planned = await withSpan('plan', () =>
      plan({
        request: this.planningRequest(generation),
        catalog: index,
        uncredentialedProviders: this.credentials.uncredentialed,
        routingTable: this.state.routingTable,
        account: accountPolicyOf(caller),
        sessionKey: typeof sessionHeader === 'string' ? sessionHeader : null,
        promptTokens: generation.contextTokens,
        now: Date.now(),
      }),
    );
    if (!planned.ok) throw planFailure(planned);
    this.userLimits.check(caller.key.hash, generation.user);
    const permitted = attemptsAllowedForKey(caller.key.allowedModels, generation.model, planned.attempts);
    const quota = (await this.admission.checkFreeQuota(caller, permitted)).attempts;
    const attempts = generation.routable ? generation.routable(quota) : quota;
    const reservation = await this.reserve(caller, attempts, promptTokens, generation.requests);

    const generationId = newGenerationId();
    const abort = new CancelSource();
    const onClose = () => {
      if (!reply.raw.writableEnded) abort.abort();
    };
    reply.raw.on('close', onClose);
    const exchange: Exchange = { caller, generation, request, generationId, startedAt, reservation, records: [], upstreamMs: 0 };
    let outcome: RunOutcome;
    try {
      outcome = await this.attempt(exchange, attempts, abort);
    } catch (error) {
      this.logger.error(`${generation.api} attempts failed unexpectedly: ${(error as Error).message}`, (error as Error).stack);
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
    const usage = served ? result.answer.usage : makeUsage({ promptTokens, completionTokens: 0, estimated: true });
    const finishReason = served ? 'stop' : null;
    const charge = chargeFor({
      usage: { promptTokens: usage.promptTokens, completionTokens: 0, cachedTokens: 0, cacheWriteTokens: 0, requests: generation.requests },
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
        const body = generation.render({ id: generationId, model: modelLabel(attempt), provider: attempt.provider.name }, result.answer, charge, attempt.isByok);
        await reply
          .status(200)
          .headers({ ...(cache ? cacheHeaders({ ttlSeconds: cache.directive.ttlSeconds }) : {}), [httpHeaders.generationId]: generationId, [httpHeaders.overheadMs]: overheadMs.toFixed(3), 'Content-Type': 'application/json; charset=utf-8' })
          .send(JSON.stringify(body));
      }
    } finally {
      const finishedAt = performance.now();
      const recorded = { usage, charge, finishReason, cancelled: !served, upstreamId: served ? result.upstreamId : null, generationMs: served ? result.upstreamMs : 0, answer: served ? result.answer : undefined };
      // The response is out: the metrics and the generation-completed event wait for the outbox's batch window.
      this.recorder.defer(() => {
        this.observe(exchange, result.kind, finishedAt);
        this.record(exchange, attempt, recorded, finishedAt);
        if (cache && result.kind === 'served') void this.cache.remember(cache, generationId, servedByAttempt(attempt), { kind: 'unary', embeddings: result.answer.embeddings, results: result.answer.results });
      });
    }
  }

  /**
   * A response-cache hit: the stored vectors or scores rendered under a new generation id, with zero usage and
   * nothing charged; no provider is called and no credit reserved. Recorded as a generation naming the one it replays.
   */
  private async replay(request: FastifyRequest, reply: FastifyReply, caller: Caller, generation: UnaryGeneration, startedAt: number, hit: CachedResponseOf<'unary'>): Promise<void> {
    const generationId = newGenerationId();
    const answer: UnaryAnswer = { embeddings: hit.embeddings, results: hit.results, usage: emptyUsage };
    const body = generation.render({ id: generationId, model: hit.servedBy.model, provider: hit.servedBy.providerName }, answer, NO_CHARGE, false);
    await reply
      .status(200)
      .headers({ ...cacheHeaders({ hit, now: Date.now() }), [httpHeaders.generationId]: generationId, [httpHeaders.overheadMs]: (performance.now() - startedAt).toFixed(3), 'Content-Type': 'application/json; charset=utf-8' })
      .send(JSON.stringify(body));
    const finishedAt = performance.now();
    this.recorder.defer(() => {
      this.recorder.observe(generation.api, false, 'cache_hit', { startedAt, finishedAt, upstreamMs: 0 }, []);
      this.recorder.record(
        cacheHitEvent(hit, {
          generationId,
          apiType: generation.api,
          caller,
          request,
          requestedModel: generation.model,
          startedAt,
          finishedAt,
          streamed: false,
          finishReason: 'stop',
          nativeFinishReason: null,
          externalUser: generation.user ?? null,
          content: caller.account.privacy.logPrompts ? generation.content(answer) : null,
        }),
      );
    });
  }

  /** What the planner reads: the models, provider preferences and user of the request (no messages). */
  private planningRequest(generation: UnaryGeneration): CanonicalChatRequest {
    const request: CanonicalChatRequest = { model: generation.model, messages: [], stream: false };
    if (generation.models) request.models = generation.models;
    if (generation.provider) request.provider = generation.provider;
    if (generation.user) request.user = generation.user;
    return request;
  }

  /** Reserves the estimated input cost and the per-request price at the priciest planned endpoint (there is no output to reserve). */
  private async reserve(caller: Caller, attempts: PlannedAttempt[], promptTokens: number, requests: number): Promise<Reservation> {
    let maxCost = new Decimal(0);
    for (const attempt of attempts) maxCost = Decimal.max(maxCost, usageCost({ promptTokens, completionTokens: 0, requests }, attempt.endpoint.pricing).total);
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
  private async attempt(exchange: Exchange, attempts: PlannedAttempt[], signal: CancelSignal): Promise<RunOutcome> {
    const { caller, generation } = exchange;
    const failures: FailedAttempt[] = [];
    const skippedModels = new Set<string>();
    const billing = attemptBillingFor({ caller, requestedModel: generation.model, apiType: generation.api, requests: generation.requests, streamed: false, reservation: exchange.reservation, requestedAt: Date.now() - (performance.now() - exchange.startedAt) });
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
        request: generation.call,
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
      if (outcome.ok) return { kind: 'served', attempt, answer: { embeddings: outcome.embeddings, results: outcome.results, usage: outcome.usage }, upstreamId: outcome.upstreamId, upstreamMs: outcome.upstreamMs };
      if (outcome.error.phase === 'cancelled' || signal.aborted) return { kind: 'cancelled', attempt };
      failures.push({ attempt, error: outcome.error });
      if (!outcome.error.retryable) skippedModels.add(attempt.model.id);
    }
    return { kind: 'exhausted', failures };
  }

  /** `finishedAt`: when the request ended (performance.now()), which the deferred call comes after. */
  private observe(exchange: Exchange, outcome: string, finishedAt: number): void {
    this.recorder.observe(exchange.generation.api, false, outcome, { startedAt: exchange.startedAt, finishedAt, upstreamMs: exchange.upstreamMs }, exchange.records);
  }

  private record(
    exchange: Exchange,
    attempt: PlannedAttempt,
    served: { usage: Usage; charge: Charge; finishReason: string | null; cancelled: boolean; upstreamId: string | null; generationMs: number; answer: UnaryAnswer | undefined },
    finishedAt: number,
  ): void {
    this.recorder.record(
      generationCompletedEvent({
        generationId: exchange.generationId,
        apiType: exchange.generation.api,
        caller: exchange.caller,
        reservation: exchange.reservation,
        request: exchange.request,
        requestedModel: exchange.generation.model,
        servedBy: servedByAttempt(attempt),
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
        externalUser: exchange.generation.user ?? null,
        content: exchange.caller.account.privacy.logPrompts ? exchange.generation.content(served.answer) : null,
      }),
    );
  }
}

/** The call after the account's guardrails: refused (403), unchanged, or with the texts they found something in redacted. */
function guarded(caller: Caller, generation: UnaryGeneration): { request: UnaryGeneration; redacted: string[] } {
  const call = generation.call;
  const texts = call.operation === 'rerank' ? [call.query, ...call.documents] : call.input.filter((input): input is string => typeof input === 'string');
  const { request: redacted, redacted: findings } = applyCallerGuardrailsToTexts(caller, texts);
  if (findings.length === 0) return { request: generation, redacted: findings };
  if (call.operation === 'rerank') {
    const [query = call.query, ...documents] = redacted;
    return { request: { ...generation, call: { ...call, query, documents }, content: (answer) => ({ ...generation.content(answer), input: { query, documents } }) }, redacted: findings };
  }
  return { request: { ...generation, call: { ...call, input: redacted }, content: (answer) => ({ ...generation.content(answer), input: redacted }) }, redacted: findings };
}
