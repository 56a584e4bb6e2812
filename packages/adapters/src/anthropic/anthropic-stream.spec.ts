import { readFileSync } from 'node:fs';
import { assembleResult, chatRequestSchema, checkStreamGrammar, toCanonicalChatRequest, type StreamPart } from '@switchyard/llm-spec';
import fc from 'fast-check';
import { replaySse } from '../conformance/replay.js';
import { getAdapter } from '../registry.js';
import type { SseEvent } from '../types.js';
import { convertAnthropicUsage } from './convert-anthropic-usage.js';
import { mapAnthropicStopReason } from './map-anthropic-stop-reason.js';

const adapter = getAdapter('anthropic');
const fixture = (name: string) => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');

function event(data: Record<string, unknown>): SseEvent {
  return { event: String(data.type), data: JSON.stringify(data) };
}

function decode(events: SseEvent[]): StreamPart[] {
  const decoder = adapter.createStreamDecoder();
  return [...events.flatMap((item) => decoder.push(item)), ...decoder.end()];
}

const messageStart = event({ type: 'message_start', message: { id: 'msg_1', model: 'claude', usage: { input_tokens: 10, output_tokens: 1 } } });

describe('Anthropic stream decoding', () => {
  it('any split of a tool input into input_json_delta events reassembles to the same arguments', () => {
    const input = fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.oneof(fc.string(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean()), { minKeys: 1, maxKeys: 5 });
    fc.assert(
      fc.property(input, fc.array(fc.nat(300), { maxLength: 10 }), (value, cuts) => {
        const json = JSON.stringify(value);
        const points = [...new Set(cuts.map((cut) => cut % (json.length + 1)))].sort((a, b) => a - b);
        const pieces = [0, ...points].map((start, position, all) => json.slice(start, all[position + 1] ?? json.length));
        const parts = decode([
          messageStart,
          event({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: {} } }),
          ...pieces.map((piece) => event({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: piece } })),
          event({ type: 'content_block_stop', index: 0 }),
          event({ type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 20 } }),
          event({ type: 'message_stop' }),
        ]);
        expect(checkStreamGrammar(parts)).toEqual([]);
        const [call] = assembleResult(parts).toolCalls;
        expect(call.function.arguments).toBe(json);
      }),
    );
  });

  it('ignores ping and event types added later', () => {
    const parts = decode([
      messageStart,
      event({ type: 'ping' }),
      event({ type: 'content_block_start', index: 0, content_block: { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} } }),
      event({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"q":"x"}' } }),
      event({ type: 'content_block_stop', index: 0 }),
      event({ type: 'future_event', payload: 1 }),
      event({ type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }),
      event({ type: 'content_block_delta', index: 1, delta: { type: 'citations_delta', citation: {} } }),
      event({ type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Found it.' } }),
      event({ type: 'content_block_stop', index: 1 }),
      event({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 9 } }),
      event({ type: 'message_stop' }),
    ]);
    expect(checkStreamGrammar(parts)).toEqual([]);
    expect(assembleResult(parts)).toMatchObject({ text: 'Found it.', toolCalls: [], finishReason: 'stop' });
  });

  it('closes open tool blocks at message_stop, and finishes at EOF when only message_stop is missing', () => {
    const parts = decode([
      messageStart,
      event({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} } }),
      event({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"a":1}' } }),
      event({ type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 5 } }),
    ]);
    expect(checkStreamGrammar(parts)).toEqual([]);
    expect(parts.slice(-3).map((part) => part.type)).toEqual(['tool-call-end', 'usage', 'finish']);
    expect(assembleResult(parts).usage).toMatchObject({ promptTokens: 10, completionTokens: 5 });
  });

  it('maps the Messages API stop reasons', () => {
    expect(mapAnthropicStopReason('end_turn', false)).toBe('stop');
    expect(mapAnthropicStopReason('stop_sequence', false)).toBe('stop');
    expect(mapAnthropicStopReason('max_tokens', false)).toBe('length');
    expect(mapAnthropicStopReason('tool_use', true)).toBe('tool_calls');
    expect(mapAnthropicStopReason('tool_use', false)).toBe('stop');
    expect(mapAnthropicStopReason('refusal', false)).toBe('content_filter');
  });

  it('counts cache reads and writes into prompt tokens, for any counts', () => {
    const count = fc.option(fc.nat(1_000_000), { nil: undefined });
    fc.assert(
      fc.property(count, count, count, count, (input, output, read, write) => {
        const usage = convertAnthropicUsage({ input_tokens: input, output_tokens: output, cache_read_input_tokens: read, cache_creation_input_tokens: write });
        expect(usage.promptTokens).toBe((input ?? 0) + (read ?? 0) + (write ?? 0));
        expect(usage.cachedTokens).toBe(read ?? 0);
        expect(usage.cacheWriteTokens).toBe(write ?? 0);
        expect(usage.completionTokens).toBe(output ?? 0);
        expect(usage.totalTokens).toBe(usage.promptTokens + usage.completionTokens);
      }),
    );
  });
});

describe('Anthropic multi-turn replay', () => {
  it('thinking streamed in one turn goes back as the same thinking block, signature intact, on the next', () => {
    const result = assembleResult(replaySse(adapter, fixture('anthropic-thinking.sse.txt')));
    const next = toCanonicalChatRequest(
      chatRequestSchema.parse({
        model: 'anthropic/claude',
        reasoning: { max_tokens: 2000 },
        messages: [
          { role: 'user', content: 'What is 27 * 453?' },
          { role: 'assistant', content: result.text, reasoning_details: result.reasoningDetails },
          { role: 'user', content: 'And times 2?' },
        ],
      }),
    );
    const wire = JSON.parse(adapter.buildRequest(next, { baseUrl: '', upstreamModelId: 'claude-sonnet-4-5', apiKey: 'k' }).request.body);
    expect(wire.messages[1].content).toEqual([
      {
        type: 'thinking',
        thinking: 'Let me solve this step by step:\n\n1. First break down 27 * 453\n2. 453 = 400 + 50 + 3\n3. 27 * 400 = 10,800\n4. 27 * 50 = 1,350\n5. 27 * 3 = 81\n6. 10,800 + 1,350 + 81 = 12,231',
        signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds...',
      },
      { type: 'text', text: '27 * 453 = 12,231' },
    ]);
  });

  it('redacted thinking goes back as redacted_thinking with its data', () => {
    const result = assembleResult(adapter.parseResponse(fixture('anthropic-redacted-thinking.json')));
    const next = toCanonicalChatRequest(
      chatRequestSchema.parse({
        model: 'anthropic/claude',
        messages: [
          { role: 'user', content: 'Q' },
          { role: 'assistant', content: result.text, reasoning_details: result.reasoningDetails },
          { role: 'user', content: 'Q2' },
        ],
      }),
    );
    const wire = JSON.parse(adapter.buildRequest(next, { baseUrl: '', upstreamModelId: 'claude', apiKey: 'k' }).request.body);
    expect(wire.messages[1].content[0]).toEqual({ type: 'redacted_thinking', data: result.reasoningDetails[0].data });
  });
});

describe('Anthropic stream oddities', () => {
  it('a repeated message_start adds no second metadata part', () => {
    const parts = decode([
      messageStart,
      event({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
      event({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } }),
      messageStart,
      event({ type: 'content_block_stop', index: 0 }),
      event({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } }),
      event({ type: 'message_stop' }),
    ]);
    expect(checkStreamGrammar(parts)).toEqual([]);
    expect(parts.filter((part) => part.type === 'response-metadata')).toHaveLength(1);
    expect(parts[0].type).toBe('response-metadata');
  });
});
