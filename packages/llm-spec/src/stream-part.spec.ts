import { assembleResult } from './result.js';
import { checkStreamGrammar, type StreamPart } from './stream-part.js';
import { makeUsage } from './usage.js';

const usage = makeUsage({ promptTokens: 5, completionTokens: 3 });

describe('checkStreamGrammar', () => {
  it('accepts deltas, tool calls inside start/end, usage, then one finish', () => {
    const parts: StreamPart[] = [
      { type: 'text-delta', text: 'a' },
      { type: 'tool-call-start', index: 0, id: 'c1', name: 'f' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{}' },
      { type: 'tool-call-end', index: 0 },
      { type: 'usage', usage },
      { type: 'finish', finishReason: 'tool_calls' },
    ];
    expect(checkStreamGrammar(parts)).toEqual([]);
  });

  it('flags a missing finish, parts after finish, deltas outside a tool call and usage twice', () => {
    expect(checkStreamGrammar([{ type: 'text-delta', text: 'a' }]).map((v) => v.message)).toContain('stream ended without finish');
    const messages = checkStreamGrammar([
      { type: 'tool-call-delta', index: 1, argumentsDelta: 'x' },
      { type: 'usage', usage },
      { type: 'usage', usage },
      { type: 'finish', finishReason: 'stop' },
      { type: 'text-delta', text: 'late' },
    ]).map((v) => v.message);
    expect(messages).toEqual(['tool call 1 delta outside its start/end', 'usage reported twice', 'text-delta after finish']);
  });
});

describe('assembleResult', () => {
  it('folds text, tool call arguments, reasoning details by index, usage and finish', () => {
    const result = assembleResult([
      { type: 'response-metadata', upstreamId: 'chatcmpl-1' },
      { type: 'reasoning-delta', text: 'think', details: [{ type: 'reasoning.text', text: 'think', index: 0 }] },
      { type: 'reasoning-delta', text: '', details: [{ type: 'reasoning.text', signature: 'sig', index: 0 }] },
      { type: 'text-delta', text: 'Hel' },
      { type: 'text-delta', text: 'lo' },
      { type: 'tool-call-start', index: 0, id: 'c1', name: 'lookup' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"q":' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '1}' },
      { type: 'tool-call-end', index: 0 },
      { type: 'usage', usage },
      { type: 'finish', finishReason: 'tool_calls', nativeFinishReason: 'tool_use' },
    ]);
    expect(result.text).toBe('Hello');
    expect(result.reasoningDetails).toEqual([{ type: 'reasoning.text', text: 'think', signature: 'sig', index: 0 }]);
    expect(result.toolCalls).toEqual([{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"q":1}' } }]);
    expect(result.usage?.totalTokens).toBe(8);
    expect(result.finishReason).toBe('tool_calls');
    expect(result.nativeFinishReason).toBe('tool_use');
    expect(result.upstreamId).toBe('chatcmpl-1');
  });
});
