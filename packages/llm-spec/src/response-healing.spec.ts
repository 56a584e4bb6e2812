import fc from 'fast-check';
import { healJson, healResult, responseHealingRequested } from './response-healing.js';
import type { ChatResult } from './result.js';

describe('responseHealingRequested', () => {
  const jsonObject = { type: 'json_object' as const };
  const plugins = [{ id: 'response-healing' }];

  it('applies to a non-streamed request for JSON that lists the plugin (either spelling), unless the plugin is turned off', () => {
    expect(responseHealingRequested({ plugins, response_format: jsonObject, stream: false })).toBe(true);
    expect(responseHealingRequested({ plugins: [{ id: 'response_healing' }], response_format: { type: 'json_schema', json_schema: { name: 'person' } }, stream: false })).toBe(true);
    expect(responseHealingRequested({ plugins: [{ id: 'response-healing', enabled: false }], response_format: jsonObject, stream: false })).toBe(false);
  });

  it('leaves streams, plain-text requests and requests without the plugin alone', () => {
    expect(responseHealingRequested({ plugins, response_format: jsonObject, stream: true })).toBe(false);
    expect(responseHealingRequested({ plugins, response_format: { type: 'text' }, stream: false })).toBe(false);
    expect(responseHealingRequested({ plugins, stream: false })).toBe(false);
    expect(responseHealingRequested({ plugins: [{ id: 'context-compression' }], response_format: jsonObject, stream: false })).toBe(false);
  });
});

describe('healJson', () => {
  it.each([
    ['a missing closing bracket', '{"name": "Alice", "age": 30', { name: 'Alice', age: 30 }],
    ['a markdown code block', '```json\n{"name": "Bob"}\n```', { name: 'Bob' }],
    ['text before the JSON', "Here's the data you requested:\n{\"name\": \"Charlie\", \"age\": 25}", { name: 'Charlie', age: 25 }],
    ['text after the JSON', '{"name": "Dana"}\nHope this helps!', { name: 'Dana' }],
    ['a trailing comma', '{"name": "David", "age": 35,}', { name: 'David', age: 35 }],
    ['unquoted keys', '{name: "Eve", age: 40}', { name: 'Eve', age: 40 }],
    ['single quotes', "{'name': 'Frank'}", { name: 'Frank' }],
    ['prose, then an answer cut off mid-array', 'Sure! {"tags": ["a", "b"', { tags: ['a', 'b'] }],
    ['an array in a code block without a language', '```\n[1, 2, 3,]\n```', [1, 2, 3]],
  ])('repairs %s', (_name, text, expected) => {
    const healed = healJson(text);
    expect(healed).toBeDefined();
    expect(JSON.parse(healed!)).toEqual(expected);
  });

  it('leaves valid JSON (nothing to heal) and text that holds no object or array (nothing to heal it into) as they are', () => {
    expect(healJson('{"ok": true}')).toBeUndefined();
    expect(healJson('  [1, 2]\n')).toBeUndefined();
    expect(healJson('I cannot help with that.')).toBeUndefined();
    expect(healJson('')).toBeUndefined();
  });

  // Any JSON object the model meant, wrapped the ways models wrap it, comes back as that object.
  const objects = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { minKeys: 1, maxKeys: 6 });
  const prose = fc.stringMatching(/^[A-Za-z ,.!:'\n]{0,60}$/);

  it('recovers the object from a code block, from prose around it, and with a trailing comma (property)', () => {
    fc.assert(
      fc.property(objects, prose, prose, fc.constantFrom('fence', 'prose', 'comma'), (value, before, after, wrapping) => {
        const text = JSON.stringify(value, null, 2);
        const wrapped = wrapping === 'fence' ? `${before}\n\`\`\`json\n${text}\n\`\`\`\n${after}` : wrapping === 'prose' ? `${before}\n${text}\n${after}` : `${text.slice(0, -2)},\n}`;
        const healed = healJson(wrapped);
        // A wrapping that happens to leave valid JSON needs no healing.
        expect(JSON.parse(healed ?? wrapped)).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });
});

describe('healResult', () => {
  const plugins = [{ id: 'response-healing' }];
  const resultOf = (text: string, args: string[]): ChatResult => ({
    text,
    reasoning: '',
    reasoningDetails: [],
    refusal: null,
    toolCalls: args.map((argumentsText, index) => ({ id: `call_${index}`, type: 'function' as const, function: { name: 'lookup', arguments: argumentsText } })),
    finishReason: 'tool_calls',
    nativeFinishReason: 'tool_calls',
    usage: null,
  });

  it("repairs tool-call arguments into a JSON object whatever the response_format, and leaves good or empty ones alone", () => {
    const result = resultOf('', ['{"city": "Paris"', '{"ok": true}', '', "```json\n{'q': 1,}\n```"]);
    expect(healResult({ plugins, stream: false }, result)).toBe(true);
    expect(result.toolCalls.map((call) => call.function.arguments)).toEqual(['{"city": "Paris"}', '{"ok": true}', '', '{"q": 1}']);
    expect(result.toolCalls.every((call) => call.function.arguments === '' || typeof JSON.parse(call.function.arguments) === 'object')).toBe(true);
  });

  it('does nothing without the plugin, for a stream, or for a failed answer; the text only when JSON was asked for', () => {
    for (const request of [{ stream: false }, { plugins: [{ id: 'response-healing', enabled: false }], stream: false }, { plugins, stream: true }]) {
      const result = resultOf('', ['{"city": "Paris"']);
      expect(healResult(request, result)).toBe(false);
      expect(result.toolCalls[0]!.function.arguments).toBe('{"city": "Paris"');
    }
    const failed = { ...resultOf('', ['{"a": 1']), error: { status: 502, errorType: 'provider_unavailable', retryable: true, phase: 'body', message: 'x' } } as ChatResult;
    expect(healResult({ plugins, stream: false }, failed)).toBe(false);
    const prose = resultOf('Here you go: {"a": 1,}', []);
    expect(healResult({ plugins, stream: false }, prose)).toBe(false);
    expect(healResult({ plugins, stream: false, response_format: { type: 'json_object' } }, prose)).toBe(true);
    expect(prose.text).toBe('{"a": 1}');
  });
});
