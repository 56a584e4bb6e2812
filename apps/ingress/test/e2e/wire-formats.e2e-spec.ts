import { jest } from '@jest/globals';
import OpenAI from 'openai';
import { Decimal, formatMoney } from '@switchyard/money';
import { waitFor } from '@switchyard/nest-kit/testing';
import { z } from 'zod';
import { Stack } from './stack.js';

/**
 * Issue 3, end to end: one model per wire format (OpenAI-compatible, Anthropic Messages, Gemini, Azure OpenAI),
 * routed through the gateway's real processes to the simulator's matching upstream, driven with the official
 * openai SDK. Every answer's usage must equal what the simulator billed for that very request (its per-model
 * ledger, diffed around the request), and `usage.cost` must equal those tokens times the endpoint's catalog price
 * (read from the public `/models/{author}/{slug}/endpoints`), to the last decimal.
 */
jest.setTimeout(90_000);

interface WireFormat {
  label: string;
  /** Catalog provider slug (`provider.only` pins the planner to it). */
  provider: string;
  providerName: string;
  model: string;
  /** The model as the simulator sees it: its ledger and knob key. */
  upstream: string;
  reasoningModel: string;
  reasoningUpstream: string;
  /**
   * The wire reports reasoning tokens apart. Anthropic's Messages usage has no such field (thinking is inside
   * `output_tokens`), so there only the completion total can be checked.
   */
  reportsReasoningTokens: boolean;
  /** Caching is asked with `cache_control` (explicit caches); otherwise implicit caching, set on the simulator's knob. */
  explicitCache: boolean;
}

const FORMATS: WireFormat[] = [
  {
    label: 'OpenAI-compatible',
    provider: 'simulator',
    providerName: 'Switchyard Simulator',
    model: 'openai/gpt-4o-mini',
    upstream: 'openai/gpt-4o-mini',
    reasoningModel: 'deepseek/deepseek-r1',
    reasoningUpstream: 'deepseek/deepseek-r1',
    reportsReasoningTokens: true,
    explicitCache: true,
  },
  {
    label: 'Anthropic Messages',
    provider: 'simulator-anthropic',
    providerName: 'Switchyard Simulator (Anthropic wire format)',
    model: 'anthropic/claude-sonnet-4.5',
    upstream: 'claude-sonnet-4-5',
    reasoningModel: 'anthropic/claude-sonnet-4.5',
    reasoningUpstream: 'claude-sonnet-4-5',
    reportsReasoningTokens: false,
    explicitCache: true,
  },
  {
    label: 'Google Gemini',
    provider: 'simulator-gemini',
    providerName: 'Switchyard Simulator (Gemini wire format)',
    model: 'google/gemini-2.5-flash',
    upstream: 'gemini-2.5-flash',
    reasoningModel: 'google/gemini-2.5-flash',
    reasoningUpstream: 'gemini-2.5-flash',
    reportsReasoningTokens: true,
    explicitCache: false,
  },
  {
    label: 'Azure OpenAI',
    provider: 'simulator-azure',
    providerName: 'Switchyard Simulator (Azure OpenAI wire format)',
    model: 'openai/gpt-4.1-nano',
    upstream: 'gpt-4.1-nano',
    reasoningModel: 'openai/o4-mini',
    reasoningUpstream: 'o4-mini',
    reportsReasoningTokens: true,
    explicitCache: false,
  },
];

interface GatewayUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  completion_tokens_details: { reasoning_tokens: number };
  cost: number;
  is_byok: boolean;
}

interface Pricing {
  prompt: string;
  completion: string;
  request?: string;
  input_cache_read?: string;
  input_cache_write?: string;
}

/** One model's counters in the simulator's `GET /admin/usage`. */
interface Billed {
  requests: number;
  completed: number;
  promptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
}

const NO_USAGE: Billed = { requests: 0, completed: 0, promptTokens: 0, completionTokens: 0, reasoningTokens: 0, cachedTokens: 0, cacheWriteTokens: 0 };

