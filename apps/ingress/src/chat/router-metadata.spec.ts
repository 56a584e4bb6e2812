import { NotFoundError, PaymentRequiredError, ProviderFailureError, type AttemptRecord } from '@switchyard/contracts';
import type { StreamPart } from '@switchyard/llm-spec';
import type { PlannedAttempt } from '@switchyard/routing-policy';
import { completionsSkin } from '../skins/completions/completions.skin.js';
import { createMessagesSkin } from '../skins/messages/messages.skin.js';
import { responsesRequestSchema } from '../skins/responses/responses-request.schema.js';
import { responseEcho } from '../skins/responses/responses.renderer.js';
import { createResponsesSkin } from '../skins/responses/responses.skin.js';
import { withBodyExtras } from '../skins/shared/family-error.js';
import { billedUsage, identity, parseSse, streamText } from '../skins/shared/skin-testing.fixture.js';
import type { MidStreamFailure, Skin } from './skin.js';
import { chatCompletionsSkin } from './chat-completions.skin.js';
import { refusedRouterMetadata, routerMetadata, routerMetadataRequested } from './router-metadata.js';

const planned = (model: string, tag: string, provider: string, isByok = false): PlannedAttempt =>
  ({ endpoint: { id: `${model}@${tag}`, providerSlug: tag }, model: { id: model }, provider: { name: provider }, isByok, sticky: false, reason: 'load-balance (weighted by 1/price²)' }) as unknown as PlannedAttempt;
const record = (attempt: PlannedAttempt, ok: boolean): AttemptRecord => ({
  attemptId: `att-${attempt.endpoint.id}`,
  endpointId: attempt.endpoint.id,
  providerSlug: attempt.endpoint.providerSlug,
  providerName: attempt.provider.name,
  modelId: attempt.model.id,
  ok,
  status: ok ? 200 : 503,
  errorType: ok ? null : 'provider_overloaded',
  message: null,
  latencyMs: 12.5,
  isByok: attempt.isByok,
});

describe('routerMetadataRequested', () => {
  it('is on only for "enabled" (any case) in X-OpenRouter-Metadata or its legacy name', () => {
    expect(routerMetadataRequested({ 'x-openrouter-metadata': 'enabled' })).toBe(true);
    expect(routerMetadataRequested({ 'x-openrouter-metadata': ' Enabled ' })).toBe(true);
    expect(routerMetadataRequested({ 'x-openrouter-experimental-metadata': 'ENABLED' })).toBe(true);
    expect(routerMetadataRequested({ 'x-openrouter-metadata': 'disabled' })).toBe(false);
    expect(routerMetadataRequested({ 'x-openrouter-metadata': 'yes' })).toBe(false);
    expect(routerMetadataRequested({})).toBe(false);
  });
});

