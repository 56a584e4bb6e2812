import { chatRequestSchema, requestedParameters, toCanonicalChatRequest } from './chat-request.js';

describe('chatRequestSchema', () => {
  it('accepts an OpenAI SDK body and drops fields it does not know', () => {
    const parsed = chatRequestSchema.parse({
      model: 'openai/gpt-4o-mini',
      messages: [
        { role: 'developer', content: 'be brief' },
        { role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
      ],
      some_future_field: { x: 1 },
      usage: { include: true },
    });
    expect(parsed.messages).toHaveLength(2);
    expect(parsed).not.toHaveProperty('some_future_field');
  });

  it('rejects out-of-range sampling parameters and malformed messages with the field path', () => {
    const bad = chatRequestSchema.safeParse({ model: 'm/x', messages: [{ role: 'user', content: 'x' }], temperature: 3 });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['temperature']);
    const noMessages = chatRequestSchema.safeParse({ model: 'm/x', messages: [] });
    expect(noMessages.success).toBe(false);
    const badRole = chatRequestSchema.safeParse({ model: 'm/x', messages: [{ role: 'robot', content: 'x' }] });
    expect(badRole.success).toBe(false);
    const toolWithoutId = chatRequestSchema.safeParse({ model: 'm/x', messages: [{ role: 'tool', content: 'x' }] });
    expect(toolWithoutId.success).toBe(false);
  });

  it('refuses reasoning_effort together with reasoning.effort', () => {
    const result = chatRequestSchema.safeParse({
      model: 'm/x',
      messages: [{ role: 'user', content: 'x' }],
      reasoning_effort: 'low',
      reasoning: { effort: 'high' },
    });
    expect(result.success).toBe(false);
  });
});

describe('toCanonicalChatRequest', () => {
  const base = { model: 'm/x', messages: [{ role: 'user' as const, content: 'x' }] };

  it('folds max_completion_tokens, reasoning_effort and include_reasoning into the canonical fields', () => {
    const canonical = toCanonicalChatRequest(chatRequestSchema.parse({ ...base, max_completion_tokens: 50, max_tokens: 10, reasoning_effort: 'low' }));
    expect(canonical.max_tokens).toBe(50);
    expect(canonical.reasoning).toEqual({ effort: 'low' });
    expect(canonical).not.toHaveProperty('max_completion_tokens');
    expect(canonical.stream).toBe(false);
    const withInclude = toCanonicalChatRequest(chatRequestSchema.parse({ ...base, include_reasoning: true }));
    expect(withInclude.reasoning).toEqual({ enabled: true });
  });

  it('maps the legacy route field onto the sort partition', () => {
    const canonical = toCanonicalChatRequest(chatRequestSchema.parse({ ...base, route: 'fallback', provider: { sort: 'price' } }));
    expect(canonical.provider?.sort).toEqual({ by: 'price', partition: 'model' });
  });

  it('names the parameters a request uses, for require_parameters', () => {
    const canonical = toCanonicalChatRequest(
      chatRequestSchema.parse({ ...base, temperature: 0.2, tools: [{ type: 'function', function: { name: 'f' } }], response_format: { type: 'json_schema', json_schema: { name: 'r' } } }),
    );
    expect(requestedParameters(canonical).sort()).toEqual(['response_format', 'structured_outputs', 'temperature', 'tools']);
  });
});
