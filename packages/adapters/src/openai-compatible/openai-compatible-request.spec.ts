import { readFileSync } from 'node:fs';
import { chatRequestSchema, requestedParameters, toCanonicalChatRequest, type CanonicalChatRequest } from '@switchyard/llm-spec';
import { getAdapter } from '../registry.js';
import { AdapterRequestError } from '../shared/adapter-request-error.js';
import type { AdapterContext, BuildResult } from '../types.js';
import { defineOpenAiCompatiblePreset, openAiBaseParameters, openAiCompatiblePresets } from './openai-compatible-presets.js';

const richJson = JSON.parse(readFileSync(new URL('../conformance/__fixtures__/rich-request.json', import.meta.url), 'utf8')) as Record<string, unknown>;

function richRequest(overrides: Record<string, unknown> = {}): CanonicalChatRequest {
  return toCanonicalChatRequest(chatRequestSchema.parse({ ...richJson, ...overrides }));
}

function request(fields: Record<string, unknown>): CanonicalChatRequest {
  return toCanonicalChatRequest(chatRequestSchema.parse({ model: 'acme/model', messages: [{ role: 'user', content: 'Hi' }], ...fields }));
}

const context: AdapterContext = { baseUrl: '', upstreamModelId: 'upstream-model', apiKey: 'sk-test' };

function build(preset: string, canonical: CanonicalChatRequest, overrides: Partial<AdapterContext> = {}): BuildResult {
  return getAdapter('openai', preset).buildRequest(canonical, { ...context, ...overrides });
}

function body(result: BuildResult): Record<string, any> {
  return JSON.parse(result.request.body) as Record<string, any>;
}

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
    strict: true,
  },
};

const weatherReport = {
  type: 'json_schema',
  json_schema: {
    name: 'weather_report',
    schema: { type: 'object', properties: { city: { type: 'string' }, temperature_c: { type: 'number' } }, required: ['city', 'temperature_c'] },
    strict: true,
  },
};

