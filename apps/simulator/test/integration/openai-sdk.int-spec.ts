import OpenAI, { AzureOpenAI } from 'openai';
import { expectedPromptTokens, fetchJson, startSimulator, type RunningSimulator, validatorOf } from './simulator-harness.js';

const API_KEY = 'sim-test-key';

describe('OpenAI wire format through the official openai SDK (v6)', () => {
  let simulator: RunningSimulator;
  let client: OpenAI;

  beforeAll(async () => {
    simulator = await startSimulator({ SIMULATOR_API_KEY: API_KEY });
    client = new OpenAI({ apiKey: API_KEY, baseURL: `${simulator.upstream}/openai/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await simulator.close();
  });

  it('answers a chat completion deterministically with predictable usage', async () => {
    const request = { model: 'openai/gpt-4o-mini', messages: [{ role: 'system' as const, content: 'Be brief.' }, { role: 'user' as const, content: 'What is a switchyard?' }] };
    const first = await client.chat.completions.create(request);
    const second = await client.chat.completions.create(request);
    expect(first.object).toBe('chat.completion');
    expect(first.choices[0].finish_reason).toBe('stop');
    expect(first.choices[0].message.content?.split(' ')).toHaveLength(24);
    expect(second.choices[0].message.content).toBe(first.choices[0].message.content);
    expect(second.id).not.toBe(first.id);
    expect(first.usage).toMatchObject({
      prompt_tokens: expectedPromptTokens('Be brief.', 'What is a switchyard?'),
      completion_tokens: 24,
      total_tokens: expectedPromptTokens('Be brief.', 'What is a switchyard?') + 24,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
  });

  it('streams the same answer, ending with a usage-only chunk (choices: []) when include_usage is set', async () => {
    const messages = [{ role: 'user' as const, content: 'Stream please' }];
    const whole = await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages, max_tokens: 10 });
    const stream = await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages, max_tokens: 10, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe(whole.choices[0].message.content);
    expect(chunks.filter((chunk) => (chunk.choices[0]?.delta.content ?? '') !== '').length).toBe(10);
    const finish = chunks.find((chunk) => chunk.choices[0]?.finish_reason);
    expect(finish?.choices[0].finish_reason).toBe('length');
    const last = chunks[chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: expectedPromptTokens('Stream please'), completion_tokens: 10 });
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);

    const withoutUsage = await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages, stream: true });
    const plain = [];
    for await (const chunk of withoutUsage) plain.push(chunk);
    expect(plain.every((chunk) => chunk.usage === undefined && chunk.choices.length === 1)).toBe(true);
  });

  const weatherTool = {
    type: 'function' as const,
    function: {
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: {
        type: 'object',
        properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] }, days: { type: 'integer', minimum: 1, maximum: 7 } },
        required: ['city', 'unit'],
        additionalProperties: false,
      },
    },
  };

  it('calls a tool on tool_choice required, with schema-valid arguments, then answers text after the tool result', async () => {
    const completion = await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'Weather in Oslo?' }], tools: [weatherTool], tool_choice: 'required' });
    const choice = completion.choices[0];
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const call = choice.message.tool_calls?.[0];
    if (!call || call.type !== 'function') throw new Error('expected a function call');
    expect(call.id).toMatch(/^call_/);
    const args = JSON.parse(call.function.arguments);
    expect(validatorOf(weatherTool.function.parameters).safeParse(args).success).toBe(true);
    expect(completion.usage?.completion_tokens).toBe(Math.ceil(call.function.arguments.length / 4));

    const followUp = await client.chat.completions.create({
      model: 'openai/gpt-4o-mini',
      tools: [weatherTool],
      tool_choice: 'required',
      messages: [{ role: 'user', content: 'Weather in Oslo?' }, choice.message, { role: 'tool', tool_call_id: call.id, content: '{"temp": 3}' }],
    });
    expect(followUp.choices[0].finish_reason).toBe('stop');
    expect(followUp.choices[0].message.content).toBeTruthy();
  });

  it('streams a call:<tool> marker as argument deltas in several pieces that the SDK assembles', async () => {
    const stream = client.chat.completions.stream({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'Please call:get_weather for Oslo' }], tools: [weatherTool], stream_options: { include_usage: true } });
    let argumentDeltas = 0;
    stream.on('chunk', (chunk) => {
      if (chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments) argumentDeltas++;
    });
    const final = await stream.finalChatCompletion();
    const call = final.choices[0].message.tool_calls?.[0];
    if (!call || call.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_weather');
    expect(argumentDeltas).toBeGreaterThan(1);
    expect(validatorOf(weatherTool.function.parameters).safeParse(JSON.parse(call.function.arguments)).success).toBe(true);
    expect(final.choices[0].finish_reason).toBe('tool_calls');
  });

  it('answers JSON valid against a json_schema response format, and an object for json_object', async () => {
    const schema = {
      type: 'object',
      properties: { title: { type: 'string', minLength: 3 }, score: { type: 'number', minimum: 0, maximum: 10 }, tags: { type: 'array', items: { type: 'string' }, minItems: 1 } },
      required: ['title', 'score', 'tags'],
      additionalProperties: false,
    };
    const completion = await client.chat.completions.create({
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'Rate this' }],
      response_format: { type: 'json_schema', json_schema: { name: 'rating', schema, strict: true } },
    });
    expect(validatorOf(schema).safeParse(JSON.parse(completion.choices[0].message.content ?? '')).success).toBe(true);
    const object = await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'JSON' }], response_format: { type: 'json_object' } });
    expect(typeof JSON.parse(object.choices[0].message.content ?? '')).toBe('object');
  });

  it('reasons on reasoning_effort: reasoning text and reasoning tokens, streamed as delta.reasoning', async () => {
    const completion = await client.chat.completions.create({ model: 'deepseek/deepseek-r1', messages: [{ role: 'user', content: 'Think' }], reasoning_effort: 'low' });
    const message = completion.choices[0].message as typeof completion.choices[0]['message'] & { reasoning?: string; reasoning_details?: Array<{ signature?: string }> };
    expect(message.reasoning?.split(' ')).toHaveLength(16);
    expect(message.reasoning_details?.[0].signature).toBeTruthy();
    expect(completion.usage).toMatchObject({ completion_tokens: 40, completion_tokens_details: { reasoning_tokens: 16 } });

    const stream = await client.chat.completions.create({ model: 'deepseek/deepseek-r1', messages: [{ role: 'user', content: 'Think' }], reasoning_effort: 'low', stream: true, stream_options: { include_usage: true } });
    let reasoning = '';
    let usage;
    for await (const chunk of stream) {
      reasoning += (chunk.choices[0]?.delta as { reasoning?: string } | undefined)?.reasoning ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(reasoning).toBe(message.reasoning);
    expect(usage).toMatchObject({ completion_tokens_details: { reasoning_tokens: 16 } });
  });

  it('reports cached tokens when the request carries a prompt_cache_key', async () => {
    const content = 'x'.repeat(400);
    const completion = await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content }], prompt_cache_key: 'conversation-1' });
    const prompt = expectedPromptTokens(content);
    expect(completion.usage).toMatchObject({ prompt_tokens: prompt, prompt_tokens_details: { cached_tokens: Math.floor(prompt * 0.5) } });
  });

  it('embeds into deterministic unit vectors (base64 by default through the SDK, floats on request, dimensions honoured)', async () => {
    const viaBase64 = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta gamma'] });
    expect(viaBase64.data).toHaveLength(2);
    expect(viaBase64.usage).toEqual({ prompt_tokens: 2 + 3, total_tokens: 5 });
    const vector = viaBase64.data[0].embedding;
    expect(vector).toHaveLength(8);
    expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
    const viaFloat = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'alpha', encoding_format: 'float' });
    expect(viaFloat.data[0].embedding).toEqual(vector);
    const wide = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'alpha', dimensions: 32 });
    expect(wide.data[0].embedding).toHaveLength(32);
    expect(wide.data[0].embedding).not.toEqual(viaBase64.data[1].embedding);
  });

  it('serves legacy completions, streamed and not', async () => {
    const completion = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say hi', max_tokens: 5 });
    expect(completion.object).toBe('text_completion');
    expect(completion.choices[0].finish_reason).toBe('length');
    expect(completion.usage).toEqual({ prompt_tokens: 2, completion_tokens: 5, total_tokens: 7 });
    const stream = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say hi', max_tokens: 5, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(completion.choices[0].text);
    expect(usage).toEqual(completion.usage);
  });

  it('lists models', async () => {
    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toContain('openai/gpt-4o-mini');
  });

  it('rejects a wrong key with OpenAI’s 401 and bad input with a 400 naming the parameter', async () => {
    const wrong = new OpenAI({ apiKey: 'wrong', baseURL: `${simulator.upstream}/openai/v1`, maxRetries: 0 });
    const denied = await wrong.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).catch((error: unknown) => error);
    expect(denied).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(denied).toMatchObject({ status: 401, code: 'invalid_api_key', type: 'invalid_request_error' });

    const invalid = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: -1 }).catch((error: unknown) => error);
    expect(invalid).toBeInstanceOf(OpenAI.BadRequestError);
    expect(invalid).toMatchObject({ status: 400, param: 'max_tokens', type: 'invalid_request_error' });

    const malformed = await fetchJson(`${simulator.upstream}/openai/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}` }, body: '{"model":' });
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error.type).toBe('invalid_request_error');
  });

  it('speaks Azure OpenAI through AzureOpenAI: deployment path, api-key header, api-version, content filter results', async () => {
    const azure = new AzureOpenAI({ apiKey: API_KEY, endpoint: `${simulator.upstream}/azure`, apiVersion: '2024-10-21', deployment: 'gpt-4o-mini', maxRetries: 0 });
    const completion = await azure.chat.completions.create({ model: 'ignored', messages: [{ role: 'user', content: 'Hello Azure' }] });
    expect(completion.model).toBe('gpt-4o-mini');
    expect(completion.usage?.prompt_tokens).toBe(expectedPromptTokens('Hello Azure'));
    expect((completion as unknown as { prompt_filter_results: unknown[] }).prompt_filter_results).toHaveLength(1);
    const openAiAnswer = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello Azure' }] });
    expect(completion.choices[0].message.content).toBe(openAiAnswer.choices[0].message.content);

    const stream = await azure.chat.completions.create({ model: 'ignored', messages: [{ role: 'user', content: 'Hello Azure' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(completion.choices[0].message.content);
    expect(usage).toMatchObject({ completion_tokens: 24 });

    const embeddings = await azure.embeddings.create({ model: 'ignored', input: 'alpha' });
    expect(embeddings.data[0].embedding).toHaveLength(8);

    const wrong = new AzureOpenAI({ apiKey: 'wrong', endpoint: `${simulator.upstream}/azure`, apiVersion: '2024-10-21', deployment: 'gpt-4o-mini', maxRetries: 0 });
    await expect(wrong.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 401, error: { code: '401' } });

    const noVersion = await fetchJson(`${simulator.upstream}/azure/openai/deployments/gpt-4o-mini/chat/completions`, { method: 'POST', headers: { 'api-key': API_KEY }, body: '{}' });
    expect(noVersion.status).toBe(404);
  });

  it('bills exactly the usage it returned', async () => {
    await simulator.reset();
    const first = await client.chat.completions.create({ model: 'billing/model', messages: [{ role: 'user', content: 'one' }] });
    const stream = await client.chat.completions.create({ model: 'billing/model', messages: [{ role: 'user', content: 'two' }], reasoning_effort: 'high', stream: true, stream_options: { include_usage: true } });
    let streamed;
    for await (const chunk of stream) if (chunk.usage) streamed = chunk.usage;
    const usage = (await simulator.usage()).models['billing/model'];
    expect(usage).toMatchObject({
      requests: 2,
      completed: 2,
      promptTokens: first.usage!.prompt_tokens + streamed!.prompt_tokens,
      completionTokens: first.usage!.completion_tokens + streamed!.completion_tokens,
      reasoningTokens: 16,
      reported: { responses: 2, completionTokens: first.usage!.completion_tokens + streamed!.completion_tokens },
    });
  });
});
