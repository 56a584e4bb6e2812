import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  BadRequestError,
  GatewayError,
  httpHeaders,
  newGenerationId,
  PaymentRequiredError,
  ProviderFailureError,
  ServiceUnavailableError,
  type AttemptRecord,
} from '@switchyard/contracts';
import {
  emptyUsage,
  estimatePromptTokens,
  healResult,
  isContentPart,
  makeUsage,
  ResultAssembler,
  type CanonicalChatRequest,
  type ChatResult,
  type StreamPart,
  type UpstreamError,
  type Usage,
} from '@switchyard/llm-spec';
import { affordableCompletionTokens, chargeFor, Decimal, toDecimal, usageCost } from '@switchyard/money';
import { CancelSource, extractTraceContext, recordCarrier, SpanKind, withSpan } from '@switchyard/nest-kit';
import { plan, type PlannedAttempt } from '@switchyard/routing-policy';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { attemptBillingFor } from '../admission/attempt-billing.js';
import { attemptsAllowedForKey, modelAllowed } from '../admission/model-allowlist.js';
import { applyCallerGuardrails } from '../admission/guardrails.js';
import { UserLimitsService } from '../admission/user-limits.service.js';
import { CreditLeaseService, type Reservation } from '../admission/credit-lease.service.js';
import type { Caller } from '../auth/authenticator.service.js';
import { INGRESS_CONFIG, type IngressConfig } from '../config/ingress.config.js';
import { GenerationRecorderService } from '../generation/generation-recorder.service.js';
import { requestStartedAt } from '../http/request-timing.js';
import { CatalogStateService } from '../state/catalog-state.service.js';
import { AttemptRunnerService, type AttemptSink, type FailedAttempt } from './attempt-runner.service.js';
import type { BilledUsage, MidStreamFailure, ResponseIdentity, Skin, SkinStream } from './skin.js';
import { refusedRouterMetadata, routerMetadata, routerMetadataRequested, type RouterMetadata } from './router-metadata.js';
import { bodyWith, withBodyExtras } from '../skins/shared/family-error.js';
import { SseWriter } from './sse-writer.js';
import { wrongEndpointError } from '../skins/embeddings/endpoint-kind.js';
import { cacheHitEvent, generationCompletedEvent, modelLabel, servedByAttempt } from '../generation/generation-event.js';
import { accountPolicyOf, compressedToFit, planFailure, trimmedToMessageLimit } from './planning.js';
import { cacheHeaders, NO_CHARGE, replayableParts, type CachedResponseOf } from '../response-cache/response-cache.js';
import { ResponseCacheService } from '../response-cache/response-cache.service.js';
import { ProviderCredentialsService } from '../state/provider-credentials.service.js';
import { PresetStore } from '../presets/preset-store.service.js';
import { presetReference, withPreset } from '../presets/preset-request.js';

/** Turns zod issues into one readable 400. */
export function invalidRequest(error: z.ZodError): BadRequestError {
  const issues = error.issues.slice(0, 10).map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message }));
  const summary = issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
  return new BadRequestError(`Invalid request: ${summary}`, { issues });
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
  else if (status >= 500 || status < 400 || status === 429) status = last.error.errorType === 'provider_overloaded' ? 503 : 502;
  const headers: Record<string, string> = {};
  if (status === 429 && retryAfters.length > 0) headers[httpHeaders.retryAfter] = String(Math.max(1, Math.ceil(Math.min(...retryAfters) / 1000)));
  const upstreamRequestError = last.error.status >= 400 && last.error.status < 500 && last.error.status !== 429;
  const message = upstreamRequestError ? last.error.message : `Provider returned error (${last.attempt.provider.name}: ${last.error.errorType})`;
  return new ProviderFailureError(status, message, {
    errorType: status === 429 ? 'rate_limit_exceeded' : status === 504 ? 'timeout' : upstreamRequestError ? last.error.errorType : status === 503 ? 'provider_overloaded' : 'provider_unavailable',
    metadata: {
      provider_name: last.attempt.provider.name,
      ...(last.error.providerCode ? { provider_code: last.error.providerCode } : {}),
      ...(upstreamRequestError && last.error.raw ? { raw: last.error.raw } : {}),
      is_byok: last.attempt.isByok,
      previous_errors: previous,
    },
    headers,
  });
}

