import { BadRequestError } from '@switchyard/contracts';
import { invalidSkinRequest as invalidRequest } from '../shared/invalid-request.js';
import { encodeReasoningDetail } from '../shared/reasoning-codec.js';
import { messagesToCanonical } from './messages-request.mapper.js';
import { messagesRequestSchema, type MessagesRequest } from './messages-request.schema.js';

function parse(body: Record<string, unknown>): MessagesRequest {
  const parsed = messagesRequestSchema.safeParse({ model: 'anthropic/claude-sonnet-4.5', max_tokens: 1024, ...body });
  if (!parsed.success) throw invalidRequest(parsed.error);
  return parsed.data;
}

function rejection(body: Record<string, unknown>): string {
  try {
    messagesToCanonical(parse(body));
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestError);
    return (error as BadRequestError).message;
  }
  throw new Error('expected a 400');
}

describe('messagesToCanonical', () => {
  it('maps the system prompt, sampling, stop sequences, user id and stream flag', () => {
    const canonical = messagesToCanonical(
      parse({
        system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: 'Hi' }],
        temperature: 0.3,
        top_k: 5,
        stop_sequences: ['END'],
        metadata: { user_id: 'user-42' },
        stream: true,
        session_id: 'session-1',
        provider: { order: ['anthropic'] },
        plugins: [{ id: 'web' }],
      }),
    );
    expect(canonical).toEqual({
      model: 'anthropic/claude-sonnet-4.5',
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }] },
        { role: 'user', content: 'Hi' },
      ],
      stream: true,
      max_tokens: 1024,
      temperature: 0.3,
      top_k: 5,
      stop: ['END'],
      user: 'user-42',
      session_id: 'session-1',
      provider: { order: ['anthropic'] },
    });
  });

  it('maps a tool round trip: tool_use → tool_calls with JSON arguments, tool_result → tool messages, thinking → signed reasoning_details', () => {
    const canonical = messagesToCanonical(
      parse({
        tools: [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } }, cache_control: { type: 'ephemeral' } }],
        messages: [
          { role: 'user', content: 'Weather in Paris and Rome?' },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'Two cities, two calls.', signature: 'EqQBCkYIBxgCKkB' },
              { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va' },
              { type: 'text', text: 'Checking.' },
              { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
              { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Rome' } },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'toolu_1', content: '18°C' },
              {
                type: 'tool_result',
                tool_use_id: 'toolu_2',
                is_error: true,
                content: [
                  { type: 'text', text: 'station offline' },
                  { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
                ],
              },
              { type: 'text', text: 'Summarise.', cache_control: { type: 'ephemeral', ttl: '1h' } },
            ],
          },
        ],
      }),
    );
    expect(canonical.tools).toEqual([
      { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }, cache_control: { type: 'ephemeral' } },
    ]);
    expect(canonical.messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'toolu_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ],
        reasoning_details: [
          { type: 'reasoning.text', text: 'Two cities, two calls.', signature: 'EqQBCkYIBxgCKkB', format: 'anthropic-claude-v1', index: 0 },
          { type: 'reasoning.encrypted', data: 'EmwKAhgBEgy3va', format: 'anthropic-claude-v1', index: 1 },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: '18°C' },
      { role: 'tool', tool_call_id: 'toolu_2', content: 'Error: station offline' },
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          { type: 'text', text: 'Summarise.', cache_control: { type: 'ephemeral', ttl: '1h' } },
        ],
      },
    ]);
  });

  it('maps an assistant turn of only tool calls to content null, and documents to file parts', () => {
    const canonical = messagesToCanonical(
      parse({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0x' }, title: 'spec.pdf' },
              { type: 'document', source: { type: 'text', data: 'plain words' } },
              { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
            ],
          },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_9', name: 'noop', input: {} }] },
        ],
      }),
    );
    expect(canonical.messages[0]).toEqual({
      role: 'user',
      content: [
        { type: 'file', file: { filename: 'spec.pdf', file_data: 'data:application/pdf;base64,JVBERi0x' } },
        { type: 'file', file: { filename: 'document.txt', file_data: `data:text/plain;base64,${Buffer.from('plain words').toString('base64')}` } },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
      ],
    });
    expect(canonical.messages[1]).toEqual({ role: 'assistant', content: null, tool_calls: [{ id: 'toolu_9', type: 'function', function: { name: 'noop', arguments: '{}' } }] });
  });

  it('restores another provider’s reasoning detail from a Switchyard-encoded signature, and keeps unsigned thinking unsigned', () => {
    const gemini = { type: 'reasoning.encrypted' as const, data: 'CiQBVKhc', format: 'google-gemini-v1', id: 'call_1', index: 2 };
    const openai = { type: 'reasoning.summary' as const, format: 'openai-responses-v1', id: 'rs_1', index: 0 };
    const canonical = messagesToCanonical(
      parse({
        messages: [
          { role: 'user', content: 'Go' },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'summary text', signature: encodeReasoningDetail(openai) },
              { type: 'thinking', thinking: 'plain', signature: '' },
              { type: 'redacted_thinking', data: encodeReasoningDetail(gemini) },
              { type: 'text', text: 'Done' },
            ],
          },
        ],
      }),
    );
    expect(canonical.messages[1]).toMatchObject({
      reasoning_details: [{ ...openai, summary: 'summary text' }, { type: 'reasoning.text', text: 'plain', index: 1 }, gemini],
    });
  });

  it('maps thinking and tool_choice the way Anthropic means them', () => {
    const enabled = messagesToCanonical(parse({ messages: [{ role: 'user', content: 'x' }], thinking: { type: 'enabled', budget_tokens: 2048 } }));
    expect(enabled.reasoning).toEqual({ max_tokens: 2048 });
    expect(messagesToCanonical(parse({ messages: [{ role: 'user', content: 'x' }], thinking: { type: 'disabled' } })).reasoning).toBeUndefined();
    expect(messagesToCanonical(parse({ messages: [{ role: 'user', content: 'x' }], thinking: { type: 'adaptive' } })).reasoning).toEqual({ enabled: true });
    expect(messagesToCanonical(parse({ messages: [{ role: 'user', content: 'x' }], thinking: { type: 'adaptive' }, output_config: { effort: 'low' } })).reasoning).toEqual({ effort: 'low' });

    const base = { messages: [{ role: 'user', content: 'x' }], tools: [{ name: 'f', input_schema: { type: 'object' } }] };
    expect(messagesToCanonical(parse({ ...base, tool_choice: { type: 'any' } })).tool_choice).toBe('required');
    expect(messagesToCanonical(parse({ ...base, tool_choice: { type: 'none' } })).tool_choice).toBe('none');
    const named = messagesToCanonical(parse({ ...base, tool_choice: { type: 'tool', name: 'f', disable_parallel_tool_use: true } }));
    expect(named.tool_choice).toEqual({ type: 'function', function: { name: 'f' } });
    expect(named.parallel_tool_calls).toBe(false);
    const structured = messagesToCanonical(parse({ messages: [{ role: 'user', content: 'x' }], output_config: { format: { type: 'json_schema', schema: { type: 'object' } } } }));
    expect(structured.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'response', schema: { type: 'object' }, strict: true } });
  });

  it('maps fallbacks to models and refuses them with models, past 3 entries or with extra keys', () => {
    expect(messagesToCanonical(parse({ messages: [{ role: 'user', content: 'x' }], fallbacks: [{ model: 'openai/gpt-4o-mini' }] })).models).toEqual(['openai/gpt-4o-mini']);
    expect(() => parse({ messages: [{ role: 'user', content: 'x' }], fallbacks: [{ model: 'a/b' }], models: ['c/d'] })).toThrow(/fallbacks cannot be combined with models/);
    expect(() => parse({ messages: [{ role: 'user', content: 'x' }], fallbacks: [{ model: 'a/b' }, { model: 'a/c' }, { model: 'a/d' }, { model: 'a/e' }] })).toThrow(/at most 3/);
    expect(() => parse({ messages: [{ role: 'user', content: 'x' }], fallbacks: [{ model: 'a/b', provider: {} }] })).toThrow(/only a model/);
  });

  it('answers what Anthropic rejects with a 400 naming the field', () => {
    const missing = messagesRequestSchema.safeParse({ model: 'anthropic/claude-sonnet-4.5', messages: [{ role: 'user', content: 'x' }] });
    expect(missing.success).toBe(false);
    expect(invalidRequest(missing.error!).message).toBe('Invalid request: max_tokens: Field required');
    expect(() => parse({ messages: [{ role: 'user', content: [{ type: 'server_tool_use', id: 'x' }] }] })).toThrow(
      /messages\.0\.content\.0\.type: unsupported content block type "server_tool_use"; expected one of text, image/,
    );
    expect(() => parse({ messages: [{ role: 'system', content: 'x' }] })).toThrow(/top-level system field/);
    expect(() => parse({ messages: [{ role: 'user', content: 'x' }], temperature: 1.5 })).toThrow(/temperature/);
    expect(() => parse({ messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'web_search_20250305', name: 'web_search' }] })).toThrow(/only custom tools/);
    expect(rejection({ messages: [{ role: 'user', content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }] }] })).toBe(
      'Invalid request: messages.0.content.0: tool_use blocks belong in assistant messages',
    );
    expect(rejection({ messages: [{ role: 'assistant', content: [{ type: 'tool_result', tool_use_id: 't', content: 'x' }] }] })).toContain('tool_result blocks belong in user messages');
  });
});