type Message = OpenAI.ChatCompletionMessageParam & { reasoning_details?: unknown[] };
type ExtendedBody = Omit<OpenAI.ChatCompletionCreateParamsNonStreaming, 'messages'> & {
  messages: Message[];
  provider?: { only: string[] };
  reasoning?: { effort?: string; max_tokens?: number };
};
interface AssistantMessage {
  content: string | null;
  reasoning?: string | null;
  reasoning_details?: Array<{ type: string; text?: string; signature?: string; data?: string; format?: string }>;
  tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
}

/** A completed exchange, streamed or not, in one shape. */
interface Exchange {
  id: string;
  provider: string;
  model: string;
  message: AssistantMessage;
  finishReason: string | null;
  usage: GatewayUsage;
  /** Streams only: chunk ids, content chunks. */
  chunkIds?: Set<string>;
  contentChunks?: number;
}

const WEATHER_TOOL: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string', minLength: 1 }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] }, days: { type: 'integer', minimum: 1, maximum: 7 } },
      required: ['city', 'unit', 'days'],
      additionalProperties: false,
    },
  },
};
const TIME_TOOL: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_time',
    description: 'Local time in a time zone',
    parameters: { type: 'object', properties: { zone: { type: 'string', enum: ['UTC', 'CET', 'PST'] } }, required: ['zone'], additionalProperties: false },
  },
};
const PERSON_SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 2 },
    age: { type: 'integer', minimum: 18, maximum: 99 },
    role: { type: 'string', enum: ['engineer', 'designer', 'manager'] },
    skills: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 3 },
  },
  required: ['name', 'age', 'role', 'skills'],
  additionalProperties: false,
};

function validatorOf(schema: unknown): z.ZodType {
  return z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
}

/** The simulator's token rule for chat prompts (apps/simulator README), restated: 3 + Σ (4 + ceil(chars / 4)). */
function promptTokens(...messageCharacters: number[]): number {
  return 3 + messageCharacters.reduce((sum, characters) => sum + 4 + Math.ceil(characters / 4), 0);
}

type ReasoningDetail = NonNullable<AssistantMessage['reasoning_details']>[number] & { index?: number };

/**
 * Streamed reasoning_details arrive in pieces sharing an index (text deltas, then the signature); a client folds
 * them into one detail per index before replaying them, as OpenRouter's streaming guide says.
 */
function mergeDetails(target: ReasoningDetail[], pieces: ReasoningDetail[]): void {
  for (const piece of pieces) {
    const existing = target.find((detail) => detail.index === piece.index && detail.type === piece.type);
    if (!existing) {
      target.push({ ...piece });
      continue;
    }
    if (piece.text) existing.text = (existing.text ?? '') + piece.text;
    if (piece.data) existing.data = (existing.data ?? '') + piece.data;
    if (piece.signature) existing.signature = piece.signature;
    if (piece.format) existing.format = piece.format;
  }
}

/** Tokens × the endpoint's prices, exactly: plain prompt, cache reads and writes at their own prices, completion. */
function expectedCost(usage: GatewayUsage, pricing: Pricing): Decimal {
  const cached = usage.prompt_tokens_details.cached_tokens;
  const written = usage.prompt_tokens_details.cache_write_tokens;
  return new Decimal(usage.prompt_tokens - cached - written)
    .times(pricing.prompt)
    .plus(new Decimal(cached).times(pricing.input_cache_read ?? pricing.prompt))
    .plus(new Decimal(written).times(pricing.input_cache_write ?? pricing.prompt))
    .plus(new Decimal(usage.completion_tokens).times(pricing.completion))
    .plus(new Decimal(pricing.request ?? '0'));
}

