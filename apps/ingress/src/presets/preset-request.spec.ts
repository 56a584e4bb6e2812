import type { Preset } from '@switchyard/contracts';
import { chatRequestSchema, toCanonicalChatRequest, type CanonicalChatRequest } from '@switchyard/llm-spec';
import { presetFromChatBody, presetFromMessagesBody, presetFromResponsesBody, presetReference, withPreset } from './preset-request.js';

const requestOf = (body: Record<string, unknown>): CanonicalChatRequest => toCanonicalChatRequest(chatRequestSchema.parse({ messages: [{ role: 'user', content: 'hi' }], ...body }));
const tool = (name: string, description = name) => ({ type: 'function' as const, function: { name, description, parameters: { type: 'object' } } });

function presetOf(body: Record<string, unknown>, slug = 'bot'): Preset {
  const { config, systemPrompt } = presetFromChatBody(body);
  return { slug, version: 3, name: slug, description: null, system_prompt: systemPrompt, config, cache_enabled: null, cache_ttl_seconds: null, created_at: '2026-11-25T08:00:00.000Z' };
}

describe('presetReference', () => {
  it('reads @preset/<slug> as the model, <model>@preset/<slug>, and the preset field beside a model', () => {
    expect(presetReference({ model: '@preset/support-bot' })).toEqual({ slug: 'support-bot', model: undefined });
    expect(presetReference({ model: 'openai/gpt-4o@preset/support-bot' })).toEqual({ slug: 'support-bot', model: 'openai/gpt-4o' });
    expect(presetReference({ model: 'openai/gpt-4o', preset: 'support-bot' })).toEqual({ slug: 'support-bot', model: 'openai/gpt-4o' });
    expect(presetReference({ model: 'openai/gpt-4o' })).toBeUndefined();
  });

  it('refuses a malformed slug with a 400', () => {
    expect(() => presetReference({ model: '@preset/Not Valid' })).toThrow(expect.objectContaining({ status: 400, message: expect.stringContaining('Invalid preset') }));
  });
});

describe('withPreset', () => {
  const preset = presetOf({
    model: 'openai/gpt-4o-mini',
    messages: [{ role: 'system', content: 'You are the support bot.' }],
    temperature: 0.2,
    max_completion_tokens: 300,
    provider: { order: ['openai'] },
    tools: [tool('lookup_order'), tool('refund', 'preset refund')],
  });

  it("puts the preset's fields under the request's: the request's win, the preset's fill the rest", () => {
    const merged = withPreset(requestOf({ model: '@preset/bot', temperature: 0.9 }), { slug: 'bot', model: undefined }, preset);
    expect(merged).toMatchObject({ model: 'openai/gpt-4o-mini', temperature: 0.9, max_tokens: 300, provider: { order: ['openai'] }, stream: false });
    expect(merged).not.toHaveProperty('preset');
  });

  it("takes the model named beside the preset over the preset's, and needs one of them", () => {
    expect(withPreset(requestOf({ model: 'anthropic/claude-haiku-4.5@preset/bot' }), { slug: 'bot', model: 'anthropic/claude-haiku-4.5' }, preset).model).toBe('anthropic/claude-haiku-4.5');
    const modelless = presetOf({ temperature: 0 }, 'no-model');
    expect(() => withPreset(requestOf({ model: '@preset/no-model' }), { slug: 'no-model', model: undefined }, modelless)).toThrow(expect.objectContaining({ status: 400, message: expect.stringContaining('names no model') }));
  });

  it("puts the preset's system prompt first and unions the tools (the request's win on a shared name)", () => {
    const merged = withPreset(requestOf({ model: '@preset/bot', tools: [tool('refund', 'request refund'), tool('escalate')] }), { slug: 'bot', model: undefined }, preset);
    expect(merged.messages).toEqual([{ role: 'system', content: 'You are the support bot.' }, { role: 'user', content: 'hi' }]);
    expect(merged.tools?.map((entry) => [entry.function.name, entry.function.description])).toEqual([
      ['lookup_order', 'lookup_order'],
      ['refund', 'request refund'],
      ['escalate', 'escalate'],
    ]);
    expect(withPreset(requestOf({ model: '@preset/bot' }), { slug: 'bot', model: undefined }, preset).tools).toHaveLength(2);
  });
});

describe('presetFromChatBody', () => {
  it('keeps the request fields in canonical form and the system messages as the system prompt; never the turns, the streaming mode or a preset', () => {
    const { config, systemPrompt } = presetFromChatBody({
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'developer', content: [{ type: 'text', text: 'Use metric units.' }] }, { role: 'user', content: 'a turn' }],
      stream: true,
      preset: 'other',
      max_completion_tokens: 50,
      reasoning_effort: 'low',
      unknown_field: 1,
      // The preset's own settings: kept beside its config (billing's columns), never in it.
      name: 'Brief', cache_enabled: true, cache_ttl_seconds: 60,
    });
    expect(config).toEqual({ model: 'openai/gpt-4o-mini', max_tokens: 50, reasoning: { effort: 'low' } });
    expect(systemPrompt).toBe('Be brief.\n\nUse metric units.');
  });

  it('needs no model or messages, and refuses fields a request could not send with a 400', () => {
    expect(presetFromChatBody({ temperature: 1 })).toEqual({ config: { temperature: 1 }, systemPrompt: null });
    expect(() => presetFromChatBody({ temperature: 'hot' })).toThrow(expect.objectContaining({ status: 400, message: expect.stringContaining('temperature') }));
  });

  it('takes an Anthropic Messages body (system as the system prompt, max_tokens optional) and a Responses body (instructions)', () => {
    expect(presetFromMessagesBody({ model: 'anthropic/claude-haiku-4.5', system: 'Be brief.', max_tokens: 100, temperature: 0.3 })).toEqual({
      config: { model: 'anthropic/claude-haiku-4.5', max_tokens: 100, temperature: 0.3 },
      systemPrompt: 'Be brief.',
    });
    expect(presetFromMessagesBody({ temperature: 0.5 })).toEqual({ config: { temperature: 0.5 }, systemPrompt: null });
    expect(presetFromResponsesBody({ instructions: 'Use metric units.', max_output_tokens: 50, text: { format: { type: 'json_object' } } })).toEqual({
      config: { max_tokens: 50, response_format: { type: 'json_object' } },
      systemPrompt: 'Use metric units.',
    });
    expect(() => presetFromMessagesBody({ temperature: 5 })).toThrow(expect.objectContaining({ status: 400 }));
    expect(() => presetFromResponsesBody({ store: true })).toThrow(expect.objectContaining({ status: 400 }));
  });
});
