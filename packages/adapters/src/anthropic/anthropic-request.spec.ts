import { readFileSync } from 'node:fs';
import { chatRequestSchema, toCanonicalChatRequest, type CanonicalChatRequest } from '@switchyard/llm-spec';
import { getAdapter } from '../registry.js';
import { AdapterRequestError } from '../shared/adapter-request-error.js';
import type { AdapterContext, BuildResult } from '../types.js';

const richJson = JSON.parse(readFileSync(new URL('../conformance/__fixtures__/rich-request.json', import.meta.url), 'utf8')) as Record<string, unknown>;

function richRequest(overrides: Record<string, unknown> = {}): CanonicalChatRequest {
  return toCanonicalChatRequest(chatRequestSchema.parse({ ...richJson, ...overrides }));
}

function request(fields: Record<string, unknown>): CanonicalChatRequest {
  return toCanonicalChatRequest(chatRequestSchema.parse({ model: 'anthropic/claude', messages: [{ role: 'user', content: 'Hi' }], ...fields }));
}

const context: AdapterContext = { baseUrl: 'https://api.anthropic.com/v1', upstreamModelId: 'claude-sonnet-4-5', apiKey: 'sk-ant-test' };
const adapter = getAdapter('anthropic');

function build(canonical: CanonicalChatRequest, overrides: Partial<AdapterContext> = {}): BuildResult {
  return adapter.buildRequest(canonical, { ...context, ...overrides });
}

