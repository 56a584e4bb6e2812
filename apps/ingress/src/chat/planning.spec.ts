import type { Caller } from '../auth/authenticator.service.js';
import { estimatePromptTokens, type CanonicalChatRequest } from '@switchyard/llm-spec';
import type { PlanError } from '@switchyard/routing-policy';
import { accountPolicyOf, compressedToFit, planFailure, trimmedToMessageLimit } from './planning.js';

describe('planning inputs and failures', () => {
  it("hands the planner the account's privacy policy and provider lists", () => {
    const caller = {
      account: {
        privacy: { allowTraining: false, allowRetention: true, requireZdr: true, logPrompts: false },
        allowedProviders: null,
        ignoredProviders: ['deepinfra'],
        byokProviders: ['openai'],
      },
    } as unknown as Caller;
    expect(accountPolicyOf(caller)).toEqual({ allowTraining: false, allowRetention: true, requireZdr: true, allowedProviders: undefined, ignoredProviders: ['deepinfra'], byokProviders: ['openai'] });
  });

  it('renders a plan with no endpoint as OpenRouter does: its status, an availability code and why endpoints were dropped', () => {
    const notFound = planFailure({ ok: false, error: { status: 404, code: 'model_not_found', message: 'No model named acme/x', excludedBy: [], requestedModels: ['acme/x'] } });
    expect(notFound.toEnvelope()).toEqual({
      error: { code: 404, message: 'No model named acme/x', metadata: { error_type: 'not_found', availability_code: 'model_not_found', availability: { code: 'model_not_found', retryable: false, requested_models: ['acme/x'], excluded_by: [] } } },
    });
    const filtered = planFailure({
      ok: false,
      error: { status: 400, code: 'constraint_filtered', message: 'No endpoint takes max_tokens 900000', excludedBy: ['max_tokens'], requestedModels: ['acme/chat'], constraint: { field: 'max_tokens', detail: 'above every context length' } },
    });
    expect(filtered.status).toBe(400);
    expect(filtered.toEnvelope().error.metadata).toMatchObject({ error_type: 'invalid_request', availability_code: 'constraint_filtered', availability: { excluded_by: ['max_tokens'], constraint: { field: 'max_tokens', detail: 'above every context length' } } });
  });
});

describe('trimmedToMessageLimit (middle-out message count)', () => {
  const request = (count: number, extra: Partial<CanonicalChatRequest> = {}): CanonicalChatRequest => ({
    model: 'anthropic/claude-sonnet-4.5',
    stream: false,
    messages: Array.from({ length: count }, (_, index) => ({ role: index % 2 === 0 ? ('user' as const) : ('assistant' as const), content: `m${index}` })),
    ...extra,
  });

  it('trims a conversation beyond a Claude model’s 1,000 messages when compression was asked for', () => {
    expect(trimmedToMessageLimit(request(1_201, { transforms: ['middle-out'] }), 'anthropic/claude-sonnet-4.5')?.messages).toHaveLength(1_000);
    expect(trimmedToMessageLimit(request(1_201, { plugins: [{ id: 'context-compression' }] }), 'anthropic/claude-haiku-4.5')?.messages).toHaveLength(1_000);
  });

  it('leaves it alone without the request asking, within the limit, or for a model without one', () => {
    expect(trimmedToMessageLimit(request(1_201), 'anthropic/claude-sonnet-4.5')).toBeNull();
    expect(trimmedToMessageLimit(request(1_000, { transforms: ['middle-out'] }), 'anthropic/claude-sonnet-4.5')).toBeNull();
    expect(trimmedToMessageLimit(request(1_201, { transforms: ['middle-out'] }), 'openai/gpt-4o-mini')).toBeNull();
  });
});

describe('compressedToFit (middle-out context compression)', () => {
  const turn = 'word '.repeat(2_000); // ~2,500 tokens by the estimate
  const request = (extra: Partial<CanonicalChatRequest> = {}): CanonicalChatRequest => ({
    model: 'acme/chat',
    stream: false,
    messages: [{ role: 'system', content: 'sys' }, ...Array.from({ length: 6 }, (_, index) => ({ role: 'user' as const, content: `${index} ${turn}` })), { role: 'user', content: 'question' }],
    ...extra,
  });
  const tooLong = (limit: number): PlanError => ({ status: 400, code: 'constraint_filtered', message: 'too long', excludedBy: ['context_length'], requestedModels: ['acme/chat'], constraint: { field: 'context_length', detail: 'd', limit } });

  it('drops turns from the middle until the prompt and max_tokens fit the largest context, when asked for', () => {
    const compressed = compressedToFit(request({ transforms: ['middle-out'], max_tokens: 1_000 }), tooLong(9_000))!;
    expect(estimatePromptTokens(compressed)).toBeLessThanOrEqual(8_000);
    expect(compressed.messages.length).toBeLessThan(8);
    expect(compressed.messages[0]).toEqual({ role: 'system', content: 'sys' });
    expect(compressed.messages.at(-1)).toEqual({ role: 'user', content: 'question' });
    expect(compressedToFit(request({ plugins: [{ id: 'context-compression' }] }), tooLong(9_000))).not.toBeNull();
  });

  it('is on by default only for contexts of at most 8k, and off with transforms: [] or for any other failure', () => {
    expect(compressedToFit(request(), tooLong(8_192))).not.toBeNull();
    expect(compressedToFit(request(), tooLong(9_000))).toBeNull();
    expect(compressedToFit(request({ transforms: [] }), tooLong(8_000))).toBeNull();
    expect(compressedToFit(request({ transforms: ['middle-out'] }), { ...tooLong(8_000), constraint: { field: 'max_tokens', detail: 'd' } })).toBeNull();
  });

  it('gives up when even the instructions and the question do not fit', () => {
    expect(compressedToFit(request({ transforms: ['middle-out'], max_tokens: 100_000 }), tooLong(9_000))).toBeNull();
  });
});
