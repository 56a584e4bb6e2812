import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  AvailabilityError,
  BadRequestError,
  GatewayError,
  httpHeaders,
  newGenerationId,
  PaymentRequiredError,
  ProviderFailureError,
  ServiceUnavailableError,
  type AttemptRecord,
  type GenerationCompleted,
} from '@switchyard/contracts';
import {
  chatRequestSchema,
  estimatePromptTokens,
  isContentPart,
  makeUsage,
  ResultAssembler,
  toCanonicalChatRequest,
  type CanonicalChatRequest,
  type StreamPart,
  type Usage,
  type UpstreamError,
} from '@switchyard/llm-spec';
import { affordableCompletionTokens, chargeFor, Decimal, formatMoney, toDecimal, usageCost, type Charge } from '@switchyard/money';
import { withSpan } from '@switchyard/nest-kit';
import { plan, type PlannedAttempt, type PlanResult } from '@switchyard/routing-policy';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { CreditLeaseService, type Reservation } from '../admission/credit-lease.service.js';
import { AuthenticatorService, type Caller } from '../auth/authenticator.service.js';
import { INGRESS_CONFIG, type IngressConfig } from '../config/ingress.config.js';
import { GenerationRecorderService } from '../generation/generation-recorder.service.js';
import { requestStartedAt } from '../http/request-timing.js';
import { CatalogStateService } from '../state/catalog-state.service.js';
import { AttemptRunnerService, type AttemptSink, type FailedAttempt, type RunOutcome } from './attempt-runner.service.js';
import { ChunkRenderer, type ResponseIdentity } from './chunk-renderer.js';
import { renderCompletion } from './completion.renderer.js';
import { SseWriter } from './sse-writer.js';
import { renderUsage } from './usage.renderer.js';

const KEEPALIVE_COMMENT = 'SWITCHYARD PROCESSING';

/** Turns zod issues into one readable 400. */
export function invalidRequest(error: z.ZodError): BadRequestError {
  const issues = error.issues.slice(0, 10).map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message }));
  const summary = issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
  return new BadRequestError(`Invalid request: ${summary}`, { issues });
}

function modelLabel(attempt: PlannedAttempt): string {
  return attempt.endpoint.variant === 'standard' ? attempt.model.id : `${attempt.model.id}:${attempt.endpoint.variant}`;
}

function planFailure(result: Extract<PlanResult, { ok: false }>): GatewayError {
  const error = result.error;
  return new AvailabilityError(error.status, error.code, error.message, {
    requested_models: error.requestedModels,
    excluded_by: error.excludedBy,
    ...(error.constraint ? { constraint: error.constraint } : {}),
  });
}

/** The error a client gets when every attempt failed: the most useful status, with every provider's error. */
export function exhaustedError(failures: FailedAttempt[]): GatewayError {
  const previous = failures.map((failure) => ({
    provider: failure.attempt.endpoint.providerSlug,
    provider_name: failure.attempt.provider.name,
    model: failure.attempt.model.id,
    code: failure.error.status,
    error_type: failure.error.errorType,
    message: failure.error.status >= 500 ? 'Provider returned error' : failure.error.message,
  }));
  const last = failures.at(-1);
  if (!last) return new ServiceUnavailableError('No provider could serve the request');
  const allRateLimited = failures.every((failure) => failure.error.status === 429);
  const retryAfters = failures.map((failure) => failure.error.retryAfterMs).filter((value): value is number => value !== undefined);
  let status = last.error.status;
  if (allRateLimited) status = 429;
  else if (last.error.errorType === 'timeout') status = 504;
  else if (status >= 500 || status < 400) status = last.error.errorType === 'provider_overloaded' ? 503 : 502;
  const headers: Record<string, string> = {};
  if (status === 429 && retryAfters.length > 0) headers[httpHeaders.retryAfter] = String(Math.max(1, Math.ceil(Math.min(...retryAfters) / 1000)));
  const message = status >= 500 ? `Provider returned error (${last.attempt.provider.name}: ${last.error.errorType})` : last.error.message;
  return new ProviderFailureError(status, message, {
    errorType: status === 429 ? 'rate_limit_exceeded' : last.error.status >= 500 || last.error.status < 400 ? last.error.errorType : last.error.errorType,
    metadata: {
      provider_name: last.attempt.provider.name,
      ...(last.error.providerCode ? { provider_code: last.error.providerCode } : {}),
      ...(last.error.status < 500 && last.error.raw ? { raw: last.error.raw } : {}),
      is_byok: last.attempt.isByok,
      previous_errors: previous,
    },
    headers,
  });
}