describe('routerMetadata', () => {
  const alpha = planned('acme/chat', 'alpha', 'Alpha');
  const beta = planned('acme/chat', 'beta', 'Beta');
  const other = planned('acme/other', 'gamma', 'Gamma', true);

  it('names the candidates, the one selected, the attempt that served and what the router did', () => {
    const metadata = routerMetadata({ requested: 'acme/chat', planned: [alpha, beta, other], planStrategy: 'load-balance', served: beta, servedModel: 'acme/chat', records: [record(alpha, false), record(beta, true)], droppedMessages: 3 });
    expect(metadata).toMatchObject({
      requested: 'acme/chat',
      strategy: 'direct',
      region: null,
      attempt: 2,
      is_byok: false,
      endpoints: {
        total: 3,
        available: [
          { provider: 'Alpha', model: 'acme/chat', selected: false },
          { provider: 'Beta', model: 'acme/chat', selected: true },
          { provider: 'Gamma', model: 'acme/other', selected: false },
        ],
      },
      attempts: [
        { provider: 'Alpha', endpoint_id: 'acme/chat@alpha', status: 503, error_type: 'provider_overloaded' },
        { provider: 'Beta', endpoint_id: 'acme/chat@beta', status: 200, error_type: null },
      ],
    });
    expect(metadata.summary).toContain('Beta served acme/chat on attempt 2 of 3');
    expect(metadata.pipeline.map((stage) => stage.type)).toEqual(['routing', 'context-compression', 'fallback']);
    expect(metadata.pipeline[1]).toMatchObject({ name: 'middle-out', data: { dropped_messages: 3 } });
  });

  it('describes a request every attempt of which failed: no selection, every attempt, and why', () => {
    const metadata = routerMetadata({ requested: 'acme/chat', planned: [alpha, beta], planStrategy: 'load-balance', served: undefined, servedModel: undefined, records: [record(alpha, false), record(beta, false)], droppedMessages: 0 });
    expect(metadata).toMatchObject({ requested: 'acme/chat', strategy: 'direct', attempt: 2, is_byok: false });
    expect(metadata.endpoints.available.some((candidate) => candidate.selected)).toBe(false);
    expect(metadata.attempts.map((attempt) => attempt.status)).toEqual([503, 503]);
    expect(metadata.summary).toContain('every one failed');
    expect(metadata.pipeline.at(-1)).toMatchObject({ type: 'fallback', summary: 'every attempt failed (2)' });
  });

  it('rides beside `error` in every family\'s error body', () => {
    const metadata = routerMetadata({ requested: 'acme/chat', planned: [alpha], planStrategy: 'load-balance', served: undefined, servedModel: undefined, records: [record(alpha, false)], droppedMessages: 0 });
    const error = new ProviderFailureError(502, 'Provider returned error', {});
    error.bodyExtras = { openrouter_metadata: metadata };
    expect(withBodyExtras(chatCompletionsSkin.error(error), error).body).toEqual({ ...error.toEnvelope(), openrouter_metadata: metadata });
    const anthropic = withBodyExtras(createMessagesSkin({ stopSequences: [], estimatedInputTokens: 1 }).error(error, 'gen-1'), error).body as Record<string, unknown>;
    expect(anthropic).toMatchObject({ type: 'error', openrouter_metadata: metadata });
    const plain = new ProviderFailureError(502, 'Provider returned error', {});
    expect(withBodyExtras(chatCompletionsSkin.error(plain), plain).body).toEqual(plain.toEnvelope());
  });

  it('tells a fallback model, a free variant (or the free router), the auto router, a latest alias and another alias from a direct request', () => {
    const strategy = (requested: string, served: PlannedAttempt, first = alpha) => routerMetadata({ requested, planned: [first, served], planStrategy: 'load-balance', served, servedModel: served.model.id, records: [record(served, true)], droppedMessages: 0 }).strategy;
    expect(strategy('acme/chat', other)).toBe('fallback');
    expect(strategy('acme/chat:free', alpha)).toBe('free');
    expect(strategy('openrouter/free', alpha)).toBe('free');
    expect(strategy('OpenRouter/Auto', alpha)).toBe('auto');
    expect(strategy('~acme/chat-latest', alpha)).toBe('latest');
    expect(strategy('acme/chat-2025', alpha)).toBe('alias');
    expect(strategy('acme/chat:nitro', alpha)).toBe('direct');
  });
});

describe('refusedRouterMetadata', () => {
  const alpha = planned('acme/chat', 'alpha', 'Alpha');

  it('says no endpoint could serve the model when routing refused, with no attempt made', () => {
    const error = new NotFoundError('No endpoints found for acme/chat:free');
    const metadata = refusedRouterMetadata({ requested: 'acme/chat:free', planned: [], stage: 'routing', error, droppedMessages: 0, preset: { slug: 'bot', version: 2 } });
    expect(metadata).toMatchObject({ requested: 'acme/chat:free', strategy: 'free', attempt: 0, attempts: [], endpoints: { total: 0, available: [] } });
    expect(metadata.summary).toContain('no endpoint can serve acme/chat:free');
    expect(metadata.pipeline).toEqual([
      expect.objectContaining({ type: 'preset', name: 'bot', data: { version: 2 } }),
      { type: 'routing', name: 'no-endpoints', summary: error.message, data: { status: 404 } },
    ]);
  });

  it('lists the endpoints planned, none selected, when admission refused the request', () => {
    const error = new PaymentRequiredError('This request requires more credits');
    const metadata = refusedRouterMetadata({ requested: 'acme/chat', planned: [alpha], stage: 'admission', error, droppedMessages: 3 });
    expect(metadata).toMatchObject({ strategy: 'direct', attempt: 0, endpoints: { total: 1, available: [{ provider: 'Alpha', model: 'acme/chat', selected: false }] } });
    expect(metadata.summary).toBe('refused before any attempt (402): This request requires more credits');
    expect(metadata.pipeline.map((stage) => stage.type)).toEqual(['context-compression', 'admission']);
  });
});