function midStreamFailure(attempt: PlannedAttempt, error: UpstreamError, nativeFinishReason: string | null): MidStreamFailure {
  const masked = error.status >= 500 || error.phase === 'idle' || error.phase === 'body';
  return {
    code: error.status,
    message: masked ? 'Provider returned error' : error.message,
    metadata: { error_type: error.errorType, provider_name: attempt.provider.name, ...(masked || !error.providerCode ? {} : { provider_code: error.providerCode }) },
    nativeFinishReason,
  };
}

/**
 * Collects one attempt's parts: into a result (always) and, for streams, straight onto the client's stream — one
 * write per frame (a burst of sixteen parts is one chunk on the wire, not sixteen writes through Node's HTTP layer).
 */
export class ExchangeSink implements AttemptSink {
  assembler = new ResultAssembler();
  attempt: PlannedAttempt | undefined;
  contentStarted = false;
  usage: Usage | undefined;
  nativeFinishReason: string | null = null;
  completionCharacters = 0;
  /** The serving attempt's parts, kept when the response is to be stored in the response cache (see `keepParts`). */
  kept: StreamPart[] | undefined;
  private keepLimit: number | undefined;
  private keptBytes = 0;
  /** The serving attempt's parts outgrew the limit: the response is served but cannot be stored. */
  keptOverflow = false;

  constructor(
    private readonly stream: { writer: SseWriter; skin: SkinStream; identity: (attempt: PlannedAttempt) => ResponseIdentity; onFirstContent: () => void } | undefined,
  ) {}

  beginAttempt(attempt: PlannedAttempt): void {
    this.attempt = attempt;
    this.assembler = new ResultAssembler();
    this.usage = undefined;
    if (this.keepLimit !== undefined) {
      this.kept = [];
      this.keptBytes = 0;
      this.keptOverflow = false;
    }
    if (this.stream && !this.contentStarted) this.stream.skin.reset(this.stream.identity(attempt));
  }

  onParts(parts: StreamPart[]): void {
    let text = '';
    if (this.kept) this.keep(parts);
    for (const part of parts) {
      this.assembler.add(part);
      if (part.type === 'usage') this.usage = part.usage;
      else if (part.type === 'finish') this.nativeFinishReason = part.nativeFinishReason ?? null;
      else if (part.type === 'text-delta' || part.type === 'reasoning-delta') this.completionCharacters += part.text.length;
      else if (part.type === 'tool-call-delta') this.completionCharacters += part.argumentsDelta.length;
      if (!this.stream) continue;
      if (!this.contentStarted && isContentPart(part)) {
        this.contentStarted = true;
        this.stream.onFirstContent();
      }
      if (part.type === 'response-metadata' && part.systemFingerprint !== undefined && !this.contentStarted && this.attempt) {
        this.stream.skin.reset({ ...this.stream.identity(this.attempt), systemFingerprint: part.systemFingerprint ?? null });
      }
      text += this.stream.skin.part(part);
    }
    if (this.stream && text) this.stream.writer.write(text);
  }

  /**
   * Keeps the serving attempt's parts for the response cache, up to about `limitBytes` of stored JSON: a longer
   * answer is served but not stored, and stops being kept at once (a long stream must not grow ingress's memory for
   * an entry the cache would refuse).
   */
  keepParts(limitBytes: number): void {
    this.keepLimit = limitBytes;
    this.kept = [];
  }

  private keep(parts: StreamPart[]): void {
    for (const part of parts) {
      this.keptBytes += PART_OVERHEAD_BYTES + (part.type === 'text-delta' || part.type === 'reasoning-delta' || part.type === 'refusal-delta' ? part.text.length : part.type === 'tool-call-delta' ? part.argumentsDelta.length : 0);
    }
    if (this.keptBytes > this.keepLimit!) {
      this.kept = undefined;
      this.keptOverflow = true;
    } else {
      this.kept!.push(...parts);
    }
  }
}

/** About what one part adds to a stored entry's JSON beyond its text (`{"type":"text-delta","text":""},`). */
const PART_OVERHEAD_BYTES = 40;

