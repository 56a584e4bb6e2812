import { chatRequestSchema, makeUsage, toCanonicalChatRequest, type StreamPart } from '@switchyard/llm-spec';
import { Decimal } from '@switchyard/money';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { accountRecord, keyRecord } from '../../test/support/records.js';
import type { CreditLeaseService } from '../admission/credit-lease.service.js';
import type { ResponseCacheService } from '../response-cache/response-cache.service.js';
import type { ProviderCredentialsService } from '../state/provider-credentials.service.js';
import type { PresetStore } from '../presets/preset-store.service.js';
import { ingressConfigSchema } from '../config/ingress.config.js';
import type { GenerationRecorderService } from '../generation/generation-recorder.service.js';
import { fixtureIndex, fixtureRoutingTable } from '../models/models.fixture.js';
import type { CatalogStateService } from '../state/catalog-state.service.js';
import type { AttemptRunnerService, RunInput } from './attempt-runner.service.js';
import { chatCompletionsSkin } from './chat-completions.skin.js';
import { GenerationPipelineService } from './generation-pipeline.service.js';
import type { UserLimitsService } from '../admission/user-limits.service.js';

/** Everything around one non-streaming request, recording the order in which things happen. */
function setup() {
  const order: string[] = [];
  const deferred: Array<() => void> = [];
  const state = { index: fixtureIndex(), routingTable: fixtureRoutingTable() } as unknown as CatalogStateService;
  const admission = {
    checkFreeQuota: async (_caller: unknown, attempts: unknown) => ({ attempts }),
    reserve: async () => ({ accountId: 'acct-1', keyHash: 'hash-1', keyLimited: false, amount: new Decimal('0.01'), leaseId: 'lease-1', settled: false }),
    settle: () => order.push('settled'),
    release: () => order.push('released'),
  } as unknown as CreditLeaseService;
  const parts: StreamPart[] = [
    { type: 'text-delta', text: 'Hello there' },
    { type: 'usage', usage: makeUsage({ promptTokens: 12, completionTokens: 3 }) },
    { type: 'finish', finishReason: 'stop', nativeFinishReason: 'stop' },
  ];
  const runner = {
    run: async (input: RunInput) => {
      const attempt = input.attempts[0]!;
      input.sink.beginAttempt(attempt);
      input.sink.onParts(parts);
      input.upstreamTime.ms = 1;
      return { kind: 'served' as const, attempt, upstreamMs: 1, ttftMs: 1 };
    },
  } as unknown as AttemptRunnerService;
  const recorder = {
    defer: (task: () => void) => {
      order.push('deferred');
      deferred.push(task);
    },
    observe: () => order.push('observed'),
    record: () => order.push('recorded'),
    guarded: <T>(_api: string, apply: () => T) => apply(),
  } as unknown as GenerationRecorderService;
  const pipeline = new GenerationPipelineService(state, admission, runner, recorder, { requestOf: () => null } as unknown as ResponseCacheService, { uncredentialed: new Set() } as unknown as ProviderCredentialsService, {} as PresetStore, ingressConfigSchema.parse({}), { check: () => undefined } as unknown as UserLimitsService);
  const sent: { status?: number; body?: string } = {};
  const reply = {
    raw: { on: () => undefined, off: () => undefined, writableEnded: false },
    status(code: number) {
      sent.status = code;
      return this;
    },
    header() {
      return this;
    },
    headers() {
      return this;
    },
    async send(body: string) {
      order.push('response sent');
      sent.body = body;
    },
  } as unknown as FastifyReply;
  const request = { method: 'POST', url: '/api/v1/chat/completions', routeOptions: { url: '/api/v1/chat/completions' }, headers: {} } as unknown as FastifyRequest;
  return { pipeline, order, deferred, sent, reply, request };
}

describe('GenerationPipelineService', () => {
  it("answers first, and records the generation and its metrics only when the outbox's batch window closes", async () => {
    const { pipeline, order, deferred, sent, reply, request } = setup();
    const canonical = toCanonicalChatRequest(chatRequestSchema.parse({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }));
    await pipeline.execute({ request, reply, caller: { key: keyRecord(), account: accountRecord() }, canonical, skin: chatCompletionsSkin });

    expect(sent.status).toBe(200);
    expect(JSON.parse(sent.body!)).toMatchObject({ choices: [{ message: { content: 'Hello there' } }], usage: { prompt_tokens: 12, completion_tokens: 3 } });
    expect(order).toEqual(['settled', 'response sent', 'deferred']);
    expect(deferred).toHaveLength(1);

    deferred[0]!();
    expect(order).toEqual(['settled', 'response sent', 'deferred', 'observed', 'recorded']);
  });
});
