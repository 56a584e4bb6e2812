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