export interface PipelineRequest {
  request: FastifyRequest;
  reply: FastifyReply;
  caller: Caller;
  canonical: CanonicalChatRequest;
  skin: Skin;
}

/**
 * One generation, end to end and without touching a database, for every skin: plan locally (catalog snapshot +
 * routing table), admit against the credit lease, run the attempts through providers with failover, render
 * through the skin (JSON or SSE), then settle the reservation and record the generation through the outbox.
 */
@Injectable()
export class GenerationPipelineService {
  private readonly logger = new Logger('Generation');

  constructor(
    private readonly state: CatalogStateService,
    private readonly admission: CreditLeaseService,
    private readonly runner: AttemptRunnerService,
    private readonly recorder: GenerationRecorderService,
    private readonly cache: ResponseCacheService,
    private readonly credentials: ProviderCredentialsService,
    private readonly presets: PresetStore,
    @Inject(INGRESS_CONFIG) private readonly config: IngressConfig,
    private readonly userLimits: UserLimitsService,
  ) {}

  /** One server span per request (continuing the client's W3C trace context): planning, attempts and upstream calls nest under it. */
  execute(input: PipelineRequest): Promise<void> {
    const request = input.request;
    return withSpan(
      `${request.method} ${request.routeOptions.url ?? request.url}`,
      (span) => {
        if (span.isRecording()) span.setAttributes({ 'http.request.method': request.method, 'url.path': request.url.split('?')[0], 'switchyard.api': input.skin.api, 'switchyard.model': input.canonical.model });
        return this.run(input);
      },
      { kind: SpanKind.SERVER, parent: extractTraceContext(recordCarrier(request.headers as Record<string, string | string[] | undefined>)) },
    );
  }