describe('every wire format end to end through the simulator: tools, JSON schema, reasoning, exact usage and cost', () => {
  const stack = new Stack();
  let client: OpenAI;
  const prices = new Map<string, Pricing>();
  /** Every usage.cost received: the account's debit must converge to exactly this. */
  let spent = new Decimal(0);

  beforeAll(async () => {
    await stack.start();
    client = new OpenAI({ baseURL: stack.baseUrl, apiKey: stack.demoKey, maxRetries: 0 });
  }, 150_000);

  afterAll(async () => {
    await stack.stop();
  });

  async function ledger(upstream: string): Promise<Billed> {
    const { status, body } = await stack.admin('simulator', 'GET', '/admin/usage');
    expect(status).toBe(200);
    return (body.models[upstream] as Billed | undefined) ?? NO_USAGE;
  }

  /** Runs one gateway request and returns what the simulator billed for it (exactly one upstream request). */
  async function billedFor<T>(upstream: string, action: () => Promise<T>): Promise<{ result: T; billed: Billed }> {
    const before = await ledger(upstream);
    const result = await action();
    const after = await waitFor(async () => {
      const now = await ledger(upstream);
      return now.requests > before.requests ? now : undefined;
    }, { timeoutMs: 5_000, message: `the simulator billed ${upstream}` });
    expect(after.requests - before.requests).toBe(1);
    expect(after.completed - before.completed).toBe(1);
    const billed = { ...NO_USAGE };
    for (const key of Object.keys(NO_USAGE) as Array<keyof Billed>) billed[key] = after[key] - before[key];
    return { result, billed };
  }

  /** The endpoint's catalog price, as the public endpoints listing shows it. */
  async function priceOf(model: string, provider: string): Promise<Pricing> {
    const key = `${model}@${provider}`;
    const known = prices.get(key);
    if (known) return known;
    const response = await fetch(`${stack.baseUrl}/models/${model}/endpoints`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: { endpoints: Array<{ tag: string; pricing: Pricing }> } };
    const endpoint = body.data.endpoints.find((candidate) => candidate.tag === provider);
    if (!endpoint) throw new Error(`${model} has no ${provider} endpoint in the public listing`);
    prices.set(key, endpoint.pricing);
    return endpoint.pricing;
  }

  function body(format: WireFormat, model: string, messages: Message[], extra: Partial<ExtendedBody> = {}): ExtendedBody {
    return { model, messages, provider: { only: [format.provider] }, ...extra };
  }

  async function complete(request: ExtendedBody): Promise<Exchange> {
    const completion = await client.chat.completions.create(request as OpenAI.ChatCompletionCreateParamsNonStreaming);
    const choice = completion.choices[0]!;
    return {
      id: completion.id,
      provider: (completion as unknown as { provider: string }).provider,
      model: completion.model,
      message: choice.message as unknown as AssistantMessage,
      finishReason: choice.finish_reason,
      usage: completion.usage as unknown as GatewayUsage,
    };
  }

  /** Streams and reassembles the message the way a client does: content, reasoning, details and tool calls from deltas. */
  async function stream(request: ExtendedBody): Promise<Exchange> {
    const chunks = await client.chat.completions.create({ ...(request as OpenAI.ChatCompletionCreateParamsNonStreaming), stream: true });
    const message: AssistantMessage = { content: null };
    const calls = new Map<number, { id: string; type: 'function'; function: { name: string; arguments: string } }>();
    let finishReason: string | null = null;
    let usage: GatewayUsage | undefined;
    let exchange: Pick<Exchange, 'id' | 'provider' | 'model'> | undefined;
    const chunkIds = new Set<string>();
    let contentChunks = 0;
    let finishes = 0;
    for await (const chunk of chunks) {
      chunkIds.add(chunk.id);
      exchange ??= { id: chunk.id, provider: (chunk as unknown as { provider: string }).provider, model: chunk.model };
      if (chunk.usage) {
        // The usage chunk is the last one, with no choices.
        expect(chunk.choices).toEqual([]);
        expect(usage).toBeUndefined();
        usage = chunk.usage as unknown as GatewayUsage;
      }
      for (const choice of chunk.choices) {
        expect(usage).toBeUndefined();
        const delta = choice.delta as AssistantMessage & { tool_calls?: Array<{ index: number; id?: string; function?: { name?: string; arguments?: string } }> };
        if (delta.content) {
          message.content = (message.content ?? '') + delta.content;
          contentChunks++;
        }
        if (delta.reasoning) message.reasoning = (message.reasoning ?? '') + delta.reasoning;
        if (delta.reasoning_details) mergeDetails((message.reasoning_details ??= []), delta.reasoning_details);
        for (const call of delta.tool_calls ?? []) {
          const entry = calls.get(call.index) ?? { id: '', type: 'function' as const, function: { name: '', arguments: '' } };
          if (call.id) entry.id = call.id;
          if (call.function?.name) entry.function.name += call.function.name;
          if (call.function?.arguments) entry.function.arguments += call.function.arguments;
          calls.set(call.index, entry);
        }
        if (choice.finish_reason) {
          finishReason = choice.finish_reason;
          finishes++;
        }
      }
    }
    expect(finishes).toBe(1);
    if (!usage || !exchange) throw new Error('the stream ended without a usage chunk');
    if (calls.size > 0) message.tool_calls = [...calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
    return { ...exchange, message, finishReason, usage, chunkIds, contentChunks };
  }

  /** Usage equals the simulator's bill for the request; cost equals those tokens at the endpoint's catalog price. */
  async function expectExactCharge(format: WireFormat, exchange: Exchange, billed: Billed, model = format.model): Promise<void> {
    const usage = exchange.usage;
    expect(exchange.provider).toBe(format.providerName);
    expect(usage.prompt_tokens).toBe(billed.promptTokens);
    expect(usage.completion_tokens).toBe(billed.completionTokens);
    expect(usage.total_tokens).toBe(billed.promptTokens + billed.completionTokens);
    expect(usage.prompt_tokens_details.cached_tokens).toBe(billed.cachedTokens);
    expect(usage.prompt_tokens_details.cache_write_tokens).toBe(billed.cacheWriteTokens);
    if (format.reportsReasoningTokens) expect(usage.completion_tokens_details.reasoning_tokens).toBe(billed.reasoningTokens);
    expect(usage.is_byok).toBe(false);
    const pricing = await priceOf(model, format.provider);
    const expected = expectedCost(usage, pricing);
    expect(expected.gt(0)).toBe(true);
    expect(formatMoney(usage.cost)).toBe(formatMoney(expected));
    spent = spent.plus(String(usage.cost));
  }

  describe.each(FORMATS)('$label ($provider)', (format) => {
    it('answers text, non-streaming and streaming, with the same deterministic text and exact usage and cost', async () => {
      const messages: Message[] = [{ role: 'user', content: `Describe the ${format.label} wire format` }];
      const whole = await billedFor(format.upstream, () => complete(body(format, format.model, messages)));
      expect(whole.result.id).toMatch(/^gen-/);
      expect(whole.result.model).toBe(format.model);
      expect(whole.result.finishReason).toBe('stop');
      expect(whole.result.message.content?.split(' ')).toHaveLength(24);
      expect(whole.billed.promptTokens).toBe(promptTokens(messages[0]!.content!.length));
      await expectExactCharge(format, whole.result, whole.billed);

      const streamed = await billedFor(format.upstream, () => stream(body(format, format.model, messages)));
      expect(streamed.result.chunkIds).toEqual(new Set([streamed.result.id]));
      expect(streamed.result.contentChunks).toBeGreaterThan(1);
      expect(streamed.result.message.content).toBe(whole.result.message.content);
      expect(streamed.result.finishReason).toBe('stop');
      await expectExactCharge(format, streamed.result, streamed.billed);

      // max_tokens cuts the answer: finish_reason "length", billed for exactly what was generated.
      const cut = await billedFor(format.upstream, () => complete(body(format, format.model, messages, { max_tokens: 5 })));
      expect(cut.result.finishReason).toBe('length');
      expect(cut.result.message.content?.split(' ')).toHaveLength(5);
      expect(cut.billed.completionTokens).toBe(5);
      await expectExactCharge(format, cut.result, cut.billed);
    });

    it('round-trips tools: a named tool_choice, a streamed call asked by call:<name> with schema-valid arguments, then the tool result answered in text', async () => {
      const tools = [WEATHER_TOOL, TIME_TOOL];
      const forced = await billedFor(format.upstream, () =>
        complete(body(format, format.model, [{ role: 'user', content: 'What time is it?' }], { tools, tool_choice: { type: 'function', function: { name: 'get_time' } } })),
      );
      expect(forced.result.finishReason).toBe('tool_calls');
      expect(forced.result.message.tool_calls).toHaveLength(1);
      expect(forced.result.message.tool_calls![0]!.function.name).toBe('get_time');
      expect(validatorOf(TIME_TOOL.function.parameters).safeParse(JSON.parse(forced.result.message.tool_calls![0]!.function.arguments)).success).toBe(true);
      await expectExactCharge(format, forced.result, forced.billed);

      const question: Message = { role: 'user', content: 'Will it rain in Lisbon this week? call:get_weather' };
      const streamed = await billedFor(format.upstream, () => stream(body(format, format.model, [question], { tools })));
      expect(streamed.result.finishReason).toBe('tool_calls');
      const calls = streamed.result.message.tool_calls ?? [];
      expect(calls).toHaveLength(1);
      const call = calls[0]!;
      expect(call.id.length).toBeGreaterThan(0);
      expect(call.function.name).toBe('get_weather');
      const parsed = validatorOf(WEATHER_TOOL.function.parameters).safeParse(JSON.parse(call.function.arguments));
      expect(parsed.success).toBe(true);
      await expectExactCharge(format, streamed.result, streamed.billed);

      // Turn two: the assistant's call and its result go back; the answer is text.
      const result = 'Rain on Tuesday and Wednesday, 14 degrees.';
      const followUp: Message[] = [question, { role: 'assistant', content: null, tool_calls: calls }, { role: 'tool', tool_call_id: call.id, content: result }];
      const answered = await billedFor(format.upstream, () => complete(body(format, format.model, followUp, { tools })));
      expect(answered.result.finishReason).toBe('stop');
      expect(answered.result.message.tool_calls ?? []).toEqual([]);
      expect(answered.result.message.content?.split(' ')).toHaveLength(24);
      // The call and the result reached the upstream: the prompt counts them.
      expect(answered.billed.promptTokens).toBeGreaterThan(streamed.billed.promptTokens + Math.ceil(result.length / 4));
      await expectExactCharge(format, answered.result, answered.billed);
    });

    it('answers response_format json_schema with valid JSON matching the schema, non-streaming and streaming', async () => {
      const responseFormat = { type: 'json_schema' as const, json_schema: { name: 'person', strict: true, schema: PERSON_SCHEMA } };
      const messages: Message[] = [{ role: 'user', content: 'Invent a team member' }];
      const whole = await billedFor(format.upstream, () => complete(body(format, format.model, messages, { response_format: responseFormat })));
      expect(whole.result.finishReason).toBe('stop');
      expect(whole.result.message.tool_calls ?? []).toEqual([]);
      const person = JSON.parse(whole.result.message.content ?? '') as unknown;
      expect(validatorOf(PERSON_SCHEMA).safeParse(person).success).toBe(true);
      await expectExactCharge(format, whole.result, whole.billed);

      const streamed = await billedFor(format.upstream, () => stream(body(format, format.model, messages, { response_format: responseFormat })));
      expect(streamed.result.finishReason).toBe('stop');
      expect(validatorOf(PERSON_SCHEMA).safeParse(JSON.parse(streamed.result.message.content ?? '')).success).toBe(true);
      expect(JSON.parse(streamed.result.message.content ?? '')).toEqual(person);
      await expectExactCharge(format, streamed.result, streamed.billed);
    });

    it('returns reasoning and reasoning_details for reasoning.effort (non-streaming) and reasoning.max_tokens (streaming)', async () => {
      const messages: Message[] = [{ role: 'user', content: 'Think it through: which route is shorter?' }];
      const effort = await billedFor(format.reasoningUpstream, () => complete(body(format, format.reasoningModel, messages, { reasoning: { effort: 'low' } })));
      expect(effort.result.finishReason).toBe('stop');
      expect(effort.billed.reasoningTokens).toBeGreaterThan(0);
      const reasoning = effort.result.message.reasoning ?? '';
      expect(reasoning.split(' ')).toHaveLength(effort.billed.reasoningTokens);
      const details = effort.result.message.reasoning_details ?? [];
      expect(details.filter((detail) => detail.type === 'reasoning.text').map((detail) => detail.text).join('')).toBe(reasoning);
      expect(effort.result.message.content?.split(' ')).toHaveLength(24);
      expect(effort.billed.completionTokens).toBe(24 + effort.billed.reasoningTokens);
      await expectExactCharge(format, effort.result, effort.billed, format.reasoningModel);

      const budget = await billedFor(format.reasoningUpstream, () => stream(body(format, format.reasoningModel, messages, { reasoning: { max_tokens: 1200 } })));
      expect(budget.result.finishReason).toBe('stop');
      expect(budget.billed.reasoningTokens).toBeGreaterThan(0);
      expect(budget.result.message.reasoning?.split(' ')).toHaveLength(budget.billed.reasoningTokens);
      expect(budget.result.message.reasoning_details?.length).toBeGreaterThan(0);
      expect(budget.result.message.content).toBe(effort.result.message.content);
      await expectExactCharge(format, budget.result, budget.billed, format.reasoningModel);
    });

    it('reports cached prompt tokens and bills them at the cache prices', async () => {
      const system = `You are the ${format.label} concierge. ${'Answer with care and cite the timetable. '.repeat(12)}`;
      let messages: Message[];
      if (format.explicitCache) {
        messages = [{ role: 'system', content: [{ type: 'text', text: system, cache_control: { type: 'ephemeral' } } as OpenAI.ChatCompletionContentPartText] }];
      } else {
        // Implicit caching (Gemini 2.5, Azure OpenAI): the simulator's knob says which share of the prompt was cached.
        expect((await stack.admin('simulator', 'PUT', `/admin/knobs/${encodeURIComponent(format.upstream)}`, { cachedRatio: 0.5 })).status).toBe(200);
        messages = [{ role: 'system', content: system }];
      }
      try {
        const first = await billedFor(format.upstream, () => complete(body(format, format.model, [...messages, { role: 'user', content: 'First train?' }])));
        const prompt = promptTokens(system.length, 'First train?'.length);
        expect(first.billed.promptTokens).toBe(prompt);
        expect(first.billed.cachedTokens + first.billed.cacheWriteTokens).toBe(Math.floor(prompt / 2));
        await expectExactCharge(format, first.result, first.billed);

        const second = await billedFor(format.upstream, () => stream(body(format, format.model, [...messages, { role: 'user', content: 'Last train?' }])));
        expect(second.billed.cachedTokens).toBe(Math.floor(promptTokens(system.length, 'Last train?'.length) / 2));
        expect(second.result.usage.prompt_tokens_details.cached_tokens).toBeGreaterThan(0);
        await expectExactCharge(format, second.result, second.billed);
        if (format.provider === 'simulator-anthropic') {
          // Anthropic writes the cache on first use (billed at the write price), then reads it.
          expect(first.result.usage.prompt_tokens_details.cache_write_tokens).toBe(Math.floor(prompt / 2));
          expect(second.result.usage.prompt_tokens_details.cache_write_tokens).toBe(0);
        }
      } finally {
        if (!format.explicitCache) await stack.admin('simulator', 'DELETE', `/admin/knobs/${encodeURIComponent(format.upstream)}`);
      }
    });
  });

  describe('Anthropic thinking replayed on later turns', () => {
    const anthropic = FORMATS.find((format) => format.provider === 'simulator-anthropic')!;

    it('replays reasoning_details with their signature intact; the simulator verifies it and refuses a tampered one', async () => {
      const question: Message = { role: 'user', content: 'Plan the journey step by step.' };
      const first = await billedFor(anthropic.upstream, () => complete(body(anthropic, anthropic.model, [question], { reasoning: { effort: 'low' } })));
      const details = first.result.message.reasoning_details ?? [];
      expect(details).toHaveLength(1);
      expect(details[0]).toMatchObject({ type: 'reasoning.text', format: 'anthropic-claude-v1', text: first.result.message.reasoning });
      expect(details[0]!.signature?.length).toBeGreaterThan(20);
      await expectExactCharge(anthropic, first.result, first.billed);

      const assistant: Message = { role: 'assistant', content: first.result.message.content, reasoning_details: details };
      const next: Message = { role: 'user', content: 'And the way back?' };
      const second = await billedFor(anthropic.upstream, () => complete(body(anthropic, anthropic.model, [question, assistant, next], { reasoning: { effort: 'low' } })));
      expect(second.result.finishReason).toBe('stop');
      // The thinking block went back word for word: its text counts in the assistant turn's prompt tokens.
      const thinkingAndText = details[0]!.text!.length + first.result.message.content!.length;
      expect(second.billed.promptTokens).toBe(promptTokens(question.content!.length as number, thinkingAndText, (next.content as string).length));
      await expectExactCharge(anthropic, second.result, second.billed);

      const tampered: Message = { ...assistant, reasoning_details: [{ ...details[0]!, signature: `${details[0]!.signature!.slice(0, -4)}AAAA` }] };
      const refused = await client.chat.completions.create(body(anthropic, anthropic.model, [question, tampered, next], { reasoning: { effort: 'low' } }) as OpenAI.ChatCompletionCreateParamsNonStreaming).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
      expect((refused as InstanceType<typeof OpenAI.APIError>).message).toContain('Invalid `signature` in `thinking` block');
    });

    it('keeps the thinking block in front of a tool call across a tool round trip (streamed), as Anthropic requires', async () => {
      const question: Message = { role: 'user', content: 'Check the weather first. call:get_weather' };
      const first = await billedFor(anthropic.upstream, () => stream(body(anthropic, anthropic.model, [question], { tools: [WEATHER_TOOL], reasoning: { max_tokens: 2048 } })));
      expect(first.result.finishReason).toBe('tool_calls');
      const call = first.result.message.tool_calls![0]!;
      const details = first.result.message.reasoning_details ?? [];
      expect(details.some((detail) => detail.type === 'reasoning.text' && (detail.signature?.length ?? 0) > 20)).toBe(true);
      await expectExactCharge(anthropic, first.result, first.billed);

      const toolResult: Message = { role: 'tool', tool_call_id: call.id, content: 'Sunny, 21 degrees' };
      const assistant: Message = { role: 'assistant', content: null, tool_calls: [call], reasoning_details: details };
      const answered = await billedFor(anthropic.upstream, () => stream(body(anthropic, anthropic.model, [question, assistant, toolResult], { tools: [WEATHER_TOOL], reasoning: { max_tokens: 2048 } })));
      expect(answered.result.finishReason).toBe('stop');
      expect(answered.result.message.content?.split(' ')).toHaveLength(24);
      await expectExactCharge(anthropic, answered.result, answered.billed);

    });

    it('continues a tool loop begun on another wire format without thinking (its reasoning cannot replay to Anthropic) instead of failing', async () => {
      const openAiWire = FORMATS.find((format) => format.provider === 'simulator')!;
      const question: Message = { role: 'user', content: 'Check the weather first. call:get_weather' };
      const reasoning = { max_tokens: 2048 };
      // Step one of the loop is served by the OpenAI-compatible endpoint of the same model.
      const first = await billedFor(anthropic.model, () => complete(body(openAiWire, anthropic.model, [question], { tools: [WEATHER_TOOL], reasoning })));
      expect(first.result.provider).toBe(openAiWire.providerName);
      expect(first.result.finishReason).toBe('tool_calls');
      expect(first.result.message.reasoning_details?.[0]?.format).not.toBe('anthropic-claude-v1');
      await expectExactCharge(openAiWire, first.result, first.billed, anthropic.model);
      const call = first.result.message.tool_calls![0]!;
      const assistant: Message = { role: 'assistant', content: null, tool_calls: [call], reasoning_details: first.result.message.reasoning_details };
      const toolResult: Message = { role: 'tool', tool_call_id: call.id, content: 'Sunny, 21 degrees' };

      // Step two lands on the Anthropic endpoint: Anthropic would refuse thinking here, so the turn runs without it.
      const answered = await billedFor(anthropic.upstream, () => complete(body(anthropic, anthropic.model, [question, assistant, toolResult], { tools: [WEATHER_TOOL], reasoning })));
      expect(answered.result.finishReason).toBe('stop');
      expect(answered.result.message.content?.split(' ')).toHaveLength(24);
      expect(answered.result.message.reasoning ?? null).toBeNull();
      expect(answered.billed.reasoningTokens).toBe(0);
      expect(answered.billed.completionTokens).toBe(24);
      await expectExactCharge(anthropic, answered.result, answered.billed);
    });
  });

  it('debits the account by exactly the sum of every usage.cost returned above', async () => {
    expect(spent.gt(0)).toBe(true);
    const credits = await stack.demoUsageReaches(spent);
    expect(credits.totalCredits).toBe(100);
  });
});
