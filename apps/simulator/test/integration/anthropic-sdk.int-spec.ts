import Anthropic from '@anthropic-ai/sdk';
import { expectedPromptTokens, fetchJson, startSimulator, type RunningSimulator, validatorOf } from './simulator-harness.js';

describe('Anthropic Messages wire format through the official @anthropic-ai/sdk', () => {
  let simulator: RunningSimulator;
  let client: Anthropic;

  beforeAll(async () => {
    simulator = await startSimulator();
    client = new Anthropic({ apiKey: 'any-key', baseURL: `${simulator.upstream}/anthropic`, maxRetries: 0 });
  });

  afterAll(async () => {
    await simulator.close();
  });

  const tools = [
    {
      name: 'get_weather',
      description: 'Weather for a city',
      input_schema: {
        type: 'object' as const,
        properties: { location: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
        required: ['location', 'unit'],
      },
    },
  ];

  it('creates a message with end_turn and predictable usage', async () => {
    const message = await client.messages.create({ model: 'anthropic/claude-haiku-4.5', max_tokens: 100, system: 'Be terse.', messages: [{ role: 'user', content: 'Hello Claude' }] });
    expect(message.type).toBe('message');
    expect(message.id).toMatch(/^msg_/);
    expect(message.stop_reason).toBe('end_turn');
    const block = message.content[0];
    expect(block.type === 'text' && block.text.split(' ')).toHaveLength(24);
    expect(message.usage).toMatchObject({ input_tokens: expectedPromptTokens('Be terse.', 'Hello Claude'), output_tokens: 24, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });
  });

  it('stops at max_tokens with stop_reason max_tokens', async () => {
    const message = await client.messages.create({ model: 'anthropic/claude-haiku-4.5', max_tokens: 3, messages: [{ role: 'user', content: 'Long answer please' }] });
    expect(message.stop_reason).toBe('max_tokens');
    expect(message.usage.output_tokens).toBe(3);
  });

  it('streams thinking (with a signature) then a tool_use whose input the SDK assembles from input_json_delta pieces', async () => {
    const events: string[] = [];
    const stream = client.messages.stream({
      model: 'anthropic/claude-sonnet-4.5',
      max_tokens: 2048,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      tools,
      messages: [{ role: 'user', content: 'What is the weather? call:get_weather' }],
    });
    stream.on('streamEvent', (event) => {
      events.push(event.type === 'content_block_delta' ? `delta:${event.delta.type}` : event.type);
    });
    const message = await stream.finalMessage();
    expect(events[0]).toBe('message_start');
    expect(events).toContain('delta:thinking_delta');
    expect(events).toContain('delta:signature_delta');
    expect(events.filter((event) => event === 'delta:input_json_delta').length).toBeGreaterThan(2);
    expect(events.slice(-2)).toEqual(['message_delta', 'message_stop']);

    expect(message.stop_reason).toBe('tool_use');
    const [thinking, toolUse] = message.content;
    if (thinking.type !== 'thinking' || toolUse.type !== 'tool_use') throw new Error(`unexpected blocks ${message.content.map((block) => block.type)}`);
    expect(thinking.thinking.split(' ')).toHaveLength(16);
    expect(thinking.signature.length).toBeGreaterThan(20);
    expect(toolUse.id).toMatch(/^toolu_/);
    expect(toolUse.name).toBe('get_weather');
    expect(validatorOf(tools[0].input_schema).safeParse(toolUse.input).success).toBe(true);
    expect(message.usage.output_tokens).toBe(16 + Math.ceil(JSON.stringify(toolUse.input).length / 4));

    // The same request, not streamed, gives the same blocks.
    const whole = await client.messages.create({
      model: 'anthropic/claude-sonnet-4.5',
      max_tokens: 2048,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      tools,
      messages: [{ role: 'user', content: 'What is the weather? call:get_weather' }],
    });
    expect(whole.content).toEqual(message.content);

    // After the tool result, the answer is text.
    const followUp = await client.messages.create({
      model: 'anthropic/claude-sonnet-4.5',
      max_tokens: 2048,
      tools,
      tool_choice: { type: 'any' },
      messages: [
        { role: 'user', content: 'What is the weather? call:get_weather' },
        { role: 'assistant', content: [toolUse] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: 'sunny, 21C' }] },
      ],
    });
    expect(followUp.stop_reason).toBe('end_turn');
    expect(followUp.content[0].type).toBe('text');
  });

  it('streams text deltas that add up to the non-streamed text', async () => {
    const params = { model: 'anthropic/claude-haiku-4.5', max_tokens: 50, messages: [{ role: 'user' as const, content: 'Stream it' }] };
    const whole = await client.messages.create(params);
    const stream = client.messages.stream(params);
    let text = '';
    stream.on('text', (delta) => (text += delta));
    const final = await stream.finalMessage();
    expect(text).toBe(whole.content[0].type === 'text' ? whole.content[0].text : '');
    expect(final.usage).toMatchObject({ input_tokens: whole.usage.input_tokens, output_tokens: 24 });
  });

  it('writes a cache_control prefix on first use and reads it afterwards', async () => {
    const system = [{ type: 'text' as const, text: 'A long, stable system prompt. '.repeat(40), cache_control: { type: 'ephemeral' as const } }];
    const first = await client.messages.create({ model: 'anthropic/claude-haiku-4.5', max_tokens: 10, system, messages: [{ role: 'user', content: 'First question' }] });
    const second = await client.messages.create({ model: 'anthropic/claude-haiku-4.5', max_tokens: 10, system, messages: [{ role: 'user', content: 'Second question' }] });
    const firstPrompt = expectedPromptTokens(system[0].text, 'First question');
    expect(first.usage).toMatchObject({ cache_creation_input_tokens: Math.floor(firstPrompt / 2), cache_read_input_tokens: 0, input_tokens: firstPrompt - Math.floor(firstPrompt / 2) });
    const secondPrompt = expectedPromptTokens(system[0].text, 'Second question');
    expect(second.usage).toMatchObject({ cache_creation_input_tokens: 0, cache_read_input_tokens: Math.floor(secondPrompt / 2) });
  });

  it('answers JSON valid against output_format json_schema', async () => {
    const schema = { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer', minimum: 0, maximum: 120 } }, required: ['name', 'age'], additionalProperties: false };
    const response = await fetchJson(`${simulator.upstream}/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude', max_tokens: 200, output_format: { type: 'json_schema', schema }, messages: [{ role: 'user', content: 'Who?' }] }),
    });
    const message = await response.json();
    expect(validatorOf(schema).safeParse(JSON.parse(message.content[0].text)).success).toBe(true);
  });

  it("answers errors in Anthropic's shape: missing key, missing anthropic-version, invalid body", async () => {
    const noKey = await fetchJson(`${simulator.upstream}/anthropic/v1/messages`, { method: 'POST', headers: { 'anthropic-version': '2023-06-01' }, body: '{}' });
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    const noVersion = await fetchJson(`${simulator.upstream}/anthropic/v1/messages`, { method: 'POST', headers: { 'x-api-key': 'k' }, body: '{}' });
    expect(noVersion.status).toBe(400);
    expect(await noVersion.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' } });
    const invalid = await client.messages.create({ model: 'claude', max_tokens: 0, messages: [{ role: 'user', content: 'x' }] }).catch((error: unknown) => error);
    expect(invalid).toBeInstanceOf(Anthropic.BadRequestError);
    expect(invalid).toMatchObject({ status: 400, error: { type: 'error', error: { type: 'invalid_request_error' } } });
  });
});