  private async run({ request, reply, caller, canonical: named, skin }: PipelineRequest): Promise<void> {
    const startedAt = requestStartedAt(request);
    // A preset the request names (`@preset/<slug>`, `preset`): its fields under the request's, its version in the cache key.
    const presetNamed = presetReference(named);
    const preset = presetNamed ? await this.presets.get(caller.account.accountId, presetNamed.slug) : undefined;
    const asked = presetNamed && preset ? withPreset(named, presetNamed, preset) : named;
    // The key's and the account's guardrails see the prompt as it would go upstream (the preset's system prompt
    // included), before anything is served, from the cache or a provider: they refuse it or redact it.
    const { request: guarded, redacted } = this.recorder.guarded(skin.api, () => applyCallerGuardrails(caller, asked));
    let requested = guarded;
    const index = this.state.index;
    if (!index) throw new ServiceUnavailableError('The gateway is starting up (catalog not loaded yet); retry shortly');
    // An embedding model on a generation route is a client mistake with a precise answer (OpenRouter's wrong_endpoint).
    const wrongEndpoint = wrongEndpointError(index, [requested.model, ...(requested.models ?? [])], 'chat');
    if (wrongEndpoint) throw wrongEndpoint;
    const cache = this.cache.requestOf(request, caller, requested.stream, preset && `preset ${preset.slug}@${preset.version}`, preset);
    if (cache && !cache.directive.clear) {
      const hit = await this.cache.lookup(cache.key, 'generation');
      // A key whose allowlist no longer takes the cached answer's model is planned (and refused) as usual.
      if (hit && modelAllowed(caller.key.allowedModels, hit.servedBy.model.split(':')[0]!)) return this.replay({ request, reply, caller, canonical: requested, skin }, startedAt, hit);
    }
    const cacheMiss = cache ? cacheHeaders({ ttlSeconds: cache.directive.ttlSeconds }) : undefined;
    let promptTokens = estimatePromptTokens(requested);
    const sessionHeader = request.headers[httpHeaders.sessionId];
    const planFor = (candidate: CanonicalChatRequest, tokens: number) =>
      withSpan('plan', () =>
        plan({
          request: candidate,
          catalog: index,
          uncredentialedProviders: this.credentials.uncredentialed,
          routingTable: this.state.routingTable,
          account: accountPolicyOf(caller),
          sessionKey: typeof sessionHeader === 'string' ? sessionHeader : null,
          promptTokens: tokens,
          now: Date.now(),
          keyAllowedModels: caller.key.allowedModels,
        }),
      );
    let planResult = await planFor(requested, promptTokens);
    // Too long for every endpoint: middle-out compression, when asked for (or by default on small contexts), once.
    const compressed = planResult.ok ? null : compressedToFit(requested, planResult.error);
    if (compressed) {
      requested = compressed;
      promptTokens = estimatePromptTokens(compressed);
      planResult = await planFor(compressed, promptTokens);
    }
    // Middle-out's message-count rule, for the model planned first (Claude takes 1,000 messages).
    const trimmed = planResult.ok ? trimmedToMessageLimit(requested, planResult.attempts[0]!.model.id) : null;
    if (trimmed) {
      requested = trimmed;
      promptTokens = estimatePromptTokens(trimmed);
    }
    const droppedMessages = guarded.messages.length - requested.messages.length;
    const presetUsed = preset && { slug: preset.slug, version: preset.version };
    // Refused before any attempt: router metadata (when asked for) says where and why.
    const refused = (error: unknown, stage: 'routing' | 'admission', planned: readonly PlannedAttempt[]): unknown => {
      if (GatewayError.isInstance(error) && routerMetadataRequested(request.headers)) {
        error.bodyExtras = { openrouter_metadata: refusedRouterMetadata({ requested: named.model, preset: presetUsed, planned, stage, error, droppedMessages, redacted }) };
      }
      return error;
    };
    if (!planResult.ok) throw refused(planFailure(planResult), 'routing', []);
    const routing = { attempts: planResult.attempts, strategy: planResult.strategy, droppedMessages, redacted };
    let attempts: PlannedAttempt[];
    let rateLimitHeaders: Record<string, string> | undefined;
    let admitted: Awaited<ReturnType<GenerationPipelineService['admit']>>;
    try {
      // The end user's budget on this key and the key's model allowlist (Switchyard's governance), then the free
      // quota and the credit lease.
      this.userLimits.check(caller.key.hash, requested.user);
      const permitted = attemptsAllowedForKey(caller.key.allowedModels, named.model, planResult.attempts);
      ({ attempts, rateLimitHeaders } = await this.admission.checkFreeQuota(caller, permitted));
      admitted = await this.admit(caller, requested, attempts, promptTokens);
    } catch (error) {
      throw refused(error, 'admission', planResult.attempts);
    }
    const { reservation, request: canonical } = admitted;

    const generationId = newGenerationId();
    const abort = new CancelSource();
    const onClose = () => {
      if (!reply.raw.writableEnded) abort.abort();
    };
    reply.raw.on('close', onClose);
    const records: AttemptRecord[] = [];
    const upstreamTime = { ms: 0 };
    const created = Math.floor(Date.now() / 1000);
    const includeReasoning = canonical.reasoning?.exclude !== true;
    const identity = (attempt: PlannedAttempt): ResponseIdentity => ({ id: generationId, provider: attempt.provider.name, model: modelLabel(attempt), created, systemFingerprint: null });

    let writer: SseWriter | undefined;
    let skinStream: SkinStream | undefined;
    let keepAlive: NodeJS.Timeout | undefined;
    let sink: ExchangeSink;
    if (canonical.stream) {
      reply.hijack();
      const stream = skin.stream(identity(attempts[0]!), includeReasoning);
      skinStream = stream;
      const preUpstreamMs = performance.now() - startedAt;
      const sse = new SseWriter(reply.raw, { [httpHeaders.generationId]: generationId, [httpHeaders.overheadMs]: preUpstreamMs.toFixed(3), ...cacheMiss, ...rateLimitHeaders }, () => stream.open());
      writer = sse;
      keepAlive = setInterval(() => sse.write(stream.keepAlive()), this.config.SSE_KEEPALIVE_MS);
      sink = new ExchangeSink({
        writer: sse,
        skin: stream,
        identity,
        onFirstContent: () => {
          if (keepAlive) clearInterval(keepAlive);
          keepAlive = undefined;
        },
      });
    } else {
      sink = new ExchangeSink(undefined);
    }
    if (cache) sink.keepParts(this.config.RESPONSE_CACHE_MAX_ENTRY_BYTES);

    let outcome;
    try {
      const billing = attemptBillingFor({ caller, requestedModel: canonical.model, apiType: skin.api, streamed: canonical.stream, reservation, requestedAt: Date.now() - (performance.now() - startedAt) });
      outcome = await this.runner.run({ generationId, accountId: caller.account.accountId, request: canonical, attempts, signal: abort, sink, records, upstreamTime, billing });
    } catch (error) {
      this.logger.error(`attempts failed unexpectedly: ${(error as Error).message}`, (error as Error).stack);
      outcome = { kind: 'exhausted' as const, failures: [] };
    } finally {
      if (keepAlive) clearInterval(keepAlive);
      reply.raw.off('close', onClose);
    }

    const finishContext: FinishContext = { caller, canonical, generationId, startedAt, records, upstreamTime, reservation, request, api: skin.api, requestedModel: named.model, preset: preset?.slug ?? null };
    if (outcome.kind === 'exhausted') {
      this.admission.release(reservation);
      this.observe(finishContext, 'error', performance.now());
      const error = outcome.failures.length > 0 ? exhaustedError(outcome.failures) : new ServiceUnavailableError('No provider could serve the request');
      if (routerMetadataRequested(request.headers)) {
        error.bodyExtras = { openrouter_metadata: routerMetadata({ requested: named.model, preset: presetUsed, planned: routing.attempts, planStrategy: routing.strategy, served: undefined, servedModel: undefined, records, droppedMessages: routing.droppedMessages, redacted: routing.redacted }) };
      }
      if (writer && skinStream && writer.isOpen) {
        const metadata = error.bodyExtras?.openrouter_metadata as RouterMetadata | undefined;
        writer.end(skinStream.fail({ code: error.status, message: error.message, metadata: { error_type: error.errorType, ...error.metadata }, nativeFinishReason: null }, undefined, metadata));
        return;
      }
      if (writer) {
        const rendered = withBodyExtras(skin.error(error, generationId), error);
        reply.raw.writeHead(rendered.status, { 'Content-Type': 'application/json; charset=utf-8', ...rendered.headers });
        reply.raw.end(JSON.stringify(rendered.body));
        return;
      }
      throw error;
    }

    const attempt = outcome.attempt;
    const result = sink.assembler.result;
    const cancelled = outcome.kind === 'cancelled';
    // What the provider reported is billed. Without a report: a cancelled stream is billed an estimate of what was
    // streamed (marked estimated); a stream that broke mid-way is billed nothing (zero-completion insurance).
    const usage =
      sink.usage ??
      makeUsage({ promptTokens, completionTokens: outcome.kind === 'failed-mid-stream' ? 0 : Math.ceil(sink.completionCharacters / 4), estimated: true });
    const finishReason = outcome.kind === 'failed-mid-stream' ? 'error' : (result.finishReason ?? null);
    const charge = chargeFor({
      usage: { promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, cachedTokens: usage.cachedTokens, cacheWriteTokens: usage.cacheWriteTokens, requests: 1 },
      pricing: attempt.endpoint.pricing,
      finishReason,
      promptLogging: caller.account.privacy.logPrompts,
      isByok: attempt.isByok,
      byokFeeWaived: caller.account.byokFeeWaived,
    });
    this.admission.settle(reservation, charge.cost);
    const billed: BilledUsage = { usage, charge, isByok: attempt.isByok };
    const servedIdentity = identity(attempt);
    if (result.systemFingerprint !== undefined) servedIdentity.systemFingerprint = result.systemFingerprint ?? null;
    // The response-healing plugin (non-streamed JSON answers only): what the client, the record and the cache get.
    const healed = outcome.kind === 'served' && healResult(canonical, result);
    if (healed) this.recorder.responseHealed(skin.api);
    const metadata = routerMetadataRequested(request.headers)
      ? routerMetadata({ requested: named.model, preset: presetUsed, planned: routing.attempts, planStrategy: routing.strategy, served: attempt, servedModel: modelLabel(attempt), records, droppedMessages: routing.droppedMessages, redacted: routing.redacted, healed, failedMidStream: outcome.kind === 'failed-mid-stream' })
      : undefined;

    try {
      if (writer && skinStream) {
        if (outcome.kind === 'failed-mid-stream') writer.end(skinStream.fail(midStreamFailure(attempt, outcome.error, sink.nativeFinishReason), billed, metadata));
        else if (cancelled) writer.end();
        else writer.end(skinStream.complete(result, billed, metadata));
      } else if (!cancelled) {
        const overheadMs = Math.max(0, performance.now() - startedAt - upstreamTime.ms);
        await reply
          .status(200)
          .headers({ ...cacheMiss, ...rateLimitHeaders, [httpHeaders.generationId]: generationId, [httpHeaders.overheadMs]: overheadMs.toFixed(3), 'Content-Type': 'application/json; charset=utf-8' })
          .send(JSON.stringify(bodyWith(skin.body(servedIdentity, result, billed, includeReasoning), metadata && { openrouter_metadata: metadata })));
      }
    } finally {
      const finishedAt = performance.now();
      const ttftMs = outcome.kind === 'cancelled' ? null : outcome.ttftMs;
      const generationMs = outcome.upstreamMs;
      const kind = outcome.kind;
      // The response is out: the metrics and the generation-completed event wait for the outbox's batch window.
      this.recorder.defer(() => {
        this.observe(finishContext, kind, finishedAt);
        this.record(finishContext, { attempt, result, billed, finishReason, cancelled, ttftMs, generationMs }, finishedAt);
        // Only a whole, successful response is stored (never an error, a cancelled or a broken stream).
        if (cache && sink.keptOverflow && kind === 'served') this.cache.tooLarge();
        if (cache && sink.kept && kind === 'served') void this.cache.remember(cache, generationId, servedByAttempt(attempt), { kind: 'generation', systemFingerprint: servedIdentity.systemFingerprint, parts: replayableParts(sink.kept) });
      });
    }
  }

