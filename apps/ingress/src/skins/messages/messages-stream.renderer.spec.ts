import Anthropic from '@anthropic-ai/sdk';
import type { StreamPart } from '@switchyard/llm-spec';
import { assembleResult } from '@switchyard/llm-spec';
import { billedUsage, fetchReturning, identity, parseSse, streamText } from '../shared/skin-testing.fixture.js';
import { encodeReasoningDetail } from '../shared/reasoning-codec.js';
import { redactedDetail, thinkingDetail } from './messages-request.mapper.js';
import { renderMessage } from './messages.renderer.js';
import { createMessagesSkin } from './messages.skin.js';

const context = { stopSequences: [], estimatedInputTokens: 12 };
const skin = createMessagesSkin(context);
const billed = billedUsage({ promptTokens: 100, completionTokens: 40, cachedTokens: 30, cacheWriteTokens: 10 });

/** What the Anthropic adapter emits for: thinking (streamed, then its signature), text, one tool call. */
const anthropicParts: StreamPart[] = [
  { type: 'response-metadata', upstreamId: 'msg_up', upstreamModel: 'claude-sonnet-4-5' },
  { type: 'reasoning-delta', text: 'Let me ', details: [{ type: 'reasoning.text', text: 'Let me ', format: 'anthropic-claude-v1', index: 0 }] },
  { type: 'reasoning-delta', text: 'think.', details: [{ type: 'reasoning.text', text: 'think.', format: 'anthropic-claude-v1', index: 0 }] },
  { type: 'reasoning-delta', text: '', details: [{ type: 'reasoning.text', signature: 'EqQBCkYIBxgC', format: 'anthropic-claude-v1', index: 0 }] },
  { type: 'text-delta', text: 'Checking ' },
  { type: 'text-delta', text: 'the weather.' },
  { type: 'tool-call-start', index: 0, id: 'toolu_01', name: 'get_weather' },
  { type: 'tool-call-delta', index: 0, argumentsDelta: '{"city":' },
  { type: 'tool-call-delta', index: 0, argumentsDelta: '"Paris"}' },
  { type: 'tool-call-end', index: 0 },
  { type: 'usage', usage: billed.usage },
  { type: 'finish', finishReason: 'tool_calls', nativeFinishReason: 'tool_use' },
];

