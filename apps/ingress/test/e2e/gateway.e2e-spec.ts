import { jest } from '@jest/globals';
import { request as httpRequest } from 'node:http';
import OpenAI from 'openai';
import { Decimal, formatMoney } from '@switchyard/money';
import { TEST_ADMIN_TOKEN } from '@switchyard/nest-kit/testing';
import { Stack } from './stack.js';

jest.setTimeout(120_000);

describe('the gateway end to end, driven by the official openai SDK', () => {
  const stack = new Stack();
  let client: OpenAI;
  /** Every usage.cost this file received: the account's total usage must end up exactly this. */
  let spent = new Decimal(0);

  beforeAll(async () => {
    await stack.start();
    client = new OpenAI({ baseURL: stack.baseUrl, apiKey: stack.demoKey, maxRetries: 0 });
  }, 120_000);

  afterAll(async () => {
    await stack.stop();
  });

  it('answers a chat completion with a gen- id, the serving provider, exact usage cost and X-Generation-Id', async () => {
    const { data: completion, response } = await client.chat.completions
      .create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello to the gateway' }] })
      .withResponse();
    expect(completion.id).toMatch(/^gen-\d+-[A-Za-z0-9]{20}$/);
    expect(response.headers.get('x-generation-id')).toBe(completion.id);
    expect(Number(response.headers.get('x-switchyard-overhead-ms'))).toBeGreaterThanOrEqual(0);
    expect((completion as unknown as { provider: string }).provider).toBe('Switchyard Simulator');
    expect(completion.model).toBe('openai/gpt-4o-mini');
    expect(completion.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    const usage = completion.usage as OpenAI.CompletionUsage & { cost: number };
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    // gpt-4o-mini on the simulator: $0.15/M prompt, $0.60/M completion, exactly.
    const expected = new Decimal(usage.prompt_tokens).times('0.00000015').plus(new Decimal(usage.completion_tokens).times('0.0000006'));
    expect(formatMoney(usage.cost)).toBe(formatMoney(expected));
    spent = spent.plus(String(usage.cost));
  });

  it('streams chunks, then one usage chunk with empty choices and cost, then [DONE]', async () => {
    const stream = await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'Stream me a story' }], stream: true });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const contentChunks = chunks.filter((chunk) => chunk.choices.length > 0);
    expect(contentChunks.length).toBeGreaterThan(1);
    expect(contentChunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('').length).toBeGreaterThan(0);
    expect(contentChunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    const usage = last.usage as OpenAI.CompletionUsage & { cost: number };
    expect(usage.completion_tokens).toBeGreaterThan(0);
    expect(usage.cost).toBeGreaterThan(0);
    spent = spent.plus(String(usage.cost));
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
  });

  it('lists the catalog through models.list', async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    const ids = models.map((model) => model.id);
    expect(ids).toContain('openai/gpt-4o-mini');
    expect(ids).toContain('anthropic/claude-sonnet-4.5');
    const mini = models.find((model) => model.id === 'openai/gpt-4o-mini') as unknown as { pricing: { prompt: string; completion: string }; context_length: number };
    expect(mini.pricing.prompt).toBe('0.00000015');
    expect(mini.context_length).toBeGreaterThan(0);
  });

  it('refuses a missing or unknown key with 401 and an unknown model with 400 model_not_found', async () => {
    const anonymous = new OpenAI({ baseURL: stack.baseUrl, apiKey: 'sk-sy-v1-unknown', maxRetries: 0 });
    const unauthorised = await anonymous.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }).catch((error: unknown) => error);
    expect(unauthorised).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((unauthorised as InstanceType<typeof OpenAI.APIError>).status).toBe(401);

    const unknownModel = await client.chat.completions.create({ model: 'nobody/no-such-model', messages: [{ role: 'user', content: 'x' }] }).catch((error: unknown) => error);
    expect(unknownModel).toBeInstanceOf(OpenAI.APIError);
    const apiError = unknownModel as InstanceType<typeof OpenAI.APIError>;
    expect([400, 404]).toContain(apiError.status);
    expect(apiError.message).toContain('nobody/no-such-model');
    expect((apiError.error as { metadata?: { availability_code?: string } }).metadata?.availability_code).toBe('model_not_found');
  });

  it('serves openrouter/free with a free model that supports the request, at no cost, named in the response and in /generation', async () => {
    const freeModels = (await client.models.list()).data.map((model) => model.id).filter((id) => id.endsWith(':free'));
    expect(freeModels.length).toBeGreaterThan(1);
    const completion = await client.chat.completions.create({ model: 'openrouter/free', messages: [{ role: 'user', content: 'Anything free today?' }], max_tokens: 16 });
    expect(freeModels).toContain(completion.model);
    expect((completion.usage as OpenAI.CompletionUsage & { cost: number }).cost).toBe(0);
    const generation = await stack.generation(completion.id);
    expect(generation).toMatchObject({ model: completion.model, total_cost: 0, router: 'openrouter/free' });
  });

  it('serves openrouter/auto with a model picked for the prompt (cheap for a simple question, dearer for a hard task), at its price, named in the response, the metadata and /generation', async () => {
    // The router picks only models some provider with a key serves; ingress learns which lack one shortly after start.
    await stack.waitForProviderKeysKnown();
    type Priced = { id: string; pricing: { prompt: string; completion: string } };
    const listed = (await client.models.list()).data as unknown as Priced[];
    expect(listed.find((model) => model.id === 'openrouter/auto')).toMatchObject({ pricing: { prompt: '-1', completion: '-1' } });
    const priceOf = (id: string) => {
      const model = listed.find((entry) => entry.id === id)!;
      return Number(model.pricing.prompt) + Number(model.pricing.completion);
    };
    type WithMetadata = OpenAI.ChatCompletion & { openrouter_metadata: { strategy: string; requested: string } };
    const auto = async (content: string, extra: Record<string, unknown> = {}) => {
      const completion = (await client.chat.completions.create(
        { model: 'openrouter/auto', messages: [{ role: 'user', content }], max_tokens: 16, ...extra } as OpenAI.ChatCompletionCreateParamsNonStreaming,
        { headers: { 'X-OpenRouter-Metadata': 'enabled' } },
      )) as WithMetadata;
      spent = spent.plus(String((completion.usage as OpenAI.CompletionUsage & { cost: number }).cost));
      return completion;
    };
    const simple = await auto('What is the capital of France?');
    const hard = await auto(`Analyze this algorithm step by step, prove its complexity and refactor it:\n\`\`\`ts\n${'function f(xs) { return xs.map((x) => x * 2); }\n'.repeat(60)}\`\`\``, { reasoning: { effort: 'high' } });
    expect(simple.model).not.toBe('openrouter/auto');
    expect(priceOf(hard.model)).toBeGreaterThan(priceOf(simple.model));
    expect(simple.openrouter_metadata).toMatchObject({ requested: 'openrouter/auto', strategy: 'auto' });
    expect((simple.usage as OpenAI.CompletionUsage & { cost: number }).cost).toBeGreaterThan(0);
    expect(await stack.generation(simple.id)).toMatchObject({ model: simple.model, router: 'openrouter/auto' });
    // The auto-router plugin narrows what it may pick.
    const narrowed = await auto('Hello', { plugins: [{ id: 'auto-router', allowed_models: ['anthropic/*'] }] });
    expect(narrowed.model).toMatch(/^anthropic\//);
  });

  it('sends an image only to a model that takes images: a text-only model is a 404 naming the input', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: [{ type: 'text', text: 'What is in this picture?' }, { type: 'image_url', image_url: { url: 'https://example.test/cat.png' } }] }];
    const refused = await client.chat.completions.create({ model: 'meta-llama/llama-3.3-70b-instruct', messages }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.NotFoundError);
    expect((refused as InstanceType<typeof OpenAI.APIError>).message).toContain('support image input');
    const seen = await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages, max_tokens: 8 });
    expect(seen.choices[0]?.message.content?.length).toBeGreaterThan(0);
    spent = spent.plus(String((seen.usage as OpenAI.CompletionUsage & { cost: number }).cost));
  });

  it('repairs a malformed JSON answer with the response-healing plugin (non-streamed JSON requests only), leaving it as it came otherwise', async () => {
    const model = 'openai/gpt-4.1-nano';
    expect((await stack.admin('simulator', 'PUT', `/admin/knobs/${encodeURIComponent(model)}`, { malformedJson: 'fenced' })).status).toBeLessThan(300);
    try {
      const ask = (extra: Record<string, unknown>) =>
        client.chat.completions.create({
          model,
          messages: [{ role: 'user', content: 'Give me the answer as JSON' }],
          response_format: { type: 'json_object' },
          provider: { only: ['simulator'] },
          ...extra,
        } as OpenAI.ChatCompletionCreateParamsNonStreaming);
      const healed = await ask({ plugins: [{ id: 'response-healing' }] });
      const content = healed.choices[0]!.message.content!;
      expect(JSON.parse(content)).toEqual({ answer: expect.any(String) });
      spent = spent.plus(String((healed.usage as OpenAI.CompletionUsage & { cost: number }).cost));
      // Counted for operators.
      const metrics = await (await fetch(`${stack.adminUrl('ingress')}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).text();
      expect(Number(/switchyard_responses_healed_total\{[^}]*api="completions"[^}]*\} (\d+)/.exec(metrics)?.[1])).toBe(1);

      const untouched = await ask({});
      expect(untouched.choices[0]!.message.content).toBe(`\`\`\`json\n${content}\n\`\`\``);
      spent = spent.plus(String((untouched.usage as OpenAI.CompletionUsage & { cost: number }).cost));

      const stream = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Give me the answer as JSON' }],
        response_format: { type: 'json_object' },
        stream: true,
        plugins: [{ id: 'response-healing' }],
        provider: { only: ['simulator'] },
      } as unknown as OpenAI.ChatCompletionCreateParamsStreaming);
      let streamed = '';
      for await (const chunk of stream) {
        streamed += chunk.choices[0]?.delta.content ?? '';
        if (chunk.usage) spent = spent.plus(String((chunk.usage as OpenAI.CompletionUsage & { cost: number }).cost));
      }
      expect(streamed.startsWith('```json')).toBe(true);
    } finally {
      await stack.admin('simulator', 'DELETE', `/admin/knobs/${encodeURIComponent(model)}`);
    }
  });

  it("repairs a tool call's malformed arguments with the response-healing plugin (whatever the response_format), and only with it", async () => {
    const model = 'openai/gpt-4o-mini';
    expect((await stack.admin('simulator', 'PUT', `/admin/knobs/${encodeURIComponent(model)}`, { malformedJson: 'unclosed' })).status).toBeLessThan(300);
    try {
      const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
      const ask = (extra: Record<string, unknown>) =>
        client.chat.completions.create({ model, messages: [{ role: 'user', content: 'call:get_weather for Paris' }], tools, provider: { only: ['simulator'] }, ...extra } as OpenAI.ChatCompletionCreateParamsNonStreaming);
      const healed = await ask({ plugins: [{ id: 'response-healing' }] });
      spent = spent.plus(String((healed.usage as OpenAI.CompletionUsage & { cost: number }).cost));
      const call = healed.choices[0]!.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
      expect(healed.choices[0]!.finish_reason).toBe('tool_calls');
      expect(JSON.parse(call.function.arguments)).toEqual({ city: expect.any(String) });
      const raw = await ask({});
      spent = spent.plus(String((raw.usage as OpenAI.CompletionUsage & { cost: number }).cost));
      const rawCall = raw.choices[0]!.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
      expect(() => JSON.parse(rawCall.function.arguments)).toThrow();
      // The repair is the arguments the model meant (its cut-off closing brace restored).
      expect(JSON.parse(call.function.arguments)).toEqual(JSON.parse(`${rawCall.function.arguments}}`));
    } finally {
      await stack.admin('simulator', 'DELETE', `/admin/knobs/${encodeURIComponent(model)}`);
    }
  });

  it('answers malformed JSON, a poisoned or empty body and invalid fields with 400 and a body over the limit with 413, in the OpenRouter envelope, never 500', async () => {
    const post = (body: string) => fetch(`${stack.baseUrl}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${stack.demoKey}`, 'content-type': 'application/json' }, body });
    const malformed = await post('{"model": "openai/gpt-4o-mini", "messages": [');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: 400 } });
    const poisoned = await post('{"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "x"}], "__proto__": {"admin": true}}');
    expect(poisoned.status).toBe(400);
    expect(await poisoned.json()).toMatchObject({ error: { code: 400, message: expect.stringContaining('prototype') } });
    const empty = await post('');
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ error: { code: 400, message: expect.stringContaining('empty') } });
    // Over the default limit (8 MiB) by its declared length: refused before the body is read (sending the 9 MiB
    // as well races the early answer against the upload, and the client may see the connection reset instead).
    const oversized = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(`${stack.baseUrl}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${stack.demoKey}`, 'content-type': 'application/json', 'content-length': String(9 * 1024 * 1024) } }, (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => {
          resolve({ status: response.statusCode ?? 0, body });
          request.destroy();
        });
      });
      request.on('error', reject);
      request.write('{"model": "openai/gpt-4o-mini", "messages": [');
    });
    expect(oversized.status).toBe(413);
    expect(JSON.parse(oversized.body)).toMatchObject({ error: { code: 413, message: 'Request body is too large' } });
    const invalid = await fetch(`${stack.baseUrl}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${stack.demoKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], temperature: 9 }) });
    expect(invalid.status).toBe(400);
    const body = (await invalid.json()) as { error: { message: string } };
    expect(body.error.message).toContain('temperature');
  });

  it('refuses a conversation too long for every endpoint with a 404 (no endpoint fits) that names the fix, and compresses it from the middle when asked (transforms: ["middle-out"])', async () => {
    const turn = 'lorem ipsum '.repeat(5_000); // 60,000 characters: about 15,000 tokens by the gateway's estimate
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'system', content: 'Be brief.' },
      ...Array.from({ length: 12 }, (_, index): OpenAI.ChatCompletionMessageParam => (index % 2 === 0 ? { role: 'user', content: `turn ${index}: ${turn}` } : { role: 'assistant', content: `turn ${index}: ${turn}` })),
      { role: 'user', content: 'So, in one word?' },
    ];
    const body = { model: 'openai/gpt-4o-mini', messages, max_tokens: 64 };
    const refused = await client.chat.completions.create(body).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.NotFoundError);
    expect((refused as InstanceType<typeof OpenAI.APIError>).message).toContain('middle-out');
    const metadata = (refused as InstanceType<typeof OpenAI.APIError>).error as { metadata: { availability: { constraint: { field: string; limit: number } } } };
    expect(metadata.metadata.availability.constraint).toMatchObject({ field: 'context_length', limit: 128_000 });

    const compressed = await client.chat.completions.create({ ...body, transforms: ['middle-out'] } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(compressed.choices[0]?.message.content?.length).toBeGreaterThan(0);
    // Turns were dropped from the middle until it fit; most of the conversation is still there.
    expect(compressed.usage!.prompt_tokens).toBeLessThanOrEqual(128_000 - 64);
    expect(compressed.usage!.prompt_tokens).toBeGreaterThan(90_000);
    spent = spent.plus(String((compressed.usage as unknown as { cost: number }).cost));
  });

  it("keeps Claude's 1,000-message limit when compression is asked for: the middle of a longer conversation goes", async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = Array.from({ length: 1_201 }, (_, index) => (index % 2 === 0 ? { role: 'user' as const, content: `turn ${index}` } : { role: 'assistant' as const, content: `reply ${index}` }));
    const compressed = (await client.chat.completions.create(
      { model: 'anthropic/claude-haiku-4.5', messages, max_tokens: 8, transforms: ['middle-out'] } as OpenAI.ChatCompletionCreateParamsNonStreaming,
      { headers: { 'X-OpenRouter-Metadata': 'enabled' } },
    )) as OpenAI.ChatCompletion & { openrouter_metadata: { pipeline: Array<{ type: string; data?: { dropped_messages?: number } }> } };
    expect(compressed.openrouter_metadata.pipeline).toContainEqual(expect.objectContaining({ type: 'context-compression', data: { dropped_messages: 201 } }));
    const whole = await client.chat.completions.create({ model: 'anthropic/claude-haiku-4.5', messages, max_tokens: 8 });
    expect(compressed.usage!.prompt_tokens).toBeLessThan(whole.usage!.prompt_tokens);
    for (const completion of [compressed, whole]) spent = spent.plus(String((completion.usage as OpenAI.CompletionUsage & { cost: number }).cost));
  });

  it('records the generation (metering) and debits the account (billing), visible in /generation, /key and /credits', async () => {
    const completion = await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'Account for me' }] });
    const cost = (completion.usage as unknown as { cost: number }).cost;
    spent = spent.plus(String(cost));
    const generation = await stack.generation(completion.id);
    expect(generation.id).toBe(completion.id);
    expect(formatMoney(generation.total_cost as number)).toBe(formatMoney(cost));
    expect(generation.tokens_completion).toBe(completion.usage?.completion_tokens);
    expect(typeof generation.gateway_overhead_ms).toBe('number');

    // Billing debits asynchronously (JetStream): the total usage converges to exactly what the clients were told.
    expect((await stack.demoUsageReaches(spent)).totalCredits).toBe(100);

    const key = (await (await fetch(`${stack.baseUrl}/key`, { headers: { authorization: `Bearer ${stack.demoKey}` } })).json()) as { data: { usage: number } };
    expect(formatMoney(String(key.data.usage))).toBe(formatMoney(spent));
  });
});