  /**
   * A response-cache hit: the stored parts replayed through the skin (the same chunks for a stream, the same body
   * otherwise) under a new generation id, with zero usage and nothing charged; no provider is called and no credit
   * reserved. Recorded as a generation of its own that names the one it replays.
   */
  private async replay({ request, reply, caller, canonical, skin }: PipelineRequest, startedAt: number, hit: CachedResponseOf<'generation'>): Promise<void> {
    const generationId = newGenerationId();
    const identity: ResponseIdentity = { id: generationId, provider: hit.servedBy.providerName, model: hit.servedBy.model, created: Math.floor(Date.now() / 1000), systemFingerprint: hit.systemFingerprint };
    const includeReasoning = canonical.reasoning?.exclude !== true;
    const billed: BilledUsage = { usage: emptyUsage, charge: NO_CHARGE, isByok: false };
    const headers = { ...cacheHeaders({ hit, now: Date.now() }), [httpHeaders.generationId]: generationId, [httpHeaders.overheadMs]: (performance.now() - startedAt).toFixed(3) };
    let result: ChatResult;
    if (canonical.stream) {
      reply.hijack();
      const stream = skin.stream(identity, includeReasoning);
      const writer = new SseWriter(reply.raw, headers, () => stream.open());
      const sink = new ExchangeSink({ writer, skin: stream, identity: () => identity, onFirstContent: () => undefined });
      sink.onParts(hit.parts);
      result = sink.assembler.result;
      writer.end(stream.complete(result, billed));
    } else {
      const sink = new ExchangeSink(undefined);
      sink.onParts(hit.parts);
      result = sink.assembler.result;
      // The stored parts are the provider's: heal them as the first answer was.
      if (healResult(canonical, result)) this.recorder.responseHealed(skin.api);
      await reply
        .status(200)
        .headers({ ...headers, 'Content-Type': 'application/json; charset=utf-8' })
        .send(JSON.stringify(skin.body(identity, result, billed, includeReasoning)));
    }
    const finishedAt = performance.now();
    this.recorder.defer(() => {
      this.recorder.observe(skin.api, canonical.stream, 'cache_hit', { startedAt, finishedAt, upstreamMs: 0 }, []);
      this.recorder.record(
        cacheHitEvent(hit, {
          generationId,
          apiType: skin.api,
          caller,
          request,
          requestedModel: canonical.model,
          startedAt,
          finishedAt,
          streamed: canonical.stream,
          finishReason: result.finishReason ?? null,
          nativeFinishReason: result.nativeFinishReason ?? null,
          sessionId: canonical.session_id,
          externalUser: canonical.user ?? null,
          content: caller.account.privacy.logPrompts ? { input: canonical.messages, output: result.text } : null,
        }),
      );
    });
  }

