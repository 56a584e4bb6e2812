import OpenAI from 'openai';
import { AvailabilityError, BadRequestError } from '@switchyard/contracts';
import type { StreamPart } from '@switchyard/llm-spec';
import { billedUsage, fetchReturning, identity, parseSse, streamText } from '../shared/skin-testing.fixture.js';
import { completionsToCanonical } from './completions-request.schema.js';
import { renderTextCompletion } from './completions.renderer.js';
import { completionsErrors, completionsSkin } from './completions.skin.js';

const openaiIdentity = { ...identity, provider: 'OpenAI', model: 'openai/gpt-4o-mini' };
const billed = billedUsage({ promptTokens: 5, completionTokens: 3 }, { prompt: '0.00000015', completion: '0.0000006' });

function rejection(body: unknown): string {
  try {
    completionsToCanonical(body);
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestError);
    return (error as BadRequestError).message;
  }
  throw new Error('expected a 400');
}

describe('completionsToCanonical', () => {
  it('serves the prompt as one user message and keeps the sampling and routing fields', () => {
    expect(
      completionsToCanonical({
        model: 'openai/gpt-4o-mini',
        prompt: ['Once upon a time'],
        max_tokens: 16,
        temperature: 0.7,
        stop: ['\n'],
        seed: 7,
        suffix: 'ignored',
        logprobs: 2,
        frequency_penalty: 0.1,
        logit_bias: { '50256': -100 },
        stream: true,
        models: ['openai/gpt-4o'],
        tools: [{ type: 'function', function: { name: 'dropped' } }],
      }),
    ).toEqual({
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'Once upon a time' }],
      stream: true,
      max_tokens: 16,
      temperature: 0.7,
      stop: ['\n'],
      seed: 7,
      frequency_penalty: 0.1,
      logit_bias: { '50256': -100 },
      models: ['openai/gpt-4o'],
    });
  });

  it('refuses batches, token ids, echo, n > 1 and invalid sampling with a 400 naming the field', () => {
    expect(rejection({ model: 'm/x', prompt: ['a', 'b'] })).toBe('Invalid request: prompt: only one prompt per request is supported (no batching); send each prompt as its own request');
    expect(rejection({ model: 'm/x', prompt: [50256, 1, 2] })).toContain('prompt.0: token-id prompts are not supported');
    expect(rejection({ model: 'm/x', prompt: { text: 'x' } })).toContain('prompt: prompt must be a string');
    expect(rejection({ model: 'm/x', prompt: 'x', echo: true })).toContain('echo: echo is not supported');
    expect(rejection({ model: 'm/x', prompt: 'x', n: 2 })).toContain('n: only n = 1 is supported');
    expect(rejection({ model: 'm/x', prompt: 'x', temperature: 5 })).toContain('temperature');
    expect(rejection({ prompt: 'x' })).toBe('Invalid request: model: Field required');
    expect(rejection([1])).toContain('expected a JSON object');
  });
});

describe('completions skin', () => {
  const parts: StreamPart[] = [
    { type: 'text-delta', text: 'there ' },
    { type: 'text-delta', text: 'was' },
    { type: 'usage', usage: billed.usage },
    { type: 'finish', finishReason: 'length', nativeFinishReason: 'length' },
  ];

  it('renders a text_completion with the text, finish reason and usage with cost', () => {
    const { result } = streamText(completionsSkin, parts, billed, { id: openaiIdentity });
    expect(renderTextCompletion(openaiIdentity, result, billed, true)).toMatchObject({
      id: identity.id,
      object: 'text_completion',
      created: 1700000000,
      model: 'openai/gpt-4o-mini',
      provider: 'OpenAI',
      choices: [{ text: 'there was', index: 0, finish_reason: 'length', native_finish_reason: 'length', logprobs: null }],
      usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8, cost: expect.any(Number) },
    });
  });

  it('streams text chunks, a finish chunk, a usage chunk with empty choices, then [DONE] — read by the openai SDK', async () => {
    const { text } = streamText(completionsSkin, parts, billed, { id: openaiIdentity, keepAliveFirst: true });
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    const chunks = parseSse(text)
      .filter((event) => event.data !== '[DONE]')
      .map((event) => JSON.parse(event.data));
    expect(chunks.map((chunk) => chunk.choices.map((choice: { text: string; finish_reason: string | null }) => [choice.text, choice.finish_reason]))).toEqual([
      [['there ', null]],
      [['was', null]],
      [['', 'length']],
      [],
    ]);
    expect(chunks.every((chunk) => chunk.object === 'text_completion' && chunk.id === identity.id)).toBe(true);
    expect(chunks.at(-1).usage.cost).toBeGreaterThan(0);

    const client = new OpenAI({ apiKey: 'sk-test', baseURL: 'http://gateway.test/api/v1', maxRetries: 0, fetch: fetchReturning(text) });
    const stream = await client.completions.create({ model: 'openai/gpt-4o-mini', prompt: 'x', stream: true });
    const received: OpenAI.Completion[] = [];
    for await (const chunk of stream) received.push(chunk);
    expect(received.map((chunk) => chunk.choices[0]?.text ?? '').join('')).toBe('there was');
    expect((received.at(-1)!.usage as unknown as { cost: number }).cost).toBeGreaterThan(0);
  });

  it('ends a failed stream with an error chunk the openai SDK raises, and renders errors in the OpenRouter envelope', async () => {
    const stream = completionsSkin.stream(openaiIdentity, true);
    const text = stream.part({ type: 'text-delta', text: 'a' }) + stream.fail({ code: 502, message: 'Provider returned error', metadata: { error_type: 'provider_unavailable' }, nativeFinishReason: null }, undefined);
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: 'http://gateway.test/api/v1', maxRetries: 0, fetch: fetchReturning(text) });
    const iterate = async () => {
      for await (const _chunk of await client.completions.create({ model: 'm', prompt: 'x', stream: true })) void _chunk;
    };
    await expect(iterate()).rejects.toMatchObject({ message: expect.stringContaining('Provider returned error') });
    const rendered = completionsErrors.error(new AvailabilityError(400, 'model_not_found', 'no model', { requested_models: ['m'] }));
    expect(rendered).toMatchObject({ status: 400, body: { error: { code: 400, message: 'no model', metadata: { error_type: 'invalid_request', availability_code: 'model_not_found' } } } });
  });
});
