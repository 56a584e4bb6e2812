import OpenAI from 'openai';
import { AvailabilityError, AuthenticationError, GatewayError } from '@switchyard/contracts';
import { assembleResult, type StreamPart } from '@switchyard/llm-spec';
import { billedUsage, fetchReturning, identity, parseSse, streamText } from '../shared/skin-testing.fixture.js';
import { responsesToCanonical } from './responses-request.mapper.js';
import { responsesRequestSchema } from './responses-request.schema.js';
import { responsesErrors } from './responses-errors.js';
import { renderResponse, responseEcho } from './responses.renderer.js';
import { createResponsesSkin } from './responses.skin.js';

const echo = responseEcho(responsesRequestSchema.parse({ model: 'openai/gpt-4o-mini', input: 'x', max_output_tokens: 100 }));
const skin = createResponsesSkin(echo);
const billed = billedUsage({ promptTokens: 80, completionTokens: 30, cachedTokens: 20, reasoningTokens: 10 }, { prompt: '0.00000015', completion: '0.0000006' });
const openaiIdentity = { ...identity, provider: 'OpenAI', model: 'openai/gpt-4o-mini' };

const parts: StreamPart[] = [
  { type: 'reasoning-delta', text: 'Plan', details: [{ type: 'reasoning.text', text: 'Plan', format: 'anthropic-claude-v1', index: 0 }] },
  { type: 'reasoning-delta', text: '', details: [{ type: 'reasoning.text', signature: 'sig-1', format: 'anthropic-claude-v1', index: 0 }] },
  { type: 'text-delta', text: 'Hello' },
  { type: 'text-delta', text: ' world' },
  { type: 'tool-call-start', index: 0, id: 'call_1', name: 'lookup' },
  { type: 'tool-call-delta', index: 0, argumentsDelta: '{"q":' },
  { type: 'tool-call-delta', index: 0, argumentsDelta: '"x"}' },
  { type: 'tool-call-end', index: 0 },
  { type: 'usage', usage: billed.usage },
  { type: 'finish', finishReason: 'tool_calls', nativeFinishReason: 'tool_calls' },
];