  /**
   * Reserves the maximum cost on any planned attempt. When the request sets no max_tokens and the account cannot
   * afford the endpoint's default output, the output is capped at what it can afford instead of refusing (a
   * known OpenRouter pain point on tiny prompts); an explicit max_tokens that cannot be afforded is a 402.
   */
  private async admit(caller: Caller, canonical: CanonicalChatRequest, attempts: PlannedAttempt[], promptTokens: number): Promise<{ reservation: Reservation; request: CanonicalChatRequest }> {
    const explicit = canonical.max_tokens ?? undefined;
    const outputTokens = (attempt: PlannedAttempt) =>
      explicit ?? Math.max(1, Math.min(attempt.endpoint.maxCompletionTokens ?? this.config.DEFAULT_RESERVED_OUTPUT_TOKENS, this.config.DEFAULT_RESERVED_OUTPUT_TOKENS, attempt.endpoint.contextLength - promptTokens));
    const costOf = (attempt: PlannedAttempt, output: number) => usageCost({ promptTokens, completionTokens: output, requests: 1 }, attempt.endpoint.pricing).total;
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
      const wanted = outputTokens(priciest);
      if (explicit === undefined && affordable >= 16) {
        const capped = { ...canonical, max_tokens: Math.min(affordable, wanted) };
        let cappedCost = new Decimal(0);
        for (const attempt of attempts) cappedCost = Decimal.max(cappedCost, costOf(attempt, capped.max_tokens));
        return { reservation: await this.admission.reserve(caller, cappedCost), request: capped };
      }
      throw new PaymentRequiredError(
        `This request requires more credits, or fewer max_tokens. You requested up to ${wanted} tokens, but can only afford ${affordable}. To increase, add credits to your account.`,
        { ...error.metadata, requested_tokens: wanted, affordable_tokens: affordable },
      );
    }
  }

  /** `finishedAt`: when the request ended (performance.now()), which the deferred call comes after. */
  private observe(context: FinishContext, outcome: string, finishedAt: number): void {
    this.recorder.observe(context.api, context.canonical.stream, outcome, { startedAt: context.startedAt, finishedAt, upstreamMs: context.upstreamTime.ms }, context.records);
  }

  private record(
    context: FinishContext,
    served: { attempt: PlannedAttempt; result: ChatResult; billed: BilledUsage; finishReason: string | null; cancelled: boolean; ttftMs: number | null; generationMs: number },
    finishedAt: number,
  ): void {
    const { caller, canonical } = context;
    this.recorder.record(
      generationCompletedEvent({
        generationId: context.generationId,
        apiType: context.api,
        caller,
        reservation: context.reservation,
        request: context.request,
        requestedModel: context.requestedModel,
        preset: context.preset,
        servedBy: servedByAttempt(served.attempt),
        records: context.records,
        startedAt: context.startedAt,
        finishedAt,
        upstreamMs: context.upstreamTime.ms,
        generationMs: served.generationMs,
        ttftMs: served.ttftMs,
        streamed: canonical.stream,
        cancelled: served.cancelled,
        usage: served.billed.usage,
        charge: served.billed.charge,
        finishReason: served.finishReason,
        nativeFinishReason: served.result.nativeFinishReason ?? null,
        upstreamId: served.result.upstreamId ?? null,
        sessionId: canonical.session_id,
        externalUser: canonical.user ?? null,
        content: caller.account.privacy.logPrompts ? { input: canonical.messages, output: served.result.text } : null,
      }),
    );
  }
}

/** What the end of a request needs to observe and record it. */
interface FinishContext {
  caller: Caller;
  canonical: CanonicalChatRequest;
  generationId: string;
  startedAt: number;
  records: AttemptRecord[];
  upstreamTime: { ms: number };
  reservation: Reservation;
  request: FastifyRequest;
  api: 'completions' | 'messages' | 'responses';
  /** The model as the client named it (`@preset/support-bot`, `openrouter/free`). */
  requestedModel: string;
  /** The preset's slug when the request named one. */
  preset: string | null;
}
