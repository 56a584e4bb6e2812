import { ChunkRenderer } from './chunk-renderer.js';

const identity = { id: 'gen-1-abc', provider: 'OpenAI', model: 'openai/gpt-4o-mini', created: 1700000000, systemFingerprint: null };

describe('ChunkRenderer', () => {
  it('renders valid chat.completion.chunk JSON with the assistant role on the first chunk only', () => {
    const renderer = new ChunkRenderer(identity, true);
    const first = JSON.parse(renderer.render({ type: 'text-delta', text: 'Hel"lo\n' })!);
    const second = JSON.parse(renderer.render({ type: 'text-delta', text: 'world' })!);
    expect(first).toEqual({
      id: 'gen-1-abc',
      provider: 'OpenAI',
      model: 'openai/gpt-4o-mini',
      object: 'chat.completion.chunk',
      created: 1700000000,
      system_fingerprint: null,
      choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel"lo\n' }, finish_reason: null, native_finish_reason: null, logprobs: null }],
    });
    expect(second.choices[0].delta).toEqual({ content: 'world' });
  });

  it('renders tool calls by index with the id and name first, then argument deltas', () => {
    const renderer = new ChunkRenderer(identity, true);
    const start = JSON.parse(renderer.render({ type: 'tool-call-start', index: 0, id: 'call_1', name: 'lookup' })!);
    const delta = JSON.parse(renderer.render({ type: 'tool-call-delta', index: 0, argumentsDelta: '{"q":' })!);
    expect(start.choices[0].delta.tool_calls).toEqual([{ index: 0, id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '' } }]);
    expect(delta.choices[0].delta.tool_calls).toEqual([{ index: 0, function: { arguments: '{"q":' } }]);
    expect(renderer.render({ type: 'tool-call-end', index: 0 })).toBeUndefined();
  });

  it('leaves reasoning out when the request excluded it', () => {
    const withReasoning = new ChunkRenderer(identity, true);
    expect(JSON.parse(withReasoning.render({ type: 'reasoning-delta', text: 'think' })!).choices[0].delta.reasoning).toBe('think');
    const excluded = new ChunkRenderer(identity, false);
    expect(excluded.render({ type: 'reasoning-delta', text: 'think' })).toBeUndefined();
  });

  it('ends with a finish chunk, a usage chunk with empty choices, and renders mid-stream errors with finish_reason error', () => {
    const renderer = new ChunkRenderer(identity, true);
    const finish = JSON.parse(renderer.render({ type: 'finish', finishReason: 'length', nativeFinishReason: 'max_tokens' })!);
    expect(finish.choices[0]).toMatchObject({ finish_reason: 'length', native_finish_reason: 'max_tokens' });
    const usage = JSON.parse(renderer.usageChunk({ prompt_tokens: 1, completion_tokens: 2, total_tokens: 3, cost: 0.00001 }));
    expect(usage.choices).toEqual([]);
    expect(usage.usage.cost).toBe(0.00001);
    const error = JSON.parse(renderer.errorChunk({ code: 502, message: 'Provider returned error', metadata: { error_type: 'provider_unavailable' } }, null));
    expect(error.error.code).toBe(502);
    expect(error.choices[0]).toMatchObject({ finish_reason: 'error', delta: { content: '' } });
  });
});