/** Collects one attempt's parts: into a result (non-streaming) or straight onto the SSE stream (streaming). */
class ExchangeSink implements AttemptSink {
  assembler = new ResultAssembler();
  attempt: PlannedAttempt | undefined;
  contentStarted = false;
  usage: Usage | undefined;
  finish: Extract<StreamPart, { type: 'finish' }> | undefined;
  completionTextLength = 0;
  onFirstContent: (() => void) | undefined;

  constructor(private readonly stream: { writer: SseWriter; renderer: ChunkRenderer; identity: (attempt: PlannedAttempt) => ResponseIdentity } | undefined) {}

  beginAttempt(attempt: PlannedAttempt): void {
    this.attempt = attempt;
    this.assembler = new ResultAssembler();
    this.usage = undefined;
    this.finish = undefined;
    if (this.stream && !this.contentStarted) this.stream.renderer.reset(this.stream.identity(attempt));
  }

  onParts(parts: StreamPart[]): void {
    for (const part of parts) {
      this.assembler.add(part);
      if (part.type === 'usage') this.usage = part.usage;
      else if (part.type === 'finish') this.finish = part;
      else if (part.type === 'text-delta' || part.type === 'reasoning-delta' || part.type === 'tool-call-delta') {
        this.completionTextLength += part.type === 'tool-call-delta' ? part.argumentsDelta.length : part.text.length;
      }
      if (!this.stream) continue;
      if (isContentPart(part) && !this.contentStarted) {
        this.contentStarted = true;
        this.onFirstContent?.();
      }
      if (part.type === 'response-metadata' && part.systemFingerprint !== undefined && !this.contentStarted && this.attempt) {
        this.stream.renderer.reset({ ...this.stream.identity(this.attempt), systemFingerprint: part.systemFingerprint ?? null });
      }
      const chunk = this.stream.renderer.render(part);
      if (chunk !== undefined) this.stream.writer.data(chunk);
    }
  }
}

/**
 * `POST /api/v1/chat/completions`, end to end and without touching a database: authenticate from the in-memory
 * key table, validate, plan locally (catalog snapshot + routing table), admit against the credit lease, run the
 * attempts through providers with failover, render JSON or SSE, then record the generation through the outbox.
 */
@Injectable()
export class ChatService {
  private readonly logger = new Logger('Chat');

  constructor(
    private readonly authenticator: AuthenticatorService,
    private readonly state: CatalogStateService,
    private readonly admission: CreditLeaseService,
    private readonly runner: AttemptRunnerService,
    private readonly recorder: GenerationRecorderService,
    @Inject(INGRESS_CONFIG) private readonly config: IngressConfig,
  ) {}