describe('OpenAI-compatible request bodies', () => {
  it('openai: the rich request as OpenAI takes it (top_k and repetition_penalty dropped)', () => {
    const result = build('openai', richRequest(), { upstreamModelId: 'gpt-4o' });
    expect(result.request.url).toBe('https://api.openai.com/v1/chat/completions');
    expect(result.request.headers).toEqual({ 'content-type': 'application/json', authorization: 'Bearer sk-test', accept: 'text/event-stream' });
    expect(result.request.stream).toBe(true);
    expect(result.droppedParameters).toEqual(['top_k', 'repetition_penalty']);
    expect(result.warnings).toEqual([]);
    expect(body(result)).toEqual({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'You are a terse weather assistant.' },
        { role: 'developer', content: 'Answer in French.' },
        {
          role: 'user',
          name: 'ada',
          content: [
            { type: 'text', text: 'Where is this, and what is the weather there?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'image_url', image_url: { url: 'https://example.com/paris.jpg', detail: 'high' } },
          ],
        },
        { role: 'assistant', content: 'Let me check.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temperature_c":18}' },
        { role: 'user', content: 'And tomorrow?' },
      ],
      temperature: 0.3,
      top_p: 0.9,
      frequency_penalty: 0.1,
      presence_penalty: 0.2,
      seed: 7,
      logit_bias: { '50256': -100 },
      stop: ['END'],
      max_completion_tokens: 2000,
      tools: [weatherTool],
      tool_choice: 'auto',
      parallel_tool_calls: false,
      response_format: weatherReport,
      reasoning_effort: 'high',
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('deepseek: string content, system for developer, names prefixed, json_schema downgraded, unsupported dropped', () => {
    const result = build('deepseek', richRequest(), { upstreamModelId: 'deepseek-chat' });
    const wire = body(result);
    expect(result.request.url).toBe('https://api.deepseek.com/v1/chat/completions');
    expect(wire.messages.slice(0, 3)).toEqual([
      { role: 'system', content: 'You are a terse weather assistant.' },
      { role: 'system', content: 'Answer in French.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'ada: Where is this, and what is the weather there?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          { type: 'image_url', image_url: { url: 'https://example.com/paris.jpg', detail: 'high' } },
        ],
      },
    ]);
    expect(wire.messages[3]).not.toHaveProperty('reasoning_details');
    expect(wire.response_format).toEqual({ type: 'json_object' });
    expect(wire.tools[0].function).not.toHaveProperty('strict');
    expect(wire).toMatchObject({ max_tokens: 2000, stream_options: { include_usage: true } });
    for (const key of ['seed', 'parallel_tool_calls', 'reasoning_effort', 'logit_bias', 'top_k', 'repetition_penalty']) expect(wire).not.toHaveProperty(key);
    expect(result.droppedParameters).toEqual(['top_k', 'repetition_penalty', 'logit_bias', 'seed', 'parallel_tool_calls', 'reasoning', 'structured_outputs']);
    expect(result.warnings).toEqual(['DeepSeek has no structured outputs: response_format json_schema downgraded to json_object']);
  });

  it('mistral: seed travels as random_seed and no stream_options is sent', () => {
    const wire = body(build('mistral', richRequest()));
    expect(wire.random_seed).toBe(7);
    expect(wire).not.toHaveProperty('seed');
    expect(wire).not.toHaveProperty('stream_options');
    expect(wire.stream).toBe(true);
  });

  it('openrouter upstream: the reasoning object, provider preferences, cache_control and reasoning replay pass through', () => {
    const result = build('openrouter', richRequest(), { upstreamModelId: 'anthropic/claude-sonnet-4.5' });
    const wire = body(result);
    expect(result.request.url).toBe('https://openrouter.ai/api/v1/chat/completions');
    expect(result.droppedParameters).toEqual([]);
    expect(wire.reasoning).toEqual({ effort: 'high' });
    expect(wire).not.toHaveProperty('reasoning_effort');
    expect(wire.provider).toEqual({ order: ['anthropic'], allow_fallbacks: false });
    expect(wire).toMatchObject({ top_k: 40, repetition_penalty: 1.1, max_tokens: 2000 });
    expect(wire).not.toHaveProperty('stream_options');
    expect(wire.messages[0]).toEqual({ role: 'system', content: [{ type: 'text', text: 'You are a terse weather assistant.', cache_control: { type: 'ephemeral' } }] });
    expect(wire.messages[5]).toEqual({ role: 'user', content: [{ type: 'text', text: 'And tomorrow?', cache_control: { type: 'ephemeral', ttl: '1h' } }] });
    expect(wire.tools[0].cache_control).toEqual({ type: 'ephemeral' });
    expect(wire.messages[3].reasoning).toBe('Paris; need the weather.');
    expect(wire.messages[3].reasoning_details).toEqual((richJson.messages as Array<Record<string, unknown>>)[3].reasoning_details);
  });

  it('simulator: the full OpenAI set with max_tokens, and reasoning replayed', () => {
    const result = build('simulator', richRequest(), { baseUrl: 'http://127.0.0.1:8090/openai/v1/' });
    const wire = body(result);
    expect(result.request.url).toBe('http://127.0.0.1:8090/openai/v1/chat/completions');
    expect(wire.max_tokens).toBe(2000);
    expect(wire).not.toHaveProperty('max_completion_tokens');
    expect(wire.reasoning_effort).toBe('high');
    expect(wire.messages[3].reasoning_details).toHaveLength(2);
    expect(result.droppedParameters).toEqual(['top_k', 'repetition_penalty']);
  });

  it('a non-streaming request sends no stream fields and no accept header', () => {
    const result = build('openai', request({ temperature: 1 }));
    expect(result.request.stream).toBe(false);
    expect(result.request.headers).not.toHaveProperty('accept');
    expect(body(result)).toEqual({ model: 'upstream-model', messages: [{ role: 'user', content: 'Hi' }], temperature: 1 });
  });

  it('does not forward tool_choice or parallel_tool_calls without tools', () => {
    const result = build('openai', request({ tool_choice: 'required', parallel_tool_calls: false }));
    expect(body(result)).not.toHaveProperty('tool_choice');
    expect(body(result)).not.toHaveProperty('parallel_tool_calls');
    expect(result.warnings).toEqual(['tool_choice without tools was not forwarded']);
  });

  it('sends json_object as asked, and never a text response_format', () => {
    expect(body(build('groq', request({ response_format: { type: 'json_object' } }))).response_format).toEqual({ type: 'json_object' });
    expect(body(build('groq', request({ response_format: { type: 'text' } })))).not.toHaveProperty('response_format');
  });

  describe('reasoning → reasoning_effort', () => {
    it.each([
      ['openai', { effort: 'max' }, 'xhigh'],
      ['openai', { effort: 'minimal' }, 'minimal'],
      ['openai', { enabled: true }, 'medium'],
      ['openai', { effort: 'none' }, 'none'],
      ['xai', { effort: 'medium' }, 'high'],
      ['xai', { effort: 'minimal' }, 'low'],
      ['groq', { effort: 'xhigh' }, 'high'],
    ])('%s: %j → %s', (preset, reasoning, effort) => {
      expect(body(build(preset, request({ reasoning }))).reasoning_effort).toBe(effort);
    });

    it('maps a token budget back to an effort by its share of max_tokens', () => {
      expect(body(build('openai', request({ max_tokens: 1000, reasoning: { max_tokens: 800 } }))).reasoning_effort).toBe('high');
      expect(body(build('openai', request({ max_tokens: 1000, reasoning: { max_tokens: 180 } }))).reasoning_effort).toBe('low');
    });

    it('says so when the host cannot turn reasoning off, and sends nothing', () => {
      const result = build('groq', request({ reasoning: { enabled: false } }));
      expect(body(result)).not.toHaveProperty('reasoning_effort');
      expect(result.warnings).toEqual(['Groq cannot turn reasoning off: reasoning_effort not sent']);
    });

    it('only exclude: true leaves the model default alone', () => {
      expect(body(build('openai', request({ reasoning: { exclude: true } })))).not.toHaveProperty('reasoning_effort');
    });
  });

  it('refuses file and audio parts for hosts that do not take them (400, with the field)', () => {
    const withFile = request({ messages: [{ role: 'user', content: [{ type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } }] }] });
    expect(() => build('groq', withFile)).toThrow(AdapterRequestError);
    try {
      build('groq', withFile);
    } catch (error) {
      expect(AdapterRequestError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ status: 400, errorType: 'invalid_request', param: 'messages[0].content[0]' });
    }
    expect(body(build('openai', withFile)).messages[0].content).toEqual([{ type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } }]);
  });

  describe.each(Object.keys(openAiCompatiblePresets))('preset %s', (name) => {
    const preset = openAiCompatiblePresets[name];

    it('posts to its chat/completions with bearer auth', () => {
      const result = build(name, request({}));
      expect(result.request.url).toBe(`${preset.defaultBaseUrl}/chat/completions`);
      expect(result.request.headers.authorization).toBe('Bearer sk-test');
      expect(getAdapter('openai', name).id).toBe(`openai-compatible:${name}`);
    });

    it('forwards exactly the supported parameters and lists the rest as dropped', () => {
      const canonical = richRequest({ messages: [{ role: 'user', content: 'Hi' }], provider: undefined });
      const result = build(name, canonical);
      const wire = body(result);
      const wireKey = (parameter: string) => {
        if (parameter === 'reasoning') return preset.reasoning.style === 'object' ? 'reasoning' : 'reasoning_effort';
        if (parameter === 'structured_outputs') return 'response_format';
        return preset.renames[parameter] ?? parameter;
      };
      for (const parameter of requestedParameters(canonical)) {
        if (preset.supportedParameters.includes(parameter)) {
          expect(result.droppedParameters).not.toContain(parameter);
          expect(wire).toHaveProperty(wireKey(parameter));
        } else {
          expect(result.droppedParameters).toContain(parameter);
          if (parameter !== 'structured_outputs') expect(wire).not.toHaveProperty(wireKey(parameter));
        }
      }
      if (!preset.supportedParameters.includes('structured_outputs') && wire.response_format) expect(wire.response_format).toEqual({ type: 'json_object' });
    });
  });

  it('presets are the base parameters minus exclusions plus extras', () => {
    expect(openAiCompatiblePresets.groq.supportedParameters).toEqual(openAiBaseParameters.filter((parameter) => !['logit_bias', 'logprobs', 'top_logprobs'].includes(parameter)));
    expect(openAiCompatiblePresets.together.supportedParameters).toEqual([...openAiBaseParameters.filter((parameter) => parameter !== 'parallel_tool_calls'), 'top_k', 'repetition_penalty', 'min_p']);
    expect(() => defineOpenAiCompatiblePreset('broken', { displayName: 'Broken', defaultBaseUrl: 'https://x', reasoning: { style: 'none' } })).toThrow(/reasoning/);
  });
});
