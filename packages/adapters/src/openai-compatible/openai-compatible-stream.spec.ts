import { assembleResult, checkStreamGrammar, type StreamPart } from '@switchyard/llm-spec';
import fc from 'fast-check';
import { getAdapter } from '../registry.js';
import type { SseEvent } from '../types.js';
import { convertOpenAiUsage } from './convert-openai-usage.js';
import { mapOpenAiFinishReason } from './map-openai-finish-reason.js';

const adapter = getAdapter('openai', 'openai');

function chunk(delta: Record<string, unknown> | undefined, finishReason: string | null = null, extra: Record<string, unknown> = {}): SseEvent {
  const choices = delta === undefined ? [] : [{ index: 0, delta, finish_reason: finishReason }];
  return { data: JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices, ...extra }) };
}

function decode(events: SseEvent[]): StreamPart[] {
  const decoder = adapter.createStreamDecoder();
  const parts = events.flatMap((event) => decoder.push(event));
  return [...parts, ...decoder.end()];
}

const done: SseEvent = { data: '[DONE]' };

/** Splits a string at the given cut points (sorted, deduplicated, inside the string). */
function splitAt(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let start = 0;
  for (const point of points) {
    pieces.push(text.slice(start, point));
    start = point;
  }
  pieces.push(text.slice(start));
  return pieces;
}

describe('OpenAI-compatible stream decoding', () => {
  it('any split of tool-call arguments into deltas reassembles to the same arguments, for parallel calls', () => {
    const jsonObject = fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 5 });
    fc.assert(
      fc.property(jsonObject, jsonObject, fc.array(fc.nat(200), { maxLength: 12 }), fc.array(fc.nat(200), { maxLength: 12 }), (first, second, cutsA, cutsB) => {
        const argumentsA = JSON.stringify(first);
        const argumentsB = JSON.stringify(second);
        const events = [
          chunk({ role: 'assistant', tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'alpha', arguments: '' } }] }),
          ...splitAt(argumentsA, cutsA).map((piece) => chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] })),
          chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'beta', arguments: '' } }] }),
          ...splitAt(argumentsB, cutsB).map((piece) => chunk({ tool_calls: [{ index: 1, function: { arguments: piece } }] })),
          chunk({}, 'tool_calls'),
          done,
        ];
        const parts = decode(events);
        expect(checkStreamGrammar(parts)).toEqual([]);
        const result = assembleResult(parts);
        expect(result.toolCalls).toEqual([
          { id: 'call_a', type: 'function', function: { name: 'alpha', arguments: argumentsA } },
          { id: 'call_b', type: 'function', function: { name: 'beta', arguments: argumentsB } },
        ]);
        expect(result.finishReason).toBe('tool_calls');
      }),
    );
  });

  it('holds arguments that arrive before the name, and starts the call when the name comes', () => {
    const parts = decode([
      chunk({ tool_calls: [{ index: 0, id: 'call_x', function: { arguments: '{"q":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { name: 'search', arguments: '1}' } }] }),
      chunk({}, 'tool_calls'),
      done,
    ]);
    expect(parts.filter((part) => part.type.startsWith('tool-call'))).toEqual([
      { type: 'tool-call-start', index: 0, id: 'call_x', name: 'search' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"q":1}' },
      { type: 'tool-call-end', index: 0 },
    ]);
  });

  it('treats a new id at a reused index as a new call (hosts that send every call at index 0)', () => {
    const parts = decode([
      chunk({ tool_calls: [{ index: 0, id: 'call_1', function: { name: 'a', arguments: '{}' } }] }),
      chunk({ tool_calls: [{ index: 0, id: 'call_2', function: { name: 'b', arguments: '{"x":1}' } }] }),
      chunk({}, 'tool_calls'),
      done,
    ]);
    expect(checkStreamGrammar(parts)).toEqual([]);
    expect(assembleResult(parts).toolCalls.map((call) => [call.id, call.function.name, call.function.arguments])).toEqual([
      ['call_1', 'a', '{}'],
      ['call_2', 'b', '{"x":1}'],
    ]);
  });

  it('reports a forced function call that finished with "stop" as tool_calls, keeping the native value', () => {
    const parts = decode([chunk({ tool_calls: [{ index: 0, id: 'call_1', function: { name: 'a', arguments: '{}' } }] }), chunk({}, 'stop'), done]);
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason: 'tool_calls', nativeFinishReason: 'stop' });
  });

  it('puts usage from the final choices:[] chunk before the finish', () => {
    const parts = decode([chunk({ content: 'Hi' }), chunk({}, 'length'), chunk(undefined, null, { usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 } }), done]);
    expect(parts.slice(-2).map((part) => part.type)).toEqual(['usage', 'finish']);
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason: 'length', nativeFinishReason: 'length' });
  });

  it('finishes at EOF when the host sent a finish_reason but no [DONE]', () => {
    const parts = decode([chunk({ content: 'Hi' }), chunk({}, 'stop')]);
    expect(checkStreamGrammar(parts)).toEqual([]);
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason: 'stop', nativeFinishReason: 'stop' });
  });

  it('finishes as stop on [DONE] without any finish_reason', () => {
    const parts = decode([chunk({ content: 'Hi' }), done]);
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason: 'stop', nativeFinishReason: null });
  });

  it('ends with a retryable 502 error part when a chunk is not JSON, and ignores what follows', () => {
    const decoder = adapter.createStreamDecoder();
    const parts = [...decoder.push(chunk({ content: 'Hi' })), ...decoder.push({ data: '{"choices": [' }), ...decoder.push(chunk({ content: 'late' })), ...decoder.end()];
    expect(checkStreamGrammar(parts)).toEqual([]);
    expect(parts.at(-1)).toMatchObject({ type: 'error', error: { status: 502, errorType: 'provider_unavailable', retryable: true, phase: 'body' } });
    expect(assembleResult(parts).text).toBe('Hi');
  });

  it('reads Mistral-style content part arrays', () => {
    const parts = decode([chunk({ content: [{ type: 'text', text: 'Bon' }, { type: 'text', text: 'jour' }] }), chunk({}, 'stop'), done]);
    expect(assembleResult(parts).text).toBe('Bonjour');
  });

  it('emits a refusal as refusal deltas', () => {
    const parts = decode([chunk({ refusal: "I can't help" }), chunk({ refusal: ' with that.' }), chunk({}, 'stop'), done]);
    expect(assembleResult(parts).refusal).toBe("I can't help with that.");
  });
});