  async handle(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const startedAt = requestStartedAt(request);
    const caller = this.authenticator.authenticate(request.headers);
    const parsed = chatRequestSchema.safeParse(request.body);
    if (!parsed.success) throw invalidRequest(parsed.error);
    if (!parsed.data.model) throw new BadRequestError('Invalid request: model: required (e.g. "openai/gpt-4o-mini"; see GET /api/v1/models)');
    let canonical = toCanonicalChatRequest(parsed.data);
    const index = this.state.index;
    if (!index) throw new ServiceUnavailableError('The gateway is starting up (catalog not loaded yet); retry shortly');

    const promptTokens = estimatePromptTokens(canonical);
    const sessionHeader = request.headers[httpHeaders.sessionId];
    const planResult = await withSpan('plan', () =>
      plan({
        request: canonical,
        catalog: index,
        routingTable: this.state.routingTable,
        account: {
          allowTraining: caller.account.privacy.allowTraining,
          allowRetention: caller.account.privacy.allowRetention,
          requireZdr: caller.account.privacy.requireZdr,
          allowedProviders: caller.account.allowedProviders ?? undefined,
          ignoredProviders: caller.account.ignoredProviders,
          byokProviders: caller.account.byokProviders,
        },
        sessionKey: typeof sessionHeader === 'string' ? sessionHeader : null,
        promptTokens,
        now: Date.now(),
      }),
    );
    if (!planResult.ok) throw planFailure(planResult);
    const attempts = planResult.attempts;

    // Admission: reserve the most this request can cost on any planned attempt.
    const { reservation, request: admitted } = await this.admit(caller, canonical, attempts, promptTokens);
    canonical = admitted;

    const generationId = newGenerationId();
    const abort = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableEnded) abort.abort();
    };
    reply.raw.on('close', onClose);
    const records: AttemptRecord[] = [];
    const upstreamTime = { ms: 0 };
    const created = Math.floor(Date.now() / 1000);
    const includeReasoning = canonical.reasoning?.exclude !== true;
    const identity = (attempt: PlannedAttempt): ResponseIdentity => ({ id: generationId, provider: attempt.provider.name, model: modelLabel(attempt), created, systemFingerprint: null });
    const preUpstreamMs = performance.now() - startedAt;

    let writer: SseWriter | undefined;
    let sink: ExchangeSink;
    let keepAlive: NodeJS.Timeout | undefined;
    if (canonical.stream) {
      reply.hijack();
      writer = new SseWriter(reply.raw, { [httpHeaders.generationId]: generationId, [httpHeaders.overheadMs]: preUpstreamMs.toFixed(3) });
      const renderer = new ChunkRenderer(identity(attempts[0]!), includeReasoning);
      sink = new ExchangeSink({ writer, renderer, identity });
      const sse = writer;
      keepAlive = setInterval(() => sse.comment(KEEPALIVE_COMMENT), this.config.SSE_KEEPALIVE_MS);
      sink.onFirstContent = () => {
        if (keepAlive) clearInterval(keepAlive);
        keepAlive = undefined;
      };
    } else {
      sink = new ExchangeSink(undefined);
    }

    let outcome: RunOutcome;
    try {
      outcome = await this.runner.run({ generationId, accountId: caller.account.accountId, request: canonical, attempts, signal: abort.signal, sink, records, upstreamTime });
    } catch (error) {
      outcome = { kind: 'exhausted', failures: [] };
      this.logger.error(`attempts failed unexpectedly: ${(error as Error).message}`, (error as Error).stack);
    } finally {
      if (keepAlive) clearInterval(keepAlive);
      reply.raw.off('close', onClose);
    }

    const context = { caller, canonical, generationId, startedAt, records, upstreamTime, reservation, request };
    if (outcome.kind === 'exhausted') {
      this.admission.release(reservation);
      const error = outcome.failures.length > 0 ? exhaustedError(outcome.failures) : new ServiceUnavailableError('No provider could serve the request');
      this.finishAccounting(context, undefined, null, error.errorType, false, false);
      if (writer?.isOpen) {
        const renderer = new ChunkRenderer(identity(attempts[0]!), includeReasoning);
        writer.data(renderer.errorChunk(error.toEnvelope().error, null));
        writer.end();
        return;
      }
      if (writer) {
        // Hijacked but nothing written yet: a proper HTTP error.
        const body = JSON.stringify(error.toEnvelope());
        reply.raw.writeHead(error.status, { 'Content-Type': 'application/json; charset=utf-8', ...error.headers });
        reply.raw.end(body);
        return;
      }
      throw error;
    }

    const attempt = outcome.attempt;
    const result = sink.assembler.result;
    const cancelled = outcome.kind === 'cancelled';
    const usage = sink.usage ?? this.estimatedUsage(promptTokens, sink.completionTextLength);
    const finishReason = outcome.kind === 'failed-mid-stream' ? 'error' : cancelled ? (sink.finish?.finishReason ?? null) : (result.finishReason ?? null);
    const charge = chargeFor({
      usage: { promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, cachedTokens: usage.cachedTokens, cacheWriteTokens: usage.cacheWriteTokens, requests: 1 },
      pricing: attempt.endpoint.pricing,
      finishReason,
      promptLogging: caller.account.privacy.logPrompts,
      isByok: attempt.isByok,
    });
    this.admission.settle(reservation, charge.cost);
    const renderedUsage = renderUsage(usage, charge, attempt.isByok);
    const servedIdentity = identity(attempt);
    if (result.systemFingerprint !== undefined) servedIdentity.systemFingerprint = result.systemFingerprint ?? null;

    if (writer) {
      const renderer = new ChunkRenderer(servedIdentity, includeReasoning);
      if (outcome.kind === 'failed-mid-stream') {
        const upstreamError = outcome.error;
        writer.data(renderer.errorChunk(this.midStreamError(attempt, upstreamError), sink.finish?.nativeFinishReason ?? null, renderedUsage));
      } else if (!cancelled) {
        writer.data(renderer.usageChunk(renderedUsage));
      }
      writer.end();
    } else if (!cancelled) {
      const overheadMs = Math.max(0, performance.now() - startedAt - upstreamTime.ms);
      const body = renderCompletion(servedIdentity, result, renderedUsage, includeReasoning);
      await reply
        .header(httpHeaders.generationId, generationId)
        .header(httpHeaders.overheadMs, overheadMs.toFixed(3))
        .header('Content-Type', 'application/json; charset=utf-8')
        .send(JSON.stringify(body));
    }
    this.finishAccounting(context, { attempt, usage, charge, result, outcomeKind: outcome.kind, ttftMs: outcome.kind === 'cancelled' ? null : outcome.ttftMs, generationMs: outcome.upstreamMs }, finishReason, outcome.kind, true, cancelled);
  }

  private midStreamError(attempt: PlannedAttempt, error: UpstreamError): { code: number; message: string; metadata: Record<string, unknown> } {
    const masked = error.status >= 500 || error.phase === 'idle' || error.phase === 'body';
    return {
      code: error.status,
      message: masked ? 'Provider returned error' : error.message,
      metadata: { error_type: error.errorType, provider_name: attempt.provider.name, ...(masked || !error.providerCode ? {} : { provider_code: error.providerCode }) },
    };
  }

  private estimatedUsage(promptTokens: number, completionCharacters: number): Usage {
    return makeUsage({ promptTokens, completionTokens: Math.ceil(completionCharacters / 4), estimated: true });
  }

  /**
   * Reserves the maximum cost. When the request sets no max_tokens and the account cannot afford the endpoint's
   * full default output, the output is capped at what it can afford instead of refusing (OpenRouter refuses,
   * which users hit on tiny prompts); an explicit max_tokens that cannot be afforded is refused with 402.
   */
  private async admit(caller: Caller, canonical: CanonicalChatRequest, attempts: PlannedAttempt[], promptTokens: number): Promise<{ reservation: Reservation; request: CanonicalChatRequest }> {
    const explicit = canonical.max_tokens ?? undefined;
    const outputTokens = (attempt: PlannedAttempt) => explicit ?? Math.max(1, Math.min(attempt.endpoint.maxCompletionTokens ?? this.config.DEFAULT_RESERVED_OUTPUT_TOKENS, this.config.DEFAULT_RESERVED_OUTPUT_TOKENS, attempt.endpoint.contextLength - promptTokens));
    const costOf = (attempt: PlannedAttempt, output: number) =>
      usageCost({ promptTokens, completionTokens: output, requests: 1 }, attempt.endpoint.pricing).total;
    let maxCost = new Decimal(0);
    let priciest = attempts[0]!;
    for (const attempt of attempts) {
      const cost = costOf(attempt, outputTokens(attempt));
      if (cost.gt(maxCost)) {
        maxCost = cost;
        priciest = attempt;
      }
    }
    try {
      return { reservation: await this.admission.reserve(caller, maxCost), request: canonical };
    } catch (error) {
      if (!(error instanceof PaymentRequiredError)) throw error;
      const available = toDecimal(String(error.metadata.available ?? error.metadata.limit_remaining ?? '0'));
      const promptCost = usageCost({ promptTokens, completionTokens: 0, requests: 1 }, priciest.endpoint.pricing).total;
      const affordable = affordableCompletionTokens(available, promptCost, priciest.endpoint.pricing.completion);
      const requested = outputTokens(priciest);
      if (explicit === undefined && affordable >= 16) {
        const capped = { ...canonical, max_tokens: Math.min(affordable, requested) };
        let cappedCost = new Decimal(0);
        for (const attempt of attempts) cappedCost = Decimal.max(cappedCost, costOf(attempt, capped.max_tokens));
        return { reservation: await this.admission.reserve(caller, cappedCost), request: capped };
      }
      throw new PaymentRequiredError(
        `This request requires more credits, or fewer max_tokens. You requested up to ${requested} tokens, but can only afford ${affordable}. To increase, add credits to your account.`,
        { ...error.metadata, requested_tokens: requested, affordable_tokens: affordable },
      );
    }
  }

  private finishAccounting(
    context: {
      caller: Caller;
      canonical: CanonicalChatRequest;
      generationId: string;
      startedAt: number;
      records: AttemptRecord[];
      upstreamTime: { ms: number };
      request: FastifyRequest;
      reservation: Reservation;
    },
    served: { attempt: PlannedAttempt; usage: Usage; charge: Charge; result: ResultAssembler['result']; outcomeKind: string; ttftMs: number | null; generationMs: number } | undefined,
    finishReason: string | null,
    outcome: string,
    billable: boolean,
    cancelled: boolean,
  ): void {
    const totalMs = performance.now() - context.startedAt;
    const overheadMs = Math.max(0, totalMs - context.upstreamTime.ms);
    this.recorder.observe('completions', context.canonical.stream, outcome, overheadMs, context.records);
    if (!served || !billable) return;
    const headers = context.request.headers;
    const header = (name: string) => {
      const value = headers[name.toLowerCase()];
      return (Array.isArray(value) ? value[0] : value) ?? null;
    };
    const event: GenerationCompleted = {
      id: context.generationId,
      requestId: context.generationId,
      accountId: context.caller.account.accountId,
      keyId: context.caller.key.keyId,
      keyHash: context.caller.key.hash,
      leaseId: context.reservation.leaseId,
      apiType: 'completions',
      model: modelLabel(served.attempt),
      requestedModel: context.canonical.model,
      endpointId: served.attempt.endpoint.id,
      providerSlug: served.attempt.endpoint.providerSlug,
      providerName: served.attempt.provider.name,
      upstreamId: served.result.upstreamId ?? null,
      isByok: served.attempt.isByok,
      streamed: context.canonical.stream,
      cancelled,
      createdAt: new Date(Date.now() - totalMs).toISOString(),
      latencyMs: round(totalMs),
      generationTimeMs: round(served.generationMs),
      overheadMs: round(overheadMs),
      ttftMs: served.ttftMs === null ? null : round(served.ttftMs),
      usage: served.usage,
      pricing: served.attempt.endpoint.pricing,
      cost: formatMoney(served.charge.cost),
      upstreamCost: formatMoney(served.charge.listCost),
      cacheDiscount: formatMoney(served.charge.breakdown.cacheDiscount),
      finishReason,
      nativeFinishReason: served.result.nativeFinishReason ?? null,
      attempts: context.records,
      sessionId: context.canonical.session_id ?? header(httpHeaders.sessionId),
      externalUser: context.canonical.user ?? null,
      appTitle: header(httpHeaders.title) ?? header(httpHeaders.legacyTitle),
      httpReferer: header(httpHeaders.referer),
      userAgent: header('user-agent'),
      content: context.caller.account.privacy.logPrompts ? { input: context.canonical.messages, output: served.result.text } : null,
    };
    this.recorder.record(event);
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