describe('MessagesStream', () => {
  it('writes the exact Anthropic event sequence: message_start, blocks with consecutive indexes, message_delta, message_stop', () => {
    const { text } = streamText(skin, anthropicParts, billed, { keepAliveFirst: true });
    const events = parseSse(text);
    expect(events.map((event) => `${event.event}${event.event === 'content_block_delta' ? ':' + JSON.parse(event.data).delta.type : ''}`)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'content_block_delta:thinking_delta',
      'content_block_delta:thinking_delta',
      'content_block_delta:signature_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta:text_delta',
      'content_block_delta:text_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta:input_json_delta',
      'content_block_delta:input_json_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    for (const event of events) expect(JSON.parse(event.data).type).toBe(event.event);
    const start = JSON.parse(events[0]!.data);
    expect(start.message).toMatchObject({ id: identity.id, type: 'message', role: 'assistant', model: 'anthropic/claude-sonnet-4.5', content: [], stop_reason: null, usage: { input_tokens: 12, output_tokens: 0 } });
    expect(JSON.parse(events[2]!.data)).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } });
    expect(JSON.parse(events[5]!.data).delta).toEqual({ type: 'signature_delta', signature: 'EqQBCkYIBxgC' });
    expect(JSON.parse(events[11]!.data)).toEqual({ type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: {} } });
    const delta = JSON.parse(events[15]!.data);
    expect(delta.delta).toEqual({ stop_reason: 'tool_use', stop_sequence: null, stop_details: null });
    expect(delta.usage).toMatchObject({ input_tokens: 60, output_tokens: 40, cache_read_input_tokens: 30, cache_creation_input_tokens: 10 });
    expect(delta.usage.cost).toBeGreaterThan(0);
  });

  it('is parsed by the official Anthropic SDK into the same message the non-streaming body gives', async () => {
    const { text, result } = streamText(skin, anthropicParts, billed, { keepAliveFirst: true });
    const client = new Anthropic({ apiKey: 'sk-test', fetch: fetchReturning(text), maxRetries: 0 });
    const thinking: string[] = [];
    const stream = client.messages.stream({ model: 'anthropic/claude-sonnet-4.5', max_tokens: 1024, messages: [{ role: 'user', content: 'Weather?' }] });
    stream.on('thinking', (delta) => thinking.push(delta));
    let deltaCost: number | undefined;
    stream.on('streamEvent', (event) => {
      if (event.type === 'message_delta') deltaCost = (event.usage as unknown as { cost: number }).cost;
    });
    const message = await stream.finalMessage();
    const body = renderMessage(identity, result, billed, true, context) as unknown as Anthropic.Message;
    expect(message.content).toEqual(body.content);
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'Let me think.', signature: 'EqQBCkYIBxgC' },
      { type: 'text', text: 'Checking the weather.' },
      { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } },
    ]);
    expect(thinking.join('')).toBe('Let me think.');
    expect(message.stop_reason).toBe('tool_use');
    expect(message.id).toBe(identity.id);
    expect(message.usage).toMatchObject({ input_tokens: 60, output_tokens: 40, cache_read_input_tokens: 30, cache_creation_input_tokens: 10 });
    // The SDK's snapshot keeps only Anthropic's usage fields; the cost is on the message_delta event it hands out.
    expect(deltaCost).toBe((body.usage as unknown as { cost: number }).cost);
    expect(deltaCost).toBeGreaterThan(0);
  });

  it('serialises tool calls that an OpenAI-style upstream streams at once and ends at the finish, with text after them', async () => {
    const parts: StreamPart[] = [
      { type: 'text-delta', text: 'Two calls.' },
      { type: 'tool-call-start', index: 0, id: 'call_a', name: 'lookup' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"q":"a' },
      { type: 'tool-call-start', index: 1, id: 'call_b', name: 'lookup' },
      { type: 'tool-call-delta', index: 1, argumentsDelta: '{"q":"b"}' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '"}' },
      { type: 'text-delta', text: ' After.' },
      { type: 'tool-call-end', index: 0 },
      { type: 'tool-call-end', index: 1 },
      { type: 'finish', finishReason: 'tool_calls', nativeFinishReason: 'tool_calls' },
    ];
    const { text } = streamText(skin, parts, billed);
    const starts = parseSse(text).filter((event) => event.event === 'content_block_start').map((event) => JSON.parse(event.data));
    expect(starts.map((start) => [start.index, start.content_block.type, start.content_block.id])).toEqual([
      [0, 'text', undefined],
      [1, 'tool_use', 'call_a'],
      [2, 'tool_use', 'call_b'],
      [3, 'text', undefined],
    ]);
    const client = new Anthropic({ apiKey: 'sk-test', fetch: fetchReturning(text), maxRetries: 0 });
    const message = await client.messages.stream({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).finalMessage();
    expect(message.content).toEqual([
      { type: 'text', text: 'Two calls.' },
      { type: 'tool_use', id: 'call_a', name: 'lookup', input: { q: 'a' } },
      { type: 'tool_use', id: 'call_b', name: 'lookup', input: { q: 'b' } },
      { type: 'text', text: ' After.' },
    ]);
    expect(message.stop_reason).toBe('tool_use');
  });

  it('carries another provider’s reasoning in signatures and redacted blocks that map back to the same details', async () => {
    const signature = { type: 'reasoning.encrypted' as const, data: 'CiQBVKhc', format: 'google-gemini-v1', id: 'call_1', index: 1 };
    const parts: StreamPart[] = [
      { type: 'reasoning-delta', text: 'Plan', details: [{ type: 'reasoning.text', text: 'Plan', format: 'google-gemini-v1', index: 0 }] },
      { type: 'reasoning-delta', text: ' it.', details: [{ type: 'reasoning.text', text: ' it.', format: 'google-gemini-v1', index: 0 }] },
      { type: 'tool-call-start', index: 0, id: 'call_1', name: 'f' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{}' },
      { type: 'reasoning-delta', text: '', details: [signature] },
      { type: 'tool-call-end', index: 0 },
      { type: 'finish', finishReason: 'tool_calls', nativeFinishReason: 'STOP' },
    ];
    const { text, result } = streamText(skin, parts, billed, { id: { ...identity, provider: 'Google', model: 'google/gemini-2.5-pro' } });
    const client = new Anthropic({ apiKey: 'sk-test', fetch: fetchReturning(text), maxRetries: 0 });
    const message = await client.messages.stream({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).finalMessage();
    expect(message.content.map((block) => block.type)).toEqual(['thinking', 'tool_use', 'redacted_thinking']);
    const [thinking, , redacted] = message.content as [Anthropic.ThinkingBlock, Anthropic.ToolUseBlock, Anthropic.RedactedThinkingBlock];
    expect(thinking.thinking).toBe('Plan it.');
    expect(thinkingDetail({ type: 'thinking', thinking: thinking.thinking, signature: thinking.signature }, 0)).toEqual({ type: 'reasoning.text', text: 'Plan it.', format: 'google-gemini-v1', index: 0 });
    expect(redactedDetail({ type: 'redacted_thinking', data: redacted.data }, 1)).toEqual(signature);
    // The non-streaming body carries the same blocks (order: reasoning first).
    const body = renderMessage(identity, result, billed, true, context) as { content: Array<Record<string, unknown>> };
    expect(body.content).toEqual([
      { type: 'thinking', thinking: 'Plan it.', signature: thinking.signature },
      { type: 'redacted_thinking', data: redacted.data },
      { type: 'tool_use', id: 'call_1', name: 'f', input: {} },
    ]);
  });

  it('shows plain reasoning without details as an unsigned thinking block, and none when reasoning is excluded', () => {
    const parts: StreamPart[] = [
      { type: 'reasoning-delta', text: 'hmm' },
      { type: 'text-delta', text: 'ok' },
      { type: 'finish', finishReason: 'stop', nativeFinishReason: 'stop' },
    ];
    const withReasoning = parseSse(streamText(skin, parts, billed).text).filter((event) => event.event === 'content_block_start');
    expect(withReasoning.map((event) => JSON.parse(event.data).content_block.type)).toEqual(['thinking', 'text']);
    const excluded = parseSse(streamText(skin, parts, billed, { includeReasoning: false }).text).filter((event) => event.event === 'content_block_start');
    expect(excluded.map((event) => JSON.parse(event.data).content_block)).toEqual([{ type: 'text', text: '' }]);
    expect(renderMessage(identity, assembleResult(parts), billed, true, context)).toMatchObject({ content: [{ type: 'thinking', thinking: 'hmm', signature: '' }, { type: 'text', text: 'ok' }], stop_reason: 'end_turn' });
  });

  it('ends a failed stream with an error event the SDK raises', async () => {
    const stream = skin.stream(identity, true);
    let text = stream.open() + stream.part({ type: 'text-delta', text: 'partial' });
    text += stream.fail({ code: 502, message: 'Provider returned error', metadata: { error_type: 'provider_unavailable' }, nativeFinishReason: null }, undefined);
    const events = parseSse(text);
    expect(events.at(-1)).toEqual({ event: 'error', data: JSON.stringify({ type: 'error', error: { type: 'api_error', message: 'Provider returned error', error_type: 'provider_unavailable' } }) });
    const client = new Anthropic({ apiKey: 'sk-test', fetch: fetchReturning(text), maxRetries: 0 });
    await expect(client.messages.stream({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).finalMessage()).rejects.toMatchObject({
      message: expect.stringContaining('Provider returned error'),
    });
  });

  it('names the stop sequence when the request gave exactly one', () => {
    const parts: StreamPart[] = [{ type: 'text-delta', text: 'a' }, { type: 'finish', finishReason: 'stop', nativeFinishReason: 'stop_sequence' }];
    const one = createMessagesSkin({ stopSequences: ['###'], estimatedInputTokens: 1 });
    const delta = parseSse(streamText(one, parts, billed).text).find((event) => event.event === 'message_delta')!;
    expect(JSON.parse(delta.data).delta).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: '###' });
    expect(renderMessage(identity, assembleResult(parts), billed, true, context)).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: null });
  });

  it('uses a Switchyard-encoded value the Anthropic adapter would never take for a real signature', () => {
    expect(encodeReasoningDetail({ type: 'reasoning.text', format: 'x' })).toMatch(/^switchyard:v1:[A-Za-z0-9_-]+$/);
  });
});
