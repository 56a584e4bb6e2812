import { jest } from '@jest/globals';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { Decimal, formatMoney } from '@switchyard/money';
import { Stack } from './stack.js';

jest.setTimeout(120_000);

/**
 * The other API families ("skins") end to end: the unmodified official SDKs — `@anthropic-ai/sdk` on
 * `/api/v1/messages`, `openai` on `/api/v1/responses` and `/api/v1/completions` — against the real stack on the
 * simulator. Each answer carries X-Generation-Id, usage with cost, and shows up in /generation with its api_type.
 */
describe('the skins end to end, driven by the official SDKs', () => {
  const stack = new Stack();
  let anthropic: Anthropic;
  let openai: OpenAI;
  /** Routes Claude to the simulator that speaks Anthropic's wire format (so thinking comes back signed). */
  const anthropicWire = { provider: { only: ['simulator-anthropic'] } };

  const origin = () => stack.baseUrl.replace(/\/v1$/, '');

  const generation = (id: string) => stack.generation(id);

  function expectCostRecorded(record: Record<string, unknown>, cost: number): void {
    expect(formatMoney(new Decimal(String(record.total_cost)))).toBe(formatMoney(new Decimal(String(cost))));
  }

  beforeAll(async () => {
    await stack.start();
    anthropic = new Anthropic({ baseURL: origin(), apiKey: stack.demoKey, maxRetries: 0 });
    openai = new OpenAI({ baseURL: stack.baseUrl, apiKey: stack.demoKey, maxRetries: 0 });
  }, 120_000);

  afterAll(async () => {
    await stack.stop();
  });

  describe('Anthropic Messages (/api/v1/messages)', () => {
    it('answers messages.create with the gen id, X-Generation-Id, usage with cost, recorded as api_type messages', async () => {
      const { data: message, response } = await anthropic.messages
        .create({ model: 'anthropic/claude-sonnet-4.5', max_tokens: 256, system: 'Be brief.', messages: [{ role: 'user', content: 'Say hello to the gateway' }] })
        .withResponse();
      expect(message.id).toMatch(/^gen-\d+-[A-Za-z0-9]{20}$/);
      expect(response.headers.get('x-generation-id')).toBe(message.id);
      expect(message.type).toBe('message');
      expect(message.role).toBe('assistant');
      expect(message.model).toBe('anthropic/claude-sonnet-4.5');
      expect(message.stop_reason).toBe('end_turn');
      expect(message.content[0]?.type).toBe('text');
      expect((message.content[0] as Anthropic.TextBlock).text.length).toBeGreaterThan(0);
      expect(message.usage.input_tokens).toBeGreaterThan(0);
      expect(message.usage.output_tokens).toBeGreaterThan(0);
      const cost = (message.usage as unknown as { cost: number }).cost;
      expect(cost).toBeGreaterThan(0);
      const record = await generation(message.id);
      expect(record.api_type).toBe('messages');
      expectCostRecorded(record, cost);
    });

    it('streams with messages.stream: signed thinking, then text, with the cost on message_delta', async () => {
      const stream = anthropic.messages.stream({
        model: 'anthropic/claude-sonnet-4.5',
        max_tokens: 2048,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        messages: [{ role: 'user', content: 'Think, then answer' }],
        ...anthropicWire,
      } as Anthropic.MessageStreamParams);
      const thinking: string[] = [];
      let cost: number | undefined;
      stream.on('thinking', (delta) => thinking.push(delta));
      stream.on('streamEvent', (event) => {
        if (event.type === 'message_delta') cost = (event.usage as unknown as { cost: number }).cost;
      });
      const message = await stream.finalMessage();
      expect(message.content.map((block) => block.type)).toEqual(['thinking', 'text']);
      const block = message.content[0] as Anthropic.ThinkingBlock;
      expect(block.thinking.length).toBeGreaterThan(0);
      expect(block.thinking).toBe(thinking.join(''));
      expect(block.signature.length).toBeGreaterThan(0);
      expect(message.stop_reason).toBe('end_turn');
      expect(cost).toBeGreaterThan(0);
      expect(message.usage.output_tokens).toBeGreaterThan(0);
      const record = await generation(message.id);
      expect(record.api_type).toBe('messages');
      expect(record.streamed).toBe(true);
      expectCostRecorded(record, cost!);
    });

    it('completes a tool round trip: thinking + tool_use, then the tool_result (with the thinking replayed) gives the final text', async () => {
      const tools: Anthropic.Tool[] = [{ name: 'get_weather', description: 'Current weather', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }];
      const question: Anthropic.MessageParam = { role: 'user', content: 'What is the weather in Paris? call:get_weather' };
      const first = await anthropic.messages.create({
        model: 'anthropic/claude-sonnet-4.5',
        max_tokens: 2048,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        tools,
        messages: [question],
        ...anthropicWire,
      } as Anthropic.MessageCreateParamsNonStreaming);
      expect(first.stop_reason).toBe('tool_use');
      expect(first.content.map((block) => block.type)).toEqual(['thinking', 'tool_use']);
      expect((first.content[0] as Anthropic.ThinkingBlock).signature.length).toBeGreaterThan(0);
      const toolUse = first.content[1] as Anthropic.ToolUseBlock;
      expect(toolUse.name).toBe('get_weather');
      expect(typeof (toolUse.input as { city: unknown }).city).toBe('string');

      const second = await anthropic.messages.create({
        model: 'anthropic/claude-sonnet-4.5',
        max_tokens: 2048,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        tools,
        messages: [question, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: '18°C and sunny' }] }],
        ...anthropicWire,
      } as Anthropic.MessageCreateParamsNonStreaming);
      expect(second.stop_reason).toBe('end_turn');
      expect(second.content.at(-1)?.type).toBe('text');
      expect((second.content.at(-1) as Anthropic.TextBlock).text.length).toBeGreaterThan(0);
    });

    it('streams a tool call as input_json_delta that the SDK assembles into an object', async () => {
      const message = await anthropic.messages
        .stream({
          model: 'anthropic/claude-sonnet-4.5',
          max_tokens: 512,
          tools: [{ name: 'lookup', input_schema: { type: 'object', properties: { query: { type: 'string' }, limit: { type: 'integer' } }, required: ['query', 'limit'] } }],
          tool_choice: { type: 'tool', name: 'lookup' },
          messages: [{ role: 'user', content: 'Look it up' }],
        })
        .finalMessage();
      expect(message.stop_reason).toBe('tool_use');
      const toolUse = message.content.find((block) => block.type === 'tool_use') as Anthropic.ToolUseBlock;
      expect(toolUse.name).toBe('lookup');
      expect(toolUse.input).toEqual({ query: expect.any(String), limit: expect.any(Number) });
    });

    it('accepts the key as a Bearer token and a bare Claude model name, as Claude Code sends them', async () => {
      const bearer = new Anthropic({ baseURL: origin(), authToken: stack.demoKey, apiKey: null, maxRetries: 0 });
      const message = await bearer.messages.create({ model: 'claude-sonnet-4-5-20250929', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
      expect(message.model).toBe('anthropic/claude-sonnet-4.5');
    });

    it('estimates input tokens on messages/count_tokens (Claude Code asks before compacting)', async () => {
      const counted = await anthropic.messages.countTokens({ model: 'claude-sonnet-4-5', system: 'Be brief.', messages: [{ role: 'user', content: 'How many tokens is this?' }] });
      expect(counted.input_tokens).toBeGreaterThan(5);
    });

    it('answers errors in Anthropic’s shape: 401, unknown model, missing max_tokens', async () => {
      const stranger = new Anthropic({ baseURL: origin(), apiKey: 'sk-sy-v1-unknown', maxRetries: 0 });
      const unauthorised = await stranger.messages.create({ model: 'anthropic/claude-sonnet-4.5', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }).catch((error: unknown) => error);
      expect(unauthorised).toBeInstanceOf(Anthropic.AuthenticationError);
      expect((unauthorised as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'authentication_error', error_type: 'authentication' } });

      const unknown = await anthropic.messages.create({ model: 'nobody/no-such-model', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }).catch((error: unknown) => error);
      expect(unknown).toBeInstanceOf(Anthropic.APIError);
      const apiError = unknown as InstanceType<typeof Anthropic.APIError>;
      expect([400, 404]).toContain(apiError.status);
      expect(apiError.error).toMatchObject({ type: 'error', error: { type: expect.stringMatching(/^(invalid_request_error|not_found_error)$/), message: expect.stringContaining('nobody/no-such-model') } });

      const missing = await fetch(`${stack.baseUrl}/messages`, {
        method: 'POST',
        headers: { 'x-api-key': stack.demoKey, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: 'anthropic/claude-sonnet-4.5', messages: [{ role: 'user', content: 'x' }] }),
      });
      expect(missing.status).toBe(400);
      expect(await missing.json()).toEqual({
        type: 'error',
        error: { type: 'invalid_request_error', message: 'Invalid request: max_tokens: Field required', error_type: 'invalid_request', metadata: { issues: [{ path: 'max_tokens', message: 'Field required' }] } },
        request_id: null,
      });
    });
  });

  describe('OpenAI Responses (/api/v1/responses)', () => {
    it('answers responses.create with output text, usage with cost and X-Generation-Id, recorded as api_type responses', async () => {
      const { data: response, response: http } = await openai.responses
        .create({ model: 'openai/gpt-4o-mini', instructions: 'Be brief.', input: 'Say hello to the gateway', store: false })
        .withResponse();
      expect(http.headers.get('x-generation-id')).toBe(response.id);
      expect(response.object).toBe('response');
      expect(response.status).toBe('completed');
      expect(response.output_text.length).toBeGreaterThan(0);
      expect(response.model).toBe('openai/gpt-4o-mini');
      const usage = response.usage as OpenAI.Responses.ResponseUsage & { cost: number };
      expect(usage.total_tokens).toBe(usage.input_tokens + usage.output_tokens);
      const expected = new Decimal(usage.input_tokens).times('0.00000015').plus(new Decimal(usage.output_tokens).times('0.0000006'));
      expect(formatMoney(new Decimal(String(usage.cost)))).toBe(formatMoney(expected));
      const record = await generation(response.id);
      expect(record.api_type).toBe('responses');
      expectCostRecorded(record, usage.cost);
    });

    it('streams with responses.stream: text deltas, then response.completed with usage and cost', async () => {
      const stream = openai.responses.stream({ model: 'openai/gpt-4o-mini', input: [{ role: 'user', content: 'Stream me a story' }] });
      const deltas: string[] = [];
      stream.on('response.output_text.delta', (event) => deltas.push(event.delta));
      const final = await stream.finalResponse();
      expect(final.status).toBe('completed');
      expect(deltas.length).toBeGreaterThan(1);
      const message = final.output.find((item) => item.type === 'message') as OpenAI.Responses.ResponseOutputMessage;
      expect((message.content[0] as OpenAI.Responses.ResponseOutputText).text).toBe(deltas.join(''));
      expect((final.usage as unknown as { cost: number }).cost).toBeGreaterThan(0);
      const record = await generation(final.id);
      expect(record.api_type).toBe('responses');
      expect(record.streamed).toBe(true);
    });

    it('calls a function, then answers the function_call_output', async () => {
      const tools: OpenAI.Responses.FunctionTool[] = [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: true }];
      const first = await openai.responses.create({ model: 'openai/gpt-4o-mini', input: 'Weather in Paris?', tools, tool_choice: 'required' });
      const call = first.output.find((item) => item.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
      expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', status: 'completed' });
      expect(typeof JSON.parse(call.arguments).city).toBe('string');
      const second = await openai.responses.create({
        model: 'openai/gpt-4o-mini',
        tools,
        input: [{ role: 'user', content: 'Weather in Paris?' }, ...(first.output as OpenAI.Responses.ResponseInputItem[]), { type: 'function_call_output', call_id: call.call_id, output: '18°C' }],
      });
      expect(second.status).toBe('completed');
      expect(second.output_text.length).toBeGreaterThan(0);
    });

    it('answers errors as {error:{code, message}, error_type}: 401, unknown model, store:true', async () => {
      const stranger = new OpenAI({ baseURL: stack.baseUrl, apiKey: 'sk-sy-v1-unknown', maxRetries: 0 });
      const unauthorised = await stranger.responses.create({ model: 'openai/gpt-4o-mini', input: 'x' }).catch((error: unknown) => error);
      expect(unauthorised).toBeInstanceOf(OpenAI.AuthenticationError);
      expect((unauthorised as InstanceType<typeof OpenAI.APIError>).code).toBe('invalid_api_key');

      const unknown = await openai.responses.create({ model: 'nobody/no-such-model', input: 'x' }).catch((error: unknown) => error);
      expect(unknown).toBeInstanceOf(OpenAI.APIError);
      const apiError = unknown as InstanceType<typeof OpenAI.APIError>;
      expect([400, 404]).toContain(apiError.status);
      expect(apiError.message).toContain('nobody/no-such-model');
      expect(apiError.code).toBe('model_not_found');

      const stored = await fetch(`${stack.baseUrl}/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.demoKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'openai/gpt-4o-mini', input: 'x', store: true }),
      });
      expect(stored.status).toBe(400);
      expect(await stored.json()).toMatchObject({ status: 'failed', error: { code: 'invalid_request', message: expect.stringContaining('store must be false') }, error_type: 'invalid_request' });
    });
  });

  describe('legacy completions (/api/v1/completions)', () => {
    it('answers completions.create with choices[].text, usage with cost and X-Generation-Id, recorded as api_type completions', async () => {
      const { data: completion, response } = await openai.completions.create({ model: 'openai/gpt-4o-mini', prompt: 'Once upon a time', max_tokens: 32 }).withResponse();
      expect(response.headers.get('x-generation-id')).toBe(completion.id);
      expect(completion.object).toBe('text_completion');
      expect(completion.choices[0]?.text.length).toBeGreaterThan(0);
      expect(completion.choices[0]?.finish_reason).toMatch(/^(stop|length)$/);
      const cost = (completion.usage as unknown as { cost: number }).cost;
      expect(cost).toBeGreaterThan(0);
      const record = await generation(completion.id);
      expect(record.api_type).toBe('completions');
      expectCostRecorded(record, cost);
    });

    it('streams text chunks, then a usage chunk with cost, then [DONE]', async () => {
      const stream = await openai.completions.create({ model: 'openai/gpt-4o-mini', prompt: 'Tell a story', stream: true });
      const chunks: OpenAI.Completion[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(chunks.filter((chunk) => chunk.choices.length > 0).map((chunk) => chunk.choices[0]?.text ?? '').join('').length).toBeGreaterThan(0);
      const last = chunks.at(-1)!;
      expect(last.choices).toEqual([]);
      expect((last.usage as unknown as { cost: number }).cost).toBeGreaterThan(0);
      const record = await generation(last.id);
      expect(record.api_type).toBe('completions');
    });

    it('answers errors in the OpenRouter envelope: 401, unknown model, batched prompts', async () => {
      const stranger = new OpenAI({ baseURL: stack.baseUrl, apiKey: 'sk-sy-v1-unknown', maxRetries: 0 });
      expect(await stranger.completions.create({ model: 'openai/gpt-4o-mini', prompt: 'x' }).catch((error: unknown) => error)).toBeInstanceOf(OpenAI.AuthenticationError);
      const unknown = (await openai.completions.create({ model: 'nobody/no-such-model', prompt: 'x' }).catch((error: unknown) => error)) as InstanceType<typeof OpenAI.APIError>;
      expect([400, 404]).toContain(unknown.status);
      expect((unknown.error as { metadata?: { availability_code?: string } }).metadata?.availability_code).toBe('model_not_found');
      const batched = (await openai.completions.create({ model: 'openai/gpt-4o-mini', prompt: ['a', 'b'] }).catch((error: unknown) => error)) as InstanceType<typeof OpenAI.APIError>;
      expect(batched.status).toBe(400);
      expect(batched.message).toContain('only one prompt per request');
    });
  });

  describe('router metadata (X-OpenRouter-Metadata: enabled)', () => {
    const METADATA = { 'X-OpenRouter-Metadata': 'enabled' };

    it('adds openrouter_metadata to a chat completion: the model asked for, the candidates with the one selected, the attempt that served', async () => {
      const completion = (await openai.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'route me' }], max_tokens: 16 }, { headers: METADATA })) as OpenAI.ChatCompletion & { provider: string; openrouter_metadata: any };
      const metadata = completion.openrouter_metadata;
      expect(metadata).toMatchObject({ requested: 'openai/gpt-4o-mini', strategy: 'direct', region: null, is_byok: false });
      expect(metadata.endpoints.total).toBe(metadata.endpoints.available.length);
      expect(metadata.endpoints.available.filter((candidate: { selected: boolean }) => candidate.selected)).toEqual([{ provider: completion.provider, model: 'openai/gpt-4o-mini', selected: true }]);
      // Every attempt made, in order: the last one served (earlier ones, if any, failed over: no key for that provider here).
      expect(metadata.attempt).toBe(metadata.attempts.length);
      expect(metadata.attempts.at(-1)).toMatchObject({ provider: completion.provider, status: 200, error_type: null });
      expect(metadata.attempts.slice(0, -1).every((attempt: { status: number }) => attempt.status !== 200)).toBe(true);
      expect(metadata.pipeline[0]).toMatchObject({ type: 'routing' });
      const plain = (await openai.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'route me' }], max_tokens: 16 })) as unknown as Record<string, unknown>;
      expect(plain).not.toHaveProperty('openrouter_metadata');
    });

    it('shows providers without a platform key planned last: a model first asked for here is served on its first attempt', async () => {
      // This stack has keys for no real provider; these models have five and twelve such endpoints beside the
      // simulator's, and no request of this file asked for them before (so no breaker or recent failure demoted any).
      // Ingress learns which providers lack a key from providers shortly after it starts (a gauge says when).
      await stack.waitForProviderKeysKnown();
      for (const model of ['deepseek/deepseek-r1', 'meta-llama/llama-3.3-70b-instruct']) {
        const completion = (await openai.chat.completions.create({ model, messages: [{ role: 'user', content: `first call to ${model}` }], max_tokens: 8 }, { headers: METADATA })) as OpenAI.ChatCompletion & { openrouter_metadata: any };
        expect(completion.openrouter_metadata.attempt).toBe(1);
        expect(completion.openrouter_metadata.attempts).toEqual([expect.objectContaining({ provider: 'Switchyard Simulator', status: 200 })]);
      }
    });

    it('puts it beside `error` when every attempt failed, listing each one', async () => {
      const upstream = encodeURIComponent('openai/gpt-4.1-nano');
      expect((await stack.admin('simulator', 'PUT', `/admin/knobs/${upstream}`, { failureRate: 1, failureStatus: 500 })).status).toBeLessThan(300);
      try {
        const response = await fetch(`${stack.baseUrl}/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${stack.demoKey}`, 'content-type': 'application/json', ...METADATA },
          body: JSON.stringify({ model: 'openai/gpt-4.1-nano', messages: [{ role: 'user', content: 'fail me' }], provider: { only: ['simulator'] } }),
        });
        const body = (await response.json()) as { error: { code: number }; openrouter_metadata: { requested: string; attempt: number; attempts: Array<{ status: number }>; endpoints: { available: Array<{ selected: boolean }> } } };
        expect(response.status).toBe(502);
        expect(body.error.code).toBe(502);
        expect(body.openrouter_metadata).toMatchObject({ requested: 'openai/gpt-4.1-nano', attempt: body.openrouter_metadata.attempts.length });
        expect(body.openrouter_metadata.attempts.length).toBeGreaterThan(0);
        expect(body.openrouter_metadata.attempts.every((attempt) => attempt.status === 500)).toBe(true);
        expect(body.openrouter_metadata.endpoints.available.some((candidate) => candidate.selected)).toBe(false);
      } finally {
        await stack.admin('simulator', 'DELETE', `/admin/knobs/${upstream}`);
      }
    });

    it('puts it beside `error` when the request is refused before any attempt (no endpoint fits it), saying why', async () => {
      const response = await fetch(`${stack.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.demoKey}`, 'content-type': 'application/json', ...METADATA },
        body: JSON.stringify({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'nowhere to go' }], provider: { only: ['nobody'] } }),
      });
      const body = (await response.json()) as { error: { code: number; message: string }; openrouter_metadata: { requested: string; attempt: number; attempts: unknown[]; pipeline: Array<{ type: string; summary: string }> } };
      expect(response.status).toBe(404);
      expect(body.openrouter_metadata).toMatchObject({ requested: 'openai/gpt-4o-mini', attempt: 0, attempts: [] });
      expect(body.openrouter_metadata.pipeline.at(-1)).toEqual(expect.objectContaining({ type: 'routing', summary: body.error.message }));
    });

    it('puts it on the final usage chunk of a chat stream and on message_stop of an Anthropic stream', async () => {
      const stream = await openai.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'stream and route me' }], max_tokens: 16, stream: true }, { headers: METADATA });
      const chunks: Array<OpenAI.ChatCompletionChunk & { openrouter_metadata?: { requested: string; attempt: number } }> = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(chunks.at(-1)!.choices).toEqual([]);
      expect(chunks.at(-1)!.openrouter_metadata).toMatchObject({ requested: 'openai/gpt-4o-mini', attempt: expect.any(Number) });
      expect(chunks.slice(0, -1).every((chunk) => chunk.openrouter_metadata === undefined)).toBe(true);

      const events: Array<{ type: string; openrouter_metadata?: { requested: string } }> = [];
      const messages = anthropic.messages.stream({ model: 'anthropic/claude-sonnet-4.5', max_tokens: 32, messages: [{ role: 'user', content: 'route me too' }] }, { headers: METADATA });
      for await (const event of messages) events.push(event as (typeof events)[number]);
      expect(events.at(-1)).toMatchObject({ type: 'message_stop', openrouter_metadata: { requested: 'anthropic/claude-sonnet-4.5' } });
    });
  });
});
