import { signatureFor } from '../../generation/deterministic-text.js';
import { anthropicMessagesIntent } from './anthropic-messages.schema.js';
import { RequestError } from './errors.js';
import { geminiGenerateIntent } from './gemini.schema.js';
import { openAiChatIntent } from './openai-chat.schema.js';

describe('request parsing into intents', () => {
  it('OpenAI: prompt tokens by the documented rule, max_completion_tokens over max_tokens, reasoning and cache triggers', () => {
    const body = {
      model: 'openai/gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Look at ' }, { type: 'image_url', image_url: { url: 'data:' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c', content: 'sunny' },
      ],
      max_tokens: 50,
      max_completion_tokens: 20,
      reasoning_effort: 'low',
      prompt_cache_key: 'k',
    };
    const intent = openAiChatIntent(body, JSON.stringify(body));
    // 3 + (4+ceil(9/4)) + (4+ceil(8/4)+85) + (4+ceil(3/4)) + (4+ceil(5/4))
    expect(intent.promptTokens).toBe(3 + 7 + 91 + 5 + 6);
    expect(intent.maxTokens).toBe(20);
    expect(intent.reasoning).toBe('requested');
    expect(intent.cache.marked).toBe(true);
    expect(intent.lastIsToolResult).toBe(true);
    expect(intent.lastUserText).toBe('sunny');
    expect(openAiChatIntent({ ...body, reasoning_effort: 'none', prompt_cache_key: undefined }, '{}').reasoning).toBe('disabled');
  });

  it('OpenAI: rejects bad input with the parameter named', () => {
    const error = (() => {
      try {
        openAiChatIntent({ model: 'm', messages: [{ role: 'wizard', content: 'x' }] }, '');
      } catch (caught) {
        return caught as RequestError;
      }
    })();
    expect(error).toBeInstanceOf(RequestError);
    expect(error?.status).toBe(400);
    expect(error?.param).toBe('messages[0].role');
    expect(() => openAiChatIntent({ messages: [{ role: 'user', content: 'x' }] }, '')).toThrow(/Missing required parameter: 'model'/);
    expect(() => openAiChatIntent({ model: 'm', messages: [{ role: 'user', content: 'x' }], tool_choice: { type: 'function', function: { name: 'nope' } }, tools: [] }, '')).toThrow(/tool_choice/);
  });

  it('Anthropic: system counts as a message, tool results end in text, cache key up to the last marker', () => {
    const body = {
      model: 'claude',
      max_tokens: 100,
      system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'hello' }],
      thinking: { type: 'enabled', budget_tokens: 50 },
    };
    const intent = anthropicMessagesIntent(body);
    expect(intent.promptTokens).toBe(3 + (4 + 4) + (4 + 2));
    expect(intent.reasoning).toBe('requested');
    expect(intent.reasoningBudget).toBe(50);
    expect(intent.cache.marked).toBe(true);
    const sameSystem = anthropicMessagesIntent({ ...body, messages: [{ role: 'user', content: 'other question' }] });
    expect(sameSystem.cache.key).toBe(intent.cache.key);
    const otherSystem = anthropicMessagesIntent({ ...body, system: [{ type: 'text', text: 'Different.', cache_control: { type: 'ephemeral' } }] });
    expect(otherSystem.cache.key).not.toBe(intent.cache.key);
    expect(() => anthropicMessagesIntent({ model: 'claude', messages: [] })).toThrow(/max_tokens: Field required/);
    expect(() => anthropicMessagesIntent({ ...body, thinking: { type: 'enabled', budget_tokens: 100 } })).toThrow(/budget_tokens/);
  });

  it('Anthropic: a replayed thinking block must carry the signature the simulator gave it (Anthropic refuses others)', () => {
    const thinking = 'Two cities, two calls.';
    const turn = (block: Record<string, unknown>) => ({
      model: 'claude',
      max_tokens: 2048,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: [block, { type: 'text', text: 'Sunny.' }] },
        { role: 'user', content: 'thanks' },
      ],
    });
    const accepted = anthropicMessagesIntent(turn({ type: 'thinking', thinking, signature: signatureFor(thinking) }));
    // The replayed thinking counts as prompt text: 3 + (4 + 2) + (4 + ceil((22 + 6) / 4)) + (4 + 2).
    expect(accepted.promptTokens).toBe(3 + 6 + 11 + 6);
    const failure = (block: Record<string, unknown>) => {
      try {
        anthropicMessagesIntent(turn(block));
      } catch (caught) {
        return caught as RequestError;
      }
      throw new Error('accepted');
    };
    const tampered = failure({ type: 'thinking', thinking: `${thinking} (edited)`, signature: signatureFor(thinking) });
    expect(tampered.status).toBe(400);
    expect(tampered.message).toBe('messages.1.content.0: Invalid `signature` in `thinking` block');
    expect(failure({ type: 'thinking', thinking }).message).toBe('messages.1.content.0.signature: Field required');
    expect(failure({ type: 'thinking', thinking, signature: 'EqQBCkYIBxgC' }).param).toBe('messages.1.content.0.signature');
    // With thinking on, the assistant turn whose tool_use a tool_result answers must start with its thinking block.
    const toolTurn = (assistant: Array<Record<string, unknown>>, thinkingOn = true) => ({
      model: 'claude',
      max_tokens: 2048,
      ...(thinkingOn ? { thinking: { type: 'enabled', budget_tokens: 1024 } } : {}),
      messages: [
        { role: 'user', content: 'weather? call:get_weather' },
        { role: 'assistant', content: assistant },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' }] },
      ],
    });
    const toolUse = { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} };
    expect(anthropicMessagesIntent(toolTurn([{ type: 'thinking', thinking, signature: signatureFor(thinking) }, toolUse])).lastIsToolResult).toBe(true);
    expect(() => anthropicMessagesIntent(toolTurn([toolUse]))).toThrow(/^messages\.1\.content\.0\.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`/);
    expect(anthropicMessagesIntent(toolTurn([toolUse], false)).lastIsToolResult).toBe(true);
    const adaptive = { ...toolTurn([toolUse]), thinking: { type: 'adaptive' } };
    expect(anthropicMessagesIntent(adaptive).reasoning).toBe('requested');
    // Redacted thinking is opaque: accepted as it is.
    expect(anthropicMessagesIntent(turn({ type: 'redacted_thinking', data: 'opaque' })).promptTokens).toBeGreaterThan(0);
  });

  it('Gemini: full JSON Schema under parametersJsonSchema and responseJsonSchema (as the gateway sends them)', () => {
    const parameters = { type: 'object', properties: { unit: { type: 'string', enum: ['c', 'f'] } }, required: ['unit'], additionalProperties: false };
    const response = { type: 'object', properties: { n: { type: 'integer', minimum: 3, maximum: 3 } }, required: ['n'] };
    const intent = geminiGenerateIntent(
      {
        contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
        tools: [{ functionDeclarations: [{ name: 'a', parametersJsonSchema: parameters }] }],
        generationConfig: { responseMimeType: 'application/json', responseJsonSchema: response },
      },
      'gemini-2.5-flash',
      false,
    );
    expect(intent.tools).toEqual([{ name: 'a', parameters }]);
    expect(intent.output).toEqual({ type: 'json_schema', schema: response });
  });

  it('Gemini: thinking budget 0 turns reasoning off; ANY with one allowed name forces that function', () => {
    const body = {
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
      tools: [{ functionDeclarations: [{ name: 'a', parameters: { type: 'OBJECT', properties: {} } }, { name: 'b' }] }],
      toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['b'] } },
      generationConfig: { thinkingConfig: { thinkingBudget: 0 } },
    };
    const intent = geminiGenerateIntent(body, 'gemini-2.5-flash', false);
    expect(intent.reasoning).toBe('disabled');
    expect(intent.toolChoice).toEqual({ type: 'tool', name: 'b' });
    expect(intent.promptTokens).toBe(3 + (4 + 1) + Math.ceil(JSON.stringify(body.tools).length / 4));
  });
});
