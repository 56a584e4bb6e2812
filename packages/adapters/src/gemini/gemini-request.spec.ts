import { readFileSync } from 'node:fs';
import { assembleResult, chatRequestSchema, toCanonicalChatRequest, type CanonicalChatRequest } from '@switchyard/llm-spec';
import { replaySse } from '../conformance/replay.js';
import { getAdapter } from '../registry.js';
import { AdapterRequestError } from '../shared/adapter-request-error.js';
import type { AdapterContext, BuildResult } from '../types.js';
import { convertGeminiUsage } from './convert-gemini-usage.js';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.js';
import fc from 'fast-check';

const richJson = JSON.parse(readFileSync(new URL('../conformance/__fixtures__/rich-request.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const fixture = (name: string) => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');

function richRequest(overrides: Record<string, unknown> = {}): CanonicalChatRequest {
  return toCanonicalChatRequest(chatRequestSchema.parse({ ...richJson, ...overrides }));
}

function request(fields: Record<string, unknown>): CanonicalChatRequest {
  return toCanonicalChatRequest(chatRequestSchema.parse({ model: 'google/gemini', messages: [{ role: 'user', content: 'Hi' }], ...fields }));
}

const context: AdapterContext = { baseUrl: 'https://generativelanguage.googleapis.com/v1beta', upstreamModelId: 'gemini-2.5-flash', apiKey: 'AIza-test' };
const adapter = getAdapter('gemini');

function build(canonical: CanonicalChatRequest, overrides: Partial<AdapterContext> = {}): BuildResult {
  return adapter.buildRequest(canonical, { ...context, ...overrides });
}

function body(result: BuildResult): Record<string, any> {
  return JSON.parse(result.request.body) as Record<string, any>;
}

describe('Gemini request bodies', () => {
  it('the rich request as generateContent takes it', () => {
    const result = build(richRequest());
    expect(result.request.url).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(result.request.headers).toEqual({ 'content-type': 'application/json', 'x-goog-api-key': 'AIza-test', accept: 'text/event-stream' });
    expect(result.droppedParameters).toEqual(['repetition_penalty', 'logit_bias', 'parallel_tool_calls']);
    expect(result.warnings).toEqual([]);
    expect(body(result)).toEqual({
      systemInstruction: { parts: [{ text: 'You are a terse weather assistant.' }, { text: 'Answer in French.' }] },
      contents: [
        {
          role: 'user',
          parts: [
            { text: 'ada: Where is this, and what is the weather there?' },
            { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
            { fileData: { mimeType: 'image/jpeg', fileUri: 'https://example.com/paris.jpg' } },
          ],
        },
        {
          role: 'model',
          parts: [
            { text: 'Let me check.' },
            // The Gemini signature tied to call_1 rides on that call; the Claude thinking is not sent.
            { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'sig-gemini-call' },
          ],
        },
        {
          role: 'user',
          parts: [{ functionResponse: { name: 'get_weather', response: { name: 'get_weather', content: '{"temperature_c":18}' } } }, { text: 'And tomorrow?' }],
        },
      ],
      tools: [
        {
          functionDeclarations: [
            {
              name: 'get_weather',
              description: 'Current weather for a city',
              parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
            },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: 'AUTO' } },
      generationConfig: {
        temperature: 0.3,
        topP: 0.9,
        topK: 40,
        maxOutputTokens: 2000,
        stopSequences: ['END'],
        seed: 7,
        presencePenalty: 0.2,
        frequencyPenalty: 0.1,
        responseMimeType: 'application/json',
        responseJsonSchema: { type: 'object', properties: { city: { type: 'string' }, temperature_c: { type: 'number' } }, required: ['city', 'temperature_c'] },
        thinkingConfig: { thinkingBudget: 1600, includeThoughts: true },
      },
    });
  });

  it('a non-streaming request goes to :generateContent; a "models/" prefix on the id is not doubled', () => {
    const result = build(request({}), { upstreamModelId: 'models/gemini-2.5-pro' });
    expect(result.request.url).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:generateContent');
    expect(result.request.headers).not.toHaveProperty('accept');
    expect(body(result)).toEqual({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] });
  });

  it.each([
    ['auto', { mode: 'AUTO' }],
    ['none', { mode: 'NONE' }],
    ['required', { mode: 'ANY' }],
    [{ type: 'function', function: { name: 'get_weather' } }, { mode: 'ANY', allowedFunctionNames: ['get_weather'] }],
  ])('tool_choice %j → functionCallingConfig %j', (choice, expected) => {
    expect(body(build(request({ tools: richJson.tools, tool_choice: choice }))).toolConfig).toEqual({ functionCallingConfig: expected });
  });

  it('json_object asks for application/json without a schema', () => {
    expect(body(build(request({ response_format: { type: 'json_object' } }))).generationConfig).toEqual({ responseMimeType: 'application/json' });
  });

  describe('reasoning → thinkingConfig', () => {
    it('Gemini 3 takes a thinking level', () => {
      expect(body(build(request({ reasoning: { effort: 'xhigh' } }), { upstreamModelId: 'gemini-3-pro-preview' })).generationConfig.thinkingConfig).toEqual({ thinkingLevel: 'high', includeThoughts: true });
      expect(body(build(request({ reasoning: { effort: 'low' } }), { upstreamModelId: 'gemini-3-flash' })).generationConfig.thinkingConfig).toEqual({ thinkingLevel: 'low', includeThoughts: true });
    });

    it('Gemini 2.5 takes a budget: a share of max_tokens, capped, or the explicit one', () => {
      expect(body(build(request({ max_tokens: 4000, reasoning: { effort: 'medium' } }))).generationConfig.thinkingConfig).toEqual({ thinkingBudget: 2000, includeThoughts: true });
      expect(body(build(request({ reasoning: { effort: 'max' } }))).generationConfig.thinkingConfig).toEqual({ thinkingBudget: 23347, includeThoughts: true });
      expect(body(build(request({ reasoning: { max_tokens: 512, exclude: true } }))).generationConfig.thinkingConfig).toEqual({ thinkingBudget: 512, includeThoughts: false });
    });

    it('turns thinking off on 2.5 with a zero budget; Gemini 3 gets its lowest level and a warning', () => {
      expect(body(build(request({ reasoning: { enabled: false } }))).generationConfig.thinkingConfig).toEqual({ thinkingBudget: 0 });
      const result = build(request({ reasoning: { effort: 'none' } }), { upstreamModelId: 'gemini-3-pro-preview' });
      expect(body(result).generationConfig.thinkingConfig).toEqual({ thinkingLevel: 'low' });
      expect(result.warnings).toEqual(['Gemini 3 cannot turn thinking off: the lowest level is used']);
    });
  });

  it('refuses a tool result whose call it cannot find (Gemini needs the function name)', () => {
    const canonical = request({ messages: [{ role: 'user', content: 'x' }, { role: 'tool', tool_call_id: 'call_unknown', content: 'r' }] });
    expect(() => build(canonical)).toThrow(AdapterRequestError);
    expect(() => build(canonical)).toThrow(/call_unknown/);
  });

  it('puts a signature without a call id on the last text part', () => {
    const wire = body(
      build(
        request({
          messages: [
            { role: 'user', content: 'x' },
            { role: 'assistant', content: 'answer', reasoning_details: [{ type: 'reasoning.encrypted', data: 'sig-text', format: 'google-gemini-v1', index: 0 }] },
            { role: 'user', content: 'y' },
          ],
        }),
      ),
    );
    expect(wire.contents[1]).toEqual({ role: 'model', parts: [{ text: 'answer', thoughtSignature: 'sig-text' }] });
  });

  it('sends audio and PDFs inline', () => {
    const wire = body(
      build(
        request({
          messages: [
            {
              role: 'user',
              content: [
                { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
                { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=' } },
                { type: 'file', file: { file_data: 'https://example.com/report.pdf' } },
              ],
            },
          ],
        }),
      ),
    );
    expect(wire.contents[0].parts).toEqual([
      { inlineData: { mimeType: 'audio/wav', data: 'UklGRg==' } },
      { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } },
      { fileData: { mimeType: 'application/pdf', fileUri: 'https://example.com/report.pdf' } },
    ]);
  });
});

describe('Gemini multi-turn replay', () => {
  it('a streamed function call goes back with its signature, and its result is named after it', () => {
    const result = assembleResult(replaySse(adapter, fixture('gemini-tool-call.sse.txt')));
    const [call] = result.toolCalls;
    const next = toCanonicalChatRequest(
      chatRequestSchema.parse({
        model: 'google/gemini-3-pro',
        messages: [
          { role: 'user', content: 'Weather in SF?' },
          { role: 'assistant', content: null, tool_calls: result.toolCalls, reasoning_details: result.reasoningDetails },
          { role: 'tool', tool_call_id: call.id, content: '{"temp_f":61}' },
        ],
      }),
    );
    const wire = body(build(next, { upstreamModelId: 'gemini-3-pro-preview' }));
    expect(wire.contents.slice(1)).toEqual([
      {
        role: 'model',
        parts: [
          {
            functionCall: { name: 'weather', args: { location: 'San Francisco' } },
            thoughtSignature:
              'EqUCCqICAb4+9vsh8Pd5taZVoPzSvjWWwzBrvhEQWBLCGa7IdY8FBMm7Z6dCKFU3Ft0la15gF7RaHe1NlPRygQec0bFwPDfMwGcUOMNiJiNIKxusCs4ejCZRuouNYQ4etEIt7CujEUHiILLfZXSJZYhs4UCrD2bLqPq0sE0lWgYJnzHkkKUOnMsA2hKffAhtF4DWn5INYj8pPssvch',
          },
        ],
      },
      { role: 'user', parts: [{ functionResponse: { name: 'weather', response: { name: 'weather', content: '{"temp_f":61}' } } }] },
    ]);
  });
});

describe('Gemini usage and finish reasons', () => {
  it('counts thoughts as completion tokens, for any counts', () => {
    const count = fc.option(fc.nat(1_000_000), { nil: undefined });
    fc.assert(
      fc.property(count, count, count, count, (prompt, candidates, thoughts, cached) => {
        const usage = convertGeminiUsage({ promptTokenCount: prompt, candidatesTokenCount: candidates, thoughtsTokenCount: thoughts, cachedContentTokenCount: cached });
        expect(usage.completionTokens).toBe((candidates ?? 0) + (thoughts ?? 0));
        expect(usage.reasoningTokens).toBe(thoughts ?? 0);
        expect(usage.cachedTokens).toBe(Math.min(cached ?? 0, prompt ?? 0));
        expect(usage.totalTokens).toBe(usage.promptTokens + usage.completionTokens);
      }),
    );
  });

  it.each([
    ['STOP', false, 'stop'],
    ['STOP', true, 'tool_calls'],
    ['MAX_TOKENS', false, 'length'],
    ['SAFETY', false, 'content_filter'],
    ['RECITATION', false, 'content_filter'],
    ['BLOCKLIST', false, 'content_filter'],
    ['PROHIBITED_CONTENT', false, 'content_filter'],
    ['MALFORMED_FUNCTION_CALL', false, 'error'],
    ['OTHER', false, 'stop'],
  ] as const)('finishReason %s (tool calls: %s) → %s', (native, hasToolCalls, expected) => {
    expect(mapGeminiFinishReason(native, hasToolCalls)).toBe(expected);
  });
});
