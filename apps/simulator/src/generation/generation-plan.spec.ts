import { baseKnobs, resolveKnobs } from '../knobs/knobs.schema.js';
import { contentText, defaultIntent, planChat, PromptCache, toolMarkers } from './generation-plan.js';

const knobs = baseKnobs({ completionTokens: 24, reasoningTokens: 16 });
const weatherTool = { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1, maximum: 7 } }, required: ['city', 'days'] } };

describe('generation plan', () => {
  it('answers DEFAULT_COMPLETION_TOKENS words, the same for the same request', () => {
    const intent = defaultIntent('m', { lastUserText: 'hello', promptTokens: 10 });
    const plan = planChat(intent, knobs);
    expect(plan.content.type).toBe('text');
    expect(contentText(plan).split(' ')).toHaveLength(24);
    expect(plan.finish).toBe('stop');
    expect(plan.usage).toEqual({ promptTokens: 10, cachedTokens: 0, cacheWriteTokens: 0, completionTokens: 24, reasoningTokens: 0 });
    expect(contentText(planChat(intent, knobs))).toBe(contentText(plan));
  });

  it('cuts at max tokens with finish "length", and the completionTokens knob overrides the default', () => {
    const cut = planChat(defaultIntent('m', { lastUserText: 'hello', maxTokens: 5 }), knobs);
    expect(cut.usage.completionTokens).toBe(5);
    expect(cut.finish).toBe('length');
    const exact = planChat(defaultIntent('m', { lastUserText: 'hello', maxTokens: 24 }), knobs);
    expect(exact.finish).toBe('stop');
    const overridden = planChat(defaultIntent('m', { lastUserText: 'hello' }), resolveKnobs(knobs, { completionTokens: 3 }));
    expect(overridden.usage.completionTokens).toBe(3);
  });

  it('reasons when asked (or by knob), spending max tokens first, with a signature', () => {
    const plan = planChat(defaultIntent('m', { lastUserText: 'q', reasoning: 'requested' }), knobs);
    expect(plan.reasoning?.words).toHaveLength(16);
    expect(plan.reasoning?.signature).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(plan.usage).toMatchObject({ completionTokens: 40, reasoningTokens: 16 });

    const budgeted = planChat(defaultIntent('m', { lastUserText: 'q', reasoning: 'requested', reasoningBudget: 4, maxTokens: 10 }), knobs);
    expect(budgeted.usage).toMatchObject({ reasoningTokens: 4, completionTokens: 10 });
    expect(budgeted.finish).toBe('length');

    expect(planChat(defaultIntent('m', { lastUserText: 'q' }), resolveKnobs(knobs, { reasoning: true })).usage.reasoningTokens).toBe(16);
    expect(planChat(defaultIntent('m', { lastUserText: 'q', reasoning: 'disabled' }), resolveKnobs(knobs, { reasoning: true })).reasoning).toBeUndefined();
    expect(planChat(defaultIntent('m', { lastUserText: 'q', reasoning: 'requested' }), resolveKnobs(knobs, { reasoning: false })).reasoning).toBeUndefined();
  });

  it('calls the tool named by a call:<tool> marker with schema-valid arguments, and answers text after a tool result', () => {
    const intent = defaultIntent('m', { lastUserText: 'please call:get_weather now', tools: [weatherTool, { name: 'other', parameters: undefined }] });
    const plan = planChat(intent, knobs);
    expect(plan.finish).toBe('tool_calls');
    if (plan.content.type !== 'tool_calls') throw new Error('expected tool calls');
    expect(plan.content.calls).toHaveLength(1);
    const call = plan.content.calls[0];
    expect(call.name).toBe('get_weather');
    const args = JSON.parse(call.arguments);
    expect(typeof args.city).toBe('string');
    expect(args.days).toBeGreaterThanOrEqual(1);
    expect(call.tokens).toBe(Math.ceil(call.arguments.length / 4));
    expect(plan.usage.completionTokens).toBe(call.tokens);

    expect(planChat({ ...intent, lastIsToolResult: true }, knobs).content.type).toBe('text');
    expect(planChat({ ...intent, toolChoice: { type: 'none' } }, knobs).content.type).toBe('text');
    expect(planChat({ ...intent, lastUserText: 'no marker' }, knobs).content.type).toBe('text');
  });

  it('honours tool_choice required / named and parallel markers', () => {
    const tools = [weatherTool, { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } }];
    const required = planChat(defaultIntent('m', { lastUserText: 'x', tools, toolChoice: { type: 'required' } }), knobs);
    expect(required.content.type === 'tool_calls' && required.content.calls.map((call) => call.name)).toEqual(['get_weather']);
    const named = planChat(defaultIntent('m', { lastUserText: 'call:get_weather', tools, toolChoice: { type: 'tool', name: 'lookup' } }), knobs);
    expect(named.content.type === 'tool_calls' && named.content.calls.map((call) => call.name)).toEqual(['lookup']);
    const parallel = planChat(defaultIntent('m', { lastUserText: 'call:lookup and call:get_weather.', tools }), knobs);
    expect(parallel.content.type === 'tool_calls' && parallel.content.calls.map((call) => call.name)).toEqual(['lookup', 'get_weather']);
    const serial = planChat(defaultIntent('m', { lastUserText: 'call:lookup and call:get_weather', tools, parallelToolCalls: false }), knobs);
    expect(serial.content.type === 'tool_calls' && serial.content.calls).toHaveLength(1);
    expect(toolMarkers('call:a, call:b. call:a')).toEqual(['a', 'b']);
  });

  it('answers JSON valid against a json_schema, and a JSON object for json_object', () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' }, confidence: { type: 'number', minimum: 0, maximum: 1 } }, required: ['answer', 'confidence'], additionalProperties: false };
    const plan = planChat(defaultIntent('m', { lastUserText: 'x', output: { type: 'json_schema', schema } }), knobs);
    if (plan.content.type !== 'json') throw new Error('expected json');
    const value = JSON.parse(plan.content.text);
    expect(Object.keys(value).sort()).toEqual(['answer', 'confidence']);
    expect(plan.usage.completionTokens).toBe(Math.ceil(plan.content.text.length / 4));
    const object = planChat(defaultIntent('m', { lastUserText: 'x', output: { type: 'json_object' } }), knobs);
    expect(typeof JSON.parse(contentText(object))).toBe('object');
  });

  it('spoils a JSON answer the way the malformedJson knob says, and counts the spoiled text', () => {
    const intent = defaultIntent('m', { lastUserText: 'x', output: { type: 'json_object' as const } });
    const clean = contentText(planChat(intent, knobs));
    const spoiled = (how: 'fenced' | 'prose' | 'unclosed') => planChat(intent, resolveKnobs(knobs, { malformedJson: how }));
    expect(contentText(spoiled('fenced'))).toBe(`\`\`\`json\n${clean}\n\`\`\``);
    expect(contentText(spoiled('prose'))).toBe(`Here is the JSON you asked for:\n${clean}`);
    expect(contentText(spoiled('unclosed'))).toBe(clean.slice(0, -1));
    for (const how of ['fenced', 'prose', 'unclosed'] as const) {
      expect(() => JSON.parse(contentText(spoiled(how)))).toThrow();
      expect(spoiled(how).usage.completionTokens).toBe(Math.ceil(contentText(spoiled(how)).length / 4));
    }
  });

  it("spoils a tool call's arguments the same way (the call itself stays complete: finish tool_calls)", () => {
    const intent = defaultIntent('m', { lastUserText: 'call:get_weather', tools: [weatherTool] });
    const clean = planChat(intent, knobs);
    const spoiled = planChat(intent, resolveKnobs(knobs, { malformedJson: 'unclosed' }));
    if (clean.content.type !== 'tool_calls' || spoiled.content.type !== 'tool_calls') throw new Error('expected tool calls');
    expect(spoiled.content.calls[0]!.arguments).toBe(clean.content.calls[0]!.arguments.slice(0, -1));
    expect(() => JSON.parse(spoiled.content.type === 'tool_calls' ? spoiled.content.calls[0]!.arguments : '')).toThrow();
    expect(spoiled.finish).toBe('tool_calls');
  });

  it('reports cached tokens by marker or knob, and Anthropic-style write-then-read by cache key', () => {
    expect(planChat(defaultIntent('m', { promptTokens: 101, cache: { marked: true } }), knobs).usage.cachedTokens).toBe(50);
    expect(planChat(defaultIntent('m', { promptTokens: 100 }), resolveKnobs(knobs, { cachedRatio: 0.8 })).usage.cachedTokens).toBe(80);
    expect(planChat(defaultIntent('m', { promptTokens: 100 }), knobs).usage.cachedTokens).toBe(0);
    const cache = new PromptCache();
    const intent = defaultIntent('m', { promptTokens: 100, cache: { marked: true, key: 'prefix' } });
    expect(planChat(intent, knobs, cache).usage).toMatchObject({ cacheWriteTokens: 50, cachedTokens: 0 });
    expect(planChat(intent, knobs, cache).usage).toMatchObject({ cacheWriteTokens: 0, cachedTokens: 50 });
    cache.clear();
    expect(planChat(intent, knobs, cache).usage.cacheWriteTokens).toBe(50);
  });
});
