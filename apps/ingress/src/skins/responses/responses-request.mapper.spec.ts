import { BadRequestError } from '@switchyard/contracts';
import { invalidSkinRequest } from '../shared/invalid-request.js';
import { encodeReasoningDetails } from '../shared/reasoning-codec.js';
import { responsesToCanonical } from './responses-request.mapper.js';
import { responsesRequestSchema, type ResponsesRequest } from './responses-request.schema.js';

function parse(body: Record<string, unknown>): ResponsesRequest {
  const parsed = responsesRequestSchema.safeParse({ model: 'openai/gpt-4o-mini', ...body });
  if (!parsed.success) throw invalidSkinRequest(parsed.error);
  return parsed.data;
}

describe('responsesToCanonical', () => {
  it('maps a string input with instructions and the sampling, format and routing fields', () => {
    const canonical = responsesToCanonical(
      parse({
        input: 'Tell me a joke',
        instructions: 'Be brief.',
        max_output_tokens: 256,
        temperature: 0.5,
        top_p: 0.9,
        text: { format: { type: 'json_schema', name: 'joke', schema: { type: 'object' }, strict: true }, verbosity: 'low' },
        reasoning: { effort: 'high', summary: 'auto' },
        metadata: { ticket: '42' },
        user: 'user-1',
        store: false,
        previous_response_id: null,
        stream: true,
        models: ['anthropic/claude-sonnet-4.5'],
        provider: { sort: 'price' },
        include: ['reasoning.encrypted_content'],
      }),
    );
    expect(canonical).toEqual({
      model: 'openai/gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Tell me a joke' },
      ],
      stream: true,
      max_tokens: 256,
      temperature: 0.5,
      top_p: 0.9,
      metadata: { ticket: '42' },
      user: 'user-1',
      verbosity: 'low',
      models: ['anthropic/claude-sonnet-4.5'],
      provider: { sort: 'price' },
      response_format: { type: 'json_schema', json_schema: { name: 'joke', schema: { type: 'object' }, strict: true } },
      reasoning: { effort: 'high', summary: 'auto' },
    });
  });

  it('folds one assistant turn (reasoning, message, function calls) into one assistant message, and outputs into tool messages', () => {
    const anthropicDetails = [{ type: 'reasoning.text' as const, text: 'think', signature: 'sig', format: 'anthropic-claude-v1', index: 0 }];
    const canonical = responsesToCanonical(
      parse({
        tools: [{ type: 'function', name: 'get_weather', description: 'Weather', parameters: { type: 'object' }, strict: true }],
        tool_choice: { type: 'function', name: 'get_weather' },
        parallel_tool_calls: false,
        input: [
          { role: 'developer', content: 'Use tools.' },
          { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Weather?' }, { type: 'input_image', image_url: 'https://example.com/sky.png', detail: 'low' }] },
          { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'think' }], encrypted_content: encodeReasoningDetails(anthropicDetails) },
          { type: 'message', role: 'assistant', id: 'msg_1', status: 'completed', content: [{ type: 'output_text', text: 'Checking.', annotations: [] }] },
          { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
          { type: 'function_call_output', call_id: 'call_1', output: '18°C' },
          { type: 'function_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: 'chart:' }, { type: 'input_image', image_url: 'data:image/png;base64,AAAA' }] },
          { role: 'user', content: 'Thanks' },
        ],
      }),
    );
    expect(canonical.tools).toEqual([{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object' }, strict: true } }]);
    expect(canonical.tool_choice).toEqual({ type: 'function', function: { name: 'get_weather' } });
    expect(canonical.parallel_tool_calls).toBe(false);
    expect(canonical.messages).toEqual([
      { role: 'developer', content: 'Use tools.' },
      { role: 'user', content: [{ type: 'text', text: 'Weather?' }, { type: 'image_url', image_url: { url: 'https://example.com/sky.png', detail: 'low' } }] },
      {
        role: 'assistant',
        content: 'Checking.',
        reasoning_details: anthropicDetails,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '18°C' },
      { role: 'tool', tool_call_id: 'call_2', content: 'chart:' },
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
      { role: 'user', content: 'Thanks' },
    ]);
  });

  it('replays OpenAI reasoning items that are not Switchyard’s as OpenAI reasoning details', () => {
    const canonical = responsesToCanonical(
      parse({
        input: [
          { role: 'user', content: 'x' },
          { type: 'reasoning', id: 'rs_9', summary: [{ type: 'summary_text', text: 'sum' }], encrypted_content: 'gAAAAABo' },
          { type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' },
        ],
      }),
    );
    expect(canonical.messages[1]).toEqual({
      role: 'assistant',
      content: null,
      reasoning_details: [
        { type: 'reasoning.summary', summary: 'sum', format: 'openai-responses-v1', id: 'rs_9', index: 0 },
        { type: 'reasoning.encrypted', data: 'gAAAAABo', format: 'openai-responses-v1', id: 'rs_9', index: 1 },
      ],
      tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }],
    });
  });

  it('refuses what needs stored state, built-in tools and unknown items with a 400 naming them', () => {
    expect(() => parse({ input: 'x', store: true })).toThrow(/store: store must be false: this Responses API is stateless/);
    expect(() => parse({ input: 'x', previous_response_id: 'resp_1' })).toThrow(/previous_response_id is not supported/);
    expect(() => parse({ input: [{ type: 'item_reference', id: 'msg_1' }] })).toThrow(/input\.0\.type: unsupported input item type "item_reference"/);
    expect(() => parse({ input: 'x', tools: [{ type: 'web_search_preview' }] })).toThrow(/tools\.0\.type: unsupported tool type "web_search_preview"; expected one of function/);
    expect(() => parse({ input: 'x', reasoning: { effort: 'high', max_tokens: 100 } })).toThrow(/not both/);
    expect(() => parse({ input: 'x', temperature: 3 })).toThrow(/temperature/);
    expect(() => parse({ input: [] })).toThrow(/at least one item/);
    expect(() => responsesToCanonical(parse({ input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }] }] }))).toThrow(BadRequestError);
    expect(() => responsesToCanonical(parse({ input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }] }] }))).toThrow(/input\.0\.content\.0: file_id is not supported/);
    expect(() => responsesToCanonical(parse({ input: [{ role: 'system', content: [{ type: 'input_image', image_url: 'https://x/y.png' }] }] }))).toThrow(/not allowed in system or developer messages/);
  });
});
