import Anthropic from '@anthropic-ai/sdk';
import { AuthenticationError, AvailabilityError, GatewayError, PaymentRequiredError, ServiceUnavailableError } from '@switchyard/contracts';
import type { ChatResult } from '@switchyard/llm-spec';
import { billedUsage, fetchReturning, identity } from '../shared/skin-testing.fixture.js';
import { anthropicStopReason } from './anthropic-content.js';
import { anthropicErrors, anthropicErrorType } from './anthropic-errors.js';
import { renderMessage } from './messages.renderer.js';

const result = (overrides: Partial<ChatResult>): ChatResult => ({
  text: '',
  reasoning: '',
  reasoningDetails: [],
  refusal: null,
  toolCalls: [],
  finishReason: 'stop',
  nativeFinishReason: 'end_turn',
  usage: null,
  ...overrides,
});

describe('renderMessage', () => {
  it('renders an Anthropic message with thinking (signed), text and tool_use with a parsed input, the gen id and usage with cost', () => {
    const billed = billedUsage({ promptTokens: 50, completionTokens: 20, cachedTokens: 40 });
    const body = renderMessage(
      identity,
      result({
        text: 'Calling.',
        reasoning: 'why',
        reasoningDetails: [{ type: 'reasoning.text', text: 'why', signature: 'sig', format: 'anthropic-claude-v1', index: 0 }],
        toolCalls: [{ id: 'toolu_1', type: 'function', function: { name: 'f', arguments: '{"a":[1,2]}' } }],
        finishReason: 'tool_calls',
        nativeFinishReason: 'tool_use',
      }),
      billed,
      true,
      { stopSequences: [] },
    );
    expect(body).toEqual({
      id: identity.id,
      type: 'message',
      role: 'assistant',
      model: 'anthropic/claude-sonnet-4.5',
      provider: 'Anthropic',
      content: [
        { type: 'thinking', thinking: 'why', signature: 'sig' },
        { type: 'text', text: 'Calling.' },
        { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: [1, 2] } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      stop_details: null,
      container: null,
      usage: {
        input_tokens: 10,
        output_tokens: 20,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 40,
        server_tool_use: null,
        service_tier: 'standard',
        cost: expect.any(Number),
        is_byok: false,
        cost_details: expect.objectContaining({ upstream_inference_cost: null }),
      },
    });
  });

  it('turns a cut-off tool call into an empty input rather than failing', () => {
    const body = renderMessage(identity, result({ toolCalls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{"a":' } }], finishReason: 'length', nativeFinishReason: 'max_tokens' }), billedUsage({ promptTokens: 1, completionTokens: 1 }), true, { stopSequences: [] });
    expect(body).toMatchObject({ content: [{ type: 'tool_use', input: {} }], stop_reason: 'max_tokens' });
  });
});

describe('anthropicStopReason', () => {
  it.each([
    ['stop', 'end_turn', false, 'end_turn'],
    ['stop', 'stop_sequence', false, 'stop_sequence'],
    ['stop', 'tool_use', false, 'end_turn'],
    ['length', 'length', false, 'max_tokens'],
    ['tool_calls', 'tool_calls', true, 'tool_use'],
    ['content_filter', 'content_filter', false, 'refusal'],
    ['stop', 'STOP', false, 'end_turn'],
    [null, null, false, 'end_turn'],
  ] as const)('finish %s (native %s) → %s', (finish, native, hasTool, expected) => {
    expect(anthropicStopReason(finish, native, hasTool)).toBe(expected);
  });
});

describe('anthropic errors', () => {
  it('maps every status to Anthropic’s error type', () => {
    expect(anthropicErrorType(400)).toBe('invalid_request_error');
    expect(anthropicErrorType(401)).toBe('authentication_error');
    expect(anthropicErrorType(402)).toBe('billing_error');
    expect(anthropicErrorType(403)).toBe('permission_error');
    expect(anthropicErrorType(404)).toBe('not_found_error');
    expect(anthropicErrorType(429)).toBe('rate_limit_error');
    expect(anthropicErrorType(503)).toBe('overloaded_error');
    expect(anthropicErrorType(502, 'timeout')).toBe('timeout_error');
    expect(anthropicErrorType(504)).toBe('timeout_error');
    expect(anthropicErrorType(502)).toBe('api_error');
    expect(anthropicErrorType(500)).toBe('api_error');
  });

  it('renders the Anthropic envelope with error_type and request_id, with the status and headers', () => {
    const rendered = anthropicErrors.error(new PaymentRequiredError('Insufficient credits', { available: '0' }), 'gen-1');
    expect(rendered.status).toBe(402);
    expect(rendered.headers['request-id']).toBe('gen-1');
    expect(rendered.body).toEqual({ type: 'error', error: { type: 'billing_error', message: 'Insufficient credits', error_type: 'payment_required', metadata: { available: '0' } }, request_id: 'gen-1' });
    const unknown = anthropicErrors.error(new AvailabilityError(400, 'model_not_found', 'nobody/x is not a valid model ID', { requested_models: ['nobody/x'] }));
    expect(unknown.body).toMatchObject({ error: { type: 'invalid_request_error', error_type: 'invalid_request', metadata: { availability_code: 'model_not_found' } }, request_id: null });
    expect(anthropicErrors.error(new ServiceUnavailableError('busy')).body).toMatchObject({ error: { type: 'overloaded_error' } });
    expect(anthropicErrors.streamError(new GatewayError(500, 'boom'))).toBe('event: error\ndata: {"type":"error","error":{"type":"api_error","message":"boom","error_type":"server"}}\n\n');
  });

  it('gives the official SDK its typed error classes', async () => {
    const rendered = anthropicErrors.error(new AuthenticationError('Invalid API key'));
    const client = new Anthropic({ apiKey: 'sk-test', maxRetries: 0, fetch: fetchReturning(JSON.stringify(rendered.body), { status: rendered.status, contentType: 'application/json' }) });
    const error = await client.messages.create({ model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'x' }] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'authentication_error', message: 'Invalid API key' } });
  });
});