describe('OpenAI usage and finish reasons', () => {
  it('adds reasoning to completion when a host reports it beside completion_tokens (total says so)', () => {
    const usage = convertOpenAiUsage({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 315, completion_tokens_details: { reasoning_tokens: 300 } });
    expect(usage).toMatchObject({ promptTokens: 10, completionTokens: 305, reasoningTokens: 300, totalTokens: 315 });
  });

  it('keeps OpenAI usage as is when reasoning is already inside completion_tokens', () => {
    const usage = convertOpenAiUsage({ prompt_tokens: 10, completion_tokens: 305, total_tokens: 315, completion_tokens_details: { reasoning_tokens: 300 } });
    expect(usage).toMatchObject({ promptTokens: 10, completionTokens: 305, reasoningTokens: 300, totalTokens: 315 });
  });

  it('keeps the invariants for any reported counts: cached within prompt, reasoning within completion, total = sum', () => {
    const count = fc.option(fc.nat(100_000), { nil: undefined });
    fc.assert(
      fc.property(count, count, count, count, count, (prompt, completion, cached, reasoning, total) => {
        const usage = convertOpenAiUsage({
          prompt_tokens: prompt,
          completion_tokens: completion,
          total_tokens: total,
          prompt_tokens_details: { cached_tokens: cached },
          completion_tokens_details: { reasoning_tokens: reasoning },
        });
        expect(usage.cachedTokens).toBeLessThanOrEqual(usage.promptTokens);
        expect(usage.reasoningTokens).toBeLessThanOrEqual(usage.completionTokens);
        expect(usage.totalTokens).toBe(usage.promptTokens + usage.completionTokens);
      }),
    );
  });

  it.each([
    ['stop', false, 'stop'],
    ['length', false, 'length'],
    ['tool_calls', true, 'tool_calls'],
    ['function_call', true, 'tool_calls'],
    ['content_filter', false, 'content_filter'],
    ['error', false, 'error'],
    ['eos', false, 'stop'],
    [null, false, 'stop'],
  ] as const)('finish_reason %s (tool calls: %s) → %s', (native, hasToolCalls, expected) => {
    expect(mapOpenAiFinishReason(native, hasToolCalls)).toBe(expected);
  });
});