function body(result: BuildResult): Record<string, any> {
  return JSON.parse(result.request.body) as Record<string, any>;
}

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('Anthropic request bodies', () => {
  it('the rich request as the Messages API takes it', () => {
    const result = build(richRequest());
    expect(result.request.url).toBe('https://api.anthropic.com/v1/messages');
    expect(result.request.headers).toEqual({
      'content-type': 'application/json',
      'x-api-key': 'sk-ant-test',
      'anthropic-version': '2023-06-01',
      accept: 'text/event-stream',
    });
    expect(result.droppedParameters).toEqual(['frequency_penalty', 'presence_penalty', 'repetition_penalty', 'logit_bias', 'seed']);
    expect(result.warnings).toEqual([
      'temperature is not sent with extended thinking (Anthropic allows only 1)',
      'top_k is not sent with extended thinking',
      'top_p below 0.95 is not sent with extended thinking',
      'response_format is served by a tool, but extended thinking cannot force a tool: tool_choice is auto',
    ]);
    expect(body(result)).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 2000,
      system: [
        { type: 'text', text: 'You are a terse weather assistant.', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'Answer in French.' },
      ],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'ada: Where is this, and what is the weather there?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/paris.jpg' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            // Only Anthropic's own reasoning details are replayed (the Gemini signature is not), signature intact.
            { type: 'thinking', thinking: 'Paris; need the weather.', signature: 'sig-claude-1' },
            { type: 'text', text: 'Let me check.' },
            { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
          ],
        },
        {
          // The tool result and the next user message share one user turn, tool_result first.
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_1', content: '{"temperature_c":18}' },
            { type: 'text', text: 'And tomorrow?', cache_control: { type: 'ephemeral', ttl: '1h' } },
          ],
        },
      ],
      tools: [
        {
          name: 'get_weather',
          description: 'Current weather for a city',
          input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
          cache_control: { type: 'ephemeral' },
        },
        {
          name: 'json_schema__weather_report',
          description: 'Give the final answer by calling this tool: its input is the JSON response.',
          input_schema: { type: 'object', properties: { city: { type: 'string' }, temperature_c: { type: 'number' } }, required: ['city', 'temperature_c'] },
        },
      ],
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
      thinking: { type: 'enabled', budget_tokens: 1600 },
      stop_sequences: ['END'],
      stream: true,
    });
  });

  it('forces the JSON response tool when there is no thinking and no other tool', () => {
    const wire = body(build(request({ response_format: richJson.response_format, temperature: 0.2 })));
    expect(wire.tools.map((tool: { name: string }) => tool.name)).toEqual(['json_schema__weather_report']);
    expect(wire.tool_choice).toEqual({ type: 'tool', name: 'json_schema__weather_report' });
    expect(wire.temperature).toBe(0.2);
  });

  it('serves json_object with an open object schema', () => {
    const wire = body(build(request({ response_format: { type: 'json_object' } })));
    expect(wire.tools).toEqual([{ name: 'json_schema__json_object', description: expect.any(String), input_schema: { type: 'object' } }]);
    expect(wire.tool_choice).toEqual({ type: 'tool', name: 'json_schema__json_object' });
  });

  it('with user tools and a JSON response, the model must call some tool', () => {
    const result = build(request({ tools: richJson.tools, response_format: richJson.response_format }));
    expect(body(result).tool_choice).toEqual({ type: 'any' });
    expect(result.warnings).toContain('response_format with tools: the model must call a tool (yours, or the JSON response tool)');
  });

  it('defaults max_tokens to 4096, which Anthropic requires', () => {
    expect(body(build(request({}))).max_tokens).toBe(4096);
  });

  it('raises max_tokens when the minimum thinking budget would not fit, and says so', () => {
    const result = build(request({ max_tokens: 1000, reasoning: { effort: 'low' } }));
    expect(body(result)).toMatchObject({ max_tokens: 2024, thinking: { type: 'enabled', budget_tokens: 1024 } });
    expect(result.warnings).toEqual(['max_tokens raised to 2024: Anthropic counts the thinking budget (1024) inside max_tokens']);
  });

  it('turns an effort into a share of max_tokens and takes an explicit budget as is', () => {
    expect(body(build(request({ max_tokens: 10_000, reasoning: { effort: 'medium' } }))).thinking).toEqual({ type: 'enabled', budget_tokens: 5000 });
    expect(body(build(request({ max_tokens: 10_000, reasoning: { enabled: true } }))).thinking).toEqual({ type: 'enabled', budget_tokens: 5000 });
    expect(body(build(request({ max_tokens: 10_000, reasoning: { max_tokens: 3000 } }))).thinking).toEqual({ type: 'enabled', budget_tokens: 3000 });
    expect(body(build(request({ reasoning: { effort: 'none' } })))).not.toHaveProperty('thinking');
  });

  it('sends temperature rather than both temperature and top_p; keeps top_k without thinking', () => {
    const result = build(request({ temperature: 0.5, top_p: 0.8, top_k: 20 }));
    expect(body(result)).toMatchObject({ temperature: 0.5, top_k: 20 });
    expect(body(result)).not.toHaveProperty('top_p');
    expect(result.warnings).toEqual(['top_p is not sent with temperature: current Claude models take only one of them']);
    expect(body(build(request({ top_p: 0.8 }))).top_p).toBe(0.8);
  });

  it.each([
    ['auto', { type: 'auto' }],
    ['required', { type: 'any' }],
    ['none', { type: 'none' }],
    [{ type: 'function', function: { name: 'get_weather' } }, { type: 'tool', name: 'get_weather' }],
  ])('tool_choice %j → %j', (choice, expected) => {
    expect(body(build(request({ tools: richJson.tools, tool_choice: choice }))).tool_choice).toEqual(expected);
  });

  it('parallel_tool_calls false alone disables parallel tool use under auto', () => {
    expect(body(build(request({ tools: richJson.tools, parallel_tool_calls: false }))).tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    expect(body(build(request({ parallel_tool_calls: false })))).not.toHaveProperty('tool_choice');
  });

  it('keeps at most four cache breakpoints: the last four, which cover the longest prefixes', () => {
    const cached = { type: 'ephemeral' };
    const messages = [1, 2, 3, 4, 5].flatMap((turn) => [
      { role: 'user', content: [{ type: 'text', text: `question ${turn}`, cache_control: cached }] },
      { role: 'assistant', content: `answer ${turn}` },
    ]);
    messages.push({ role: 'user', content: [{ type: 'text', text: 'last', cache_control: cached }] });
    const result = build(request({ messages }));
    const marked = body(result)
      .messages.flatMap((message: { content: Array<Record<string, unknown>> }) => message.content)
      .filter((block: Record<string, unknown>) => block.cache_control)
      .map((block: Record<string, unknown>) => block.text);
    expect(marked).toEqual(['question 3', 'question 4', 'question 5', 'last']);
    expect(result.warnings).toEqual(['6 cache_control breakpoints: Anthropic takes 4, the 2 earliest were dropped']);
  });

  it('top-level cache_control puts the breakpoint on the last cacheable block', () => {
    const wire = body(
      build(
        request({
          cache_control: { type: 'ephemeral', ttl: '1h' },
          messages: [
            { role: 'system', content: 'Long instructions.' },
            { role: 'user', content: 'What is the weather?' },
            { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
            { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
          ],
        }),
      ),
    );
    expect(wire.messages.at(-1)).toEqual({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'call_1', content: 'sunny', cache_control: { type: 'ephemeral', ttl: '1h' } }],
    });
    expect(wire.system).toEqual([{ type: 'text', text: 'Long instructions.' }]);
  });

  it('groups the results of parallel tool calls in one user turn and merges consecutive user messages', () => {
    const wire = body(
      build(
        request({
          messages: [
            { role: 'user', content: 'Paris?' },
            { role: 'user', content: 'And Rome?' },
            {
              role: 'assistant',
              content: '',
              tool_calls: [
                { id: 'call_p', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
                { id: 'call_r', type: 'function', function: { name: 'get_weather', arguments: '' } },
              ],
            },
            { role: 'tool', tool_call_id: 'call_p', content: 'sunny' },
            { role: 'tool', tool_call_id: 'call_r', content: [{ type: 'text', text: 'rain' }] },
          ],
        }),
      ),
    );
    expect(wire.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Paris?' }, { type: 'text', text: 'And Rome?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'call_p', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'call_r', name: 'get_weather', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_p', content: 'sunny' },
          { type: 'tool_result', tool_use_id: 'call_r', content: 'rain' },
        ],
      },
    ]);
  });

  it('thinks on a tool-result turn only when the answered tool call replays its thinking; otherwise turns thinking off, and says so', () => {
    const loop = (reasoningDetails: unknown[] | undefined) =>
      request({
        reasoning: { effort: 'high' },
        max_tokens: 2000,
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }], reasoning_details: reasoningDetails },
          { role: 'tool', tool_call_id: 'toolu_1', content: 'sunny' },
        ],
      });
    const replayed = build(loop([{ type: 'reasoning.text', text: 'Check the weather.', signature: 'sig-1', format: 'anthropic-claude-v1', index: 0 }]));
    expect(body(replayed).thinking).toEqual({ type: 'enabled', budget_tokens: 1600 });
    expect(body(replayed).messages[1].content[0]).toEqual({ type: 'thinking', thinking: 'Check the weather.', signature: 'sig-1' });

    // Reasoning from another provider (not replayable here), or none at all: the turn continues without thinking.
    for (const details of [[{ type: 'reasoning.text', text: 'Other provider.', format: 'openai-responses-v1', index: 0 }], undefined]) {
      const result = build(loop(details));
      expect(body(result).thinking).toBeUndefined();
      expect(body(result).max_tokens).toBe(2000);
      expect(result.warnings.join('\n')).toContain('extended thinking is off for this request');
    }

    // A new user turn after the tool loop may think again.
    const next = loop(undefined);
    next.messages.push({ role: 'assistant', content: 'Sunny in Paris.' }, { role: 'user', content: 'And tomorrow?' });
    expect(body(build(next)).thinking).toEqual({ type: 'enabled', budget_tokens: 1600 });
  });

  it('replays redacted thinking, and trims the trailing whitespace of a prefill', () => {
    const wire = body(
      build(
        request({
          messages: [
            { role: 'user', content: 'Write JSON.' },
            { role: 'assistant', content: '{"a": ', reasoning_details: [{ type: 'reasoning.encrypted', data: 'opaque', format: 'anthropic-claude-v1', index: 0 }] },
          ],
        }),
      ),
    );
    expect(wire.messages[1]).toEqual({ role: 'assistant', content: [{ type: 'redacted_thinking', data: 'opaque' }, { type: 'text', text: '{"a":' }] });
  });

  it('sends PDFs as document blocks', () => {
    const wire = body(build(request({ messages: [{ role: 'user', content: [{ type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } }] }] })));
    expect(wire.messages[0].content).toEqual([{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } }]);
  });

  it.each([
    ['an unsupported image type', { type: 'image_url', image_url: { url: 'data:image/bmp;base64,Qk0=' } }, 'unsupported_image_format', 'messages[0].content[0].image_url.url'],
    ['a URL that is neither http nor data', { type: 'image_url', image_url: { url: 'ftp://example.com/a.png' } }, 'invalid_image', 'messages[0].content[0].image_url.url'],
    ['audio', { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }, 'invalid_request', 'messages[0].content[0]'],
  ])('refuses %s with a typed 400', (_what, part, errorType, param) => {
    const error = thrown(() => build(request({ messages: [{ role: 'user', content: [part] }] })));
    expect(AdapterRequestError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ status: 400, errorType, param });
    expect((error as AdapterRequestError).toUpstreamError()).toMatchObject({ status: 400, errorType, retryable: false });
  });

  it('refuses tool call arguments that are not a JSON object', () => {
    const error = thrown(() =>
      build(request({ messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '[1,2]' } }] }] })),
    );
    expect(error).toMatchObject({ status: 400, errorType: 'invalid_request', param: 'messages[1].tool_calls[0].function.arguments' });
  });

  it('honours the catalog base URL and an anthropic-version override', () => {
    const result = build(request({}), { baseUrl: 'http://127.0.0.1:8090/anthropic/v1/', apiVersion: '2024-01-01' });
    expect(result.request.url).toBe('http://127.0.0.1:8090/anthropic/v1/messages');
    expect(result.request.headers['anthropic-version']).toBe('2024-01-01');
    expect(body(result)).not.toHaveProperty('stream');
  });
});