describe('ResponsesStream', () => {
  it('writes the typed event sequence with increasing sequence numbers, output indexes and item ids', () => {
    const { text } = streamText(skin, parts, billed, { id: openaiIdentity, keepAliveFirst: true });
    expect(text).toContain(': SWITCHYARD PROCESSING\n\n');
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    const events = parseSse(text).filter((event) => event.data !== '[DONE]');
    const payloads = events.map((event) => JSON.parse(event.data));
    expect(events.map((event) => event.event)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    payloads.forEach((payload, index) => {
      expect(payload.type).toBe(events[index]!.event);
      expect(payload.sequence_number).toBe(index);
    });
    expect(payloads[0].response).toMatchObject({ id: identity.id, object: 'response', status: 'in_progress', output: [], model: 'openai/gpt-4o-mini', max_output_tokens: 100, store: false });
    expect(payloads[10]).toMatchObject({ item_id: `msg_${identity.id.slice(4)}_1`, output_index: 1, content_index: 0, delta: 'Hello' });
    expect(payloads[18]).toMatchObject({ output_index: 2, name: 'lookup', arguments: '{"q":"x"}' });
    const completed = payloads.at(-1).response;
    expect(completed.status).toBe('completed');
    expect(completed.usage).toMatchObject({ input_tokens: 80, input_tokens_details: { cached_tokens: 20 }, output_tokens: 30, output_tokens_details: { reasoning_tokens: 10 }, total_tokens: 110 });
    expect(completed.usage.cost).toBeGreaterThan(0);
  });

  it('is accumulated by the official openai SDK (responses.stream) into the same Response the non-streaming body gives', async () => {
    const { text, result } = streamText(skin, parts, billed, { id: openaiIdentity });
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: 'http://gateway.test/api/v1', maxRetries: 0, fetch: fetchReturning(text) });
    const deltas: string[] = [];
    const stream = client.responses.stream({ model: 'openai/gpt-4o-mini', input: 'x' });
    stream.on('response.output_text.delta', (event) => deltas.push(event.delta));
    const final = await stream.finalResponse();
    expect(deltas.join('')).toBe('Hello world');
    expect(final.output[1]).toMatchObject({ type: 'message', status: 'completed', content: [{ type: 'output_text', text: 'Hello world' }] });
    const body = renderResponse(openaiIdentity, result, billed, true, echo) as Record<string, unknown>;
    const { completed_at: _completedAt, ...bodyRest } = body;
    // The SDK adds its parse helpers (output_parsed, parsed, parsed_arguments); everything the body has is there.
    expect(final).toMatchObject(bodyRest);
    expect(final.output.map((item) => item.type)).toEqual(['reasoning', 'message', 'function_call']);
    expect(final.output[2]).toMatchObject({ type: 'function_call', call_id: 'call_1', name: 'lookup', arguments: '{"q":"x"}', status: 'completed' });
    expect((final.usage as unknown as { cost: number }).cost).toBeGreaterThan(0);
  });

  it('round-trips the reasoning (with its Anthropic signature) through encrypted_content', () => {
    const body = renderResponse(openaiIdentity, assembleResult(parts), billed, true, echo) as { output: Array<Record<string, unknown>> };
    const reasoning = body.output[0]!;
    expect(reasoning).toMatchObject({ type: 'reasoning', summary: [{ type: 'summary_text', text: 'Plan' }] });
    const replay = responsesToCanonical(responsesRequestSchema.parse({ model: 'm', input: [{ role: 'user', content: 'x' }, reasoning, body.output[1], body.output[2]] }));
    expect(replay.messages[1]).toEqual({
      role: 'assistant',
      content: 'Hello world',
      reasoning_details: [{ type: 'reasoning.text', text: 'Plan', signature: 'sig-1', format: 'anthropic-claude-v1', index: 0 }],
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }],
    });
  });

  it('reports a length finish as status incomplete (max_output_tokens) in both shapes', async () => {
    const cut: StreamPart[] = [{ type: 'text-delta', text: 'Once upon' }, { type: 'finish', finishReason: 'length', nativeFinishReason: 'length' }];
    const { text, result } = streamText(skin, cut, billed, { id: openaiIdentity });
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: 'http://gateway.test/api/v1', maxRetries: 0, fetch: fetchReturning(text) });
    const final = await client.responses.stream({ model: 'm', input: 'x' }).finalResponse();
    expect(final.status).toBe('incomplete');
    expect(final.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(renderResponse(openaiIdentity, result, billed, true, echo)).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, output: [{ type: 'message', status: 'incomplete' }] });
  });

  it('ends a failed stream with response.failed and an error event the SDK raises', async () => {
    const stream = skin.stream(openaiIdentity, true);
    let text = stream.open() + stream.part({ type: 'text-delta', text: 'par' });
    text += stream.fail({ code: 502, message: 'Provider returned error', metadata: { error_type: 'provider_unavailable' }, nativeFinishReason: null }, undefined);
    const events = parseSse(text).filter((event) => event.data !== '[DONE]');
    expect(events.slice(-2).map((event) => event.event)).toEqual(['response.failed', 'error']);
    expect(JSON.parse(events.at(-2)!.data).response).toMatchObject({ status: 'failed', error: { code: 'server_error', message: 'Provider returned error' } });
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: 'http://gateway.test/api/v1', maxRetries: 0, fetch: fetchReturning(text) });
    await expect(client.responses.stream({ model: 'm', input: 'x' }).finalResponse()).rejects.toMatchObject({ message: expect.stringContaining('Provider returned error') });
  });

  it('gives an empty message item when nothing was generated', () => {
    const { text } = streamText(skin, [{ type: 'finish', finishReason: 'stop', nativeFinishReason: 'stop' }], billed, { id: openaiIdentity });
    const completed = JSON.parse(parseSse(text).find((event) => event.event === 'response.completed')!.data).response;
    expect(completed.output).toEqual([{ id: `msg_${identity.id.slice(4)}_0`, type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: '', annotations: [], logprobs: [] }] }]);
  });
});

describe('responses errors', () => {
  it('renders {error:{code, message}, error_type} that the openai SDK turns into its typed errors', async () => {
    const unauthorised = responsesErrors.error(new AuthenticationError('Invalid API key'));
    expect(unauthorised.body).toEqual({ status: 'failed', error: { code: 'invalid_api_key', message: 'Invalid API key', type: 'authentication_error', param: null }, error_type: 'authentication' });
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: 'http://gateway.test/api/v1', maxRetries: 0, fetch: fetchReturning(JSON.stringify(unauthorised.body), { status: 401, contentType: 'application/json' }) });
    const error = await client.responses.create({ model: 'm', input: 'x' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('invalid_api_key');

    const unknown = responsesErrors.error(new AvailabilityError(400, 'model_not_found', 'nobody/x is not a valid model ID', { requested_models: ['nobody/x'] }), 'gen-1');
    expect(unknown.body).toMatchObject({ id: 'gen-1', status: 'failed', error: { code: 'model_not_found', type: 'invalid_request_error' }, error_type: 'invalid_request' });
    expect(responsesErrors.error(new GatewayError(502, 'Provider returned error', { errorType: 'provider_unavailable' })).body).toMatchObject({ error: { code: 'server_error', type: 'server_error' }, error_type: 'provider_unavailable' });
  });
});
