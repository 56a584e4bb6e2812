import { attemptUsageSchema, providerChatRequestSchema, subjects, type ProviderChatRequest } from '@switchyard/contracts';
import { makeUsage } from '@switchyard/llm-spec';
import { MetricsService, type DurablePublisher, type NatsService } from '@switchyard/nest-kit';
import type { AttemptExecution, AttemptResult } from './attempt-execution.js';
import { AttemptEvents, attemptUsageEvent } from './attempt-events.service.js';

const billing = {
  keyId: 'key-1',
  keyHash: 'hash-1',
  leaseId: 'lease-1',
  attemptNumber: 2,
  requestedModel: 'openai/gpt-4o-mini',
  model: 'openai/gpt-4o-mini',
  providerName: 'Fake',
  apiType: 'completions' as const,
  streamed: true,
  pricing: { prompt: '0.00000015', completion: '0.0000006' },
  promptLogging: true,
  isByok: false,
  byokFeeWaived: false,
};

function execution(overrides: Partial<ProviderChatRequest> = {}): AttemptExecution {
  const request = providerChatRequestSchema.parse({
    attemptId: 'att-1',
    generationId: 'gen-1',
    accountId: 'acct-1',
    endpoint: { id: 'm/x@fake', modelId: 'm/x', providerSlug: 'fake', upstreamModelId: 'x' },
    request: { model: 'm/x', messages: [{ role: 'user', content: 'hello there' }], stream: true },
    timeouts: { connectMs: 1_000, firstTokenMs: 1_000, idleMs: 1_000 },
    ...overrides,
  });
  return { request, probe: false } as unknown as AttemptExecution;
}

function result(overrides: Partial<AttemptResult>): AttemptResult {
  return {
    ok: true,
    status: 200,
    error: null,
    contentSent: true,
    usage: makeUsage({ promptTokens: 10, completionTokens: 5 }),
    finishReason: 'stop',
    ttftMs: 1,
    upstreamMs: 5,
    durationMs: 6,
    generationMs: 4,
    contentChars: 20,
    toolCallsValid: null,
    interrupted: null,
    ...overrides,
  };
}

describe('attemptUsageEvent', () => {
  it('copies ingress charge inputs and the outcome into a valid attempt-usage event', () => {
    const event = attemptUsageEvent(execution({ billing }), result({}), 1_000);
    expect(attemptUsageSchema.parse(event)).toMatchObject({
      attemptId: 'att-1',
      generationId: 'gen-1',
      usage: { promptTokens: 10, completionTokens: 5 },
      at: 1_000,
      outcome: { ok: true, contentSent: true, finishReason: 'stop', cancelled: false, status: 200, errorType: null },
      billing: { keyId: 'key-1', leaseId: 'lease-1', attemptNumber: 2, pricing: { prompt: '0.00000015' }, promptLogging: true },
    });
  });

  it('publishes a failed attempt of a generation with zero usage (the reconciler must see that a later attempt was made)', () => {
    const failed = result({ ok: false, status: 502, contentSent: false, usage: null, finishReason: null, error: { status: 502, errorType: 'provider_unavailable', retryable: true, message: 'down', phase: 'connect' } });
    const event = attemptUsageEvent(execution({ billing }), failed);
    expect(event).toMatchObject({ usage: { promptTokens: 0, completionTokens: 0 }, outcome: { ok: false, contentSent: false, finishReason: null, errorType: 'provider_unavailable' } });
    // Without billing (another caller, older ingress), a failure without usage is not worth an event.
    expect(attemptUsageEvent(execution(), failed)).toBeNull();
  });

  it('records a failure after content as finish "error", and a cancel as no finish, with an estimate when no usage came', () => {
    const cut = attemptUsageEvent(execution({ billing }), result({ ok: false, status: 502, usage: null, finishReason: null, interrupted: null }));
    expect(cut?.outcome).toMatchObject({ finishReason: 'error', cancelled: false });
    expect(cut?.usage).toMatchObject({ completionTokens: 5, estimated: true });
    const cancelled = attemptUsageEvent(execution({ billing }), result({ ok: false, status: 499, usage: null, finishReason: null, interrupted: 'cancelled' }));
    expect(cancelled?.outcome).toMatchObject({ finishReason: null, cancelled: true });
    expect(cancelled?.usage.estimated).toBe(true);
  });

  it('estimates the usage of a finished attempt whose provider reported none, as ingress does', () => {
    const event = attemptUsageEvent(execution(), result({ usage: null, contentChars: 9 }));
    expect(event?.usage).toMatchObject({ completionTokens: 3, estimated: true });
    expect(event?.usage.promptTokens).toBeGreaterThan(0);
  });
});

describe('AttemptEvents.completed', () => {
  it("reports an attempt only when the outbox's batch window closes, never on the caller's path", () => {
    const deferred: Array<() => void> = [];
    const published: Array<{ subject: string; id?: string }> = [];
    const publisher = { defer: (task: () => void) => deferred.push(task), publish: (subject: string, _event: unknown, id?: string) => published.push({ subject, id }) } as unknown as DurablePublisher;
    const nats = { publishBatched: (subject: string) => published.push({ subject }) } as unknown as NatsService;
    const metrics = new MetricsService();
    const events = new AttemptEvents(nats, publisher, metrics);

    events.completed(execution({ billing }), result({}));
    expect(published).toEqual([]);
    expect(deferred).toHaveLength(1);

    deferred[0]!();
    expect(published).toEqual([{ subject: subjects.providers.attemptCompleted }, { subject: subjects.providers.attemptUsage, id: 'att-1' }]);
  });
});