describe('router metadata on the last event of every skin stream', () => {
  const messagesSkin = createMessagesSkin({ stopSequences: [], estimatedInputTokens: 1 });
  const responsesSkin = createResponsesSkin(responseEcho(responsesRequestSchema.parse({ model: 'acme/chat', input: 'x' })));
  const parts: StreamPart[] = [
    { type: 'text-delta', text: 'Hi' },
    { type: 'finish', finishReason: 'stop', nativeFinishReason: 'stop' },
  ];
  const metadata = routerMetadata({ requested: 'acme/chat', planned: [planned('acme/chat', 'alpha', 'Alpha')], planStrategy: 'sticky', served: planned('acme/chat', 'alpha', 'Alpha'), servedModel: 'acme/chat', records: [], droppedMessages: 0 });
  const billed = billedUsage({ promptTokens: 3, completionTokens: 1 });
  const lastData = (text: string, event?: string) => {
    const events = parseSse(text).filter((entry) => entry.data !== '[DONE]' && (event === undefined || entry.event === event));
    return JSON.parse(events.at(-1)!.data) as Record<string, unknown>;
  };

  it('rides on the usage chunk (chat, legacy completions), response.completed (responses) and message_stop (messages)', () => {
    expect(lastData(streamText(chatCompletionsSkin, parts, billed, { metadata }).text)).toMatchObject({ choices: [], openrouter_metadata: { requested: 'acme/chat', strategy: 'direct' } });
    expect(lastData(streamText(completionsSkin, parts, billed, { metadata }).text)).toMatchObject({ choices: [], openrouter_metadata: { requested: 'acme/chat' } });
    expect(lastData(streamText(responsesSkin, parts, billed, { metadata }).text)).toMatchObject({ type: 'response.completed', openrouter_metadata: { requested: 'acme/chat' } });
    expect(lastData(streamText(messagesSkin, parts, billed, { metadata }).text, 'message_stop')).toEqual({ type: 'message_stop', openrouter_metadata: metadata });
  });

  it('rides on the failure event of a stream that broke after it started, which says so', () => {
    const alpha = planned('acme/chat', 'alpha', 'Alpha');
    const broken = routerMetadata({ requested: 'acme/chat', planned: [alpha], planStrategy: 'load-balance', served: alpha, servedModel: 'acme/chat', records: [record(alpha, false)], droppedMessages: 0, failedMidStream: true });
    expect(broken.pipeline.at(-1)).toEqual({ type: 'stream', name: 'failed', summary: 'Alpha failed after the stream started: no failover once content was sent' });
    const failure: MidStreamFailure = { code: 502, message: 'Provider disconnected', metadata: { error_type: 'provider_error' }, nativeFinishReason: null };
    const failed = (skin: Skin) => {
      const stream = skin.stream(identity, true);
      return stream.open() + stream.fail(failure, billed, broken);
    };
    expect(lastData(failed(chatCompletionsSkin))).toMatchObject({ error: { code: 502 }, openrouter_metadata: { pipeline: expect.arrayContaining([expect.objectContaining({ type: 'stream' })]) } });
    expect(lastData(failed(completionsSkin))).toMatchObject({ error: { code: 502 }, openrouter_metadata: { requested: 'acme/chat' } });
    expect(lastData(failed(responsesSkin), 'response.failed')).toMatchObject({ type: 'response.failed', openrouter_metadata: { requested: 'acme/chat' } });
    expect(lastData(failed(messagesSkin), 'error')).toMatchObject({ type: 'error', openrouter_metadata: { requested: 'acme/chat' } });
  });

  it('is absent when not asked for', () => {
    expect(lastData(streamText(chatCompletionsSkin, parts, billed).text)).not.toHaveProperty('openrouter_metadata');
    expect(lastData(streamText(messagesSkin, parts, billed).text, 'message_stop')).toEqual({ type: 'message_stop' });
  });
});
