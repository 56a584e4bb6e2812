import { jest } from '@jest/globals';
import OpenAI from 'openai';
import { Decimal, formatMoney } from '@switchyard/money';
import { Stack } from './stack.js';

jest.setTimeout(120_000);

/**
 * The simulator's token rule for embeddings, restated (apps/simulator/README.md, "Token counting"): ceil(length / 4)
 * prompt tokens per input string, one per token id, no overhead.
 */
const simulatorTokens = (inputs: string[]) => inputs.reduce((sum, input) => sum + Math.ceil(input.length / 4), 0);

/** The catalog's list prices of the seeded embedding models, USD per token. */
const PRICE = { small: '0.00000002', large: '0.00000013', gemini: '0.00000015' } as const;
/** Upstream model ids of `openai/text-embedding-3-small`'s two simulator endpoints (OpenAI and Azure wire formats). */
const SMALL_UPSTREAMS = ['openai/text-embedding-3-small', 'text-embedding-3-small'];

type EmbeddingsUsage = { prompt_tokens: number; total_tokens: number; cost: number; is_byok: boolean; cost_details: Record<string, number | null> };
type Embeddings = OpenAI.CreateEmbeddingResponse & { id: string; provider: string; usage: EmbeddingsUsage };

function norm(vector: number[]): number {
  return Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
}

function decodeFloat32(base64: string): number[] {
  const bytes = Buffer.from(base64, 'base64');
  return Array.from({ length: bytes.length / 4 }, (_, index) => bytes.readFloatLE(index * 4));
}

describe('embeddings end to end, driven by the official openai SDK', () => {
  const stack = new Stack();
  let client: OpenAI;
  /** Every usage.cost this file received: the account's total usage must end up exactly this. */
  let spent = new Decimal(0);

  /** Prompt tokens the simulator billed, summed over upstream model ids (counters are kept per upstream model). */
  async function billedPromptTokens(upstreamModelIds: string[]): Promise<number> {
    const response = await stack.admin('simulator', 'GET', '/admin/usage');
    return upstreamModelIds.reduce((sum, id) => sum + ((response.body.models?.[id]?.promptTokens as number | undefined) ?? 0), 0);
  }

  async function simulatorCounters(upstreamModelId: string): Promise<{ requests: number; failed: number; promptTokens: number }> {
    const response = await stack.admin('simulator', 'GET', '/admin/usage');
    return response.body.models?.[upstreamModelId] ?? { requests: 0, failed: 0, promptTokens: 0 };
  }


  /** Checks usage.cost = billed prompt tokens × price, exactly, and counts it as spent. */
  function expectExactCost(usage: EmbeddingsUsage, price: string): void {
    expect(usage.total_tokens).toBe(usage.prompt_tokens);
    expect(formatMoney(String(usage.cost))).toBe(formatMoney(new Decimal(usage.prompt_tokens).times(price)));
    spent = spent.plus(String(usage.cost));
  }

  async function apiError(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
    const error = await call.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(OpenAI.APIError);
    return error as InstanceType<typeof OpenAI.APIError>;
  }

  beforeAll(async () => {
    await stack.start();
    client = new OpenAI({ baseURL: stack.baseUrl, apiKey: stack.demoKey, maxRetries: 0 });
  }, 120_000);

  afterAll(async () => {
    await stack.stop();
  });

  it('embeds a string as floats with a gen- id, X-Generation-Id, the serving provider and a cost exact to the simulator', async () => {
    const input = 'The quick brown fox jumps over the lazy dog';
    const before = await billedPromptTokens(SMALL_UPSTREAMS);
    const { data, response } = await client.embeddings.create({ model: 'openai/text-embedding-3-small', input, encoding_format: 'float' }).withResponse();
    const result = data as Embeddings;
    expect(result.id).toMatch(/^gen-\d+-[A-Za-z0-9]{20}$/);
    expect(response.headers.get('x-generation-id')).toBe(result.id);
    expect(Number(response.headers.get('x-switchyard-overhead-ms'))).toBeGreaterThanOrEqual(0);
    expect(result).toMatchObject({ object: 'list', model: 'openai/text-embedding-3-small' });
    expect(result.provider).toMatch(/^Switchyard Simulator/);
    expect(result.data).toHaveLength(1);
    expect(result.data[0]).toMatchObject({ object: 'embedding', index: 0 });
    const vector = result.data[0]!.embedding;
    expect(vector).toHaveLength(8); // the simulator's DEFAULT_EMBEDDING_DIMENSIONS
    expect(norm(vector)).toBeCloseTo(1, 5);

    expect(result.usage.prompt_tokens).toBe(simulatorTokens([input]));
    expect(await billedPromptTokens(SMALL_UPSTREAMS)).toBe(before + result.usage.prompt_tokens);
    expectExactCost(result.usage, PRICE.small);
    expect(result.usage.is_byok).toBe(false);
    expect(result.usage.cost_details).toEqual({ upstream_inference_cost: null, upstream_inference_prompt_cost: result.usage.cost, upstream_inference_completions_cost: 0 });

    const recorded = await stack.generation(result.id);
    expect(recorded).toMatchObject({
      id: result.id,
      api_type: 'embeddings',
      model: 'openai/text-embedding-3-small',
      provider_name: result.provider,
      streamed: false,
      cancelled: false,
      tokens_prompt: result.usage.prompt_tokens,
      tokens_completion: 0,
      finish_reason: 'stop',
    });
    expect(formatMoney(String(recorded.total_cost))).toBe(formatMoney(String(result.usage.cost)));
    // The seed's real endpoints of the model (OpenAI, Azure) have no key in this stack: tried first they fail over.
    const responses = recorded.provider_responses as Array<{ endpoint_id: string; status: number }>;
    expect(responses.at(-1)).toMatchObject({ endpoint_id: expect.stringMatching(/^openai\/text-embedding-3-small@simulator/), status: 200 });
    expect(responses.slice(0, -1).every((attempt) => attempt.status !== 200)).toBe(true);
  });

  it("embeds an array with the SDK's default (base64 on the wire, decoded by the SDK) and dimensions, identical to the float answer", async () => {
    const inputs = ['first input', 'a second, longer input to embed', 'third'];
    const before = await billedPromptTokens(SMALL_UPSTREAMS);
    // One endpoint for both calls: the simulator seeds its vectors with the upstream model id, which differs per endpoint.
    const simulatorOnly = { provider: { only: ['simulator'] } };
    const result = (await client.embeddings.create({ model: 'openai/text-embedding-3-small', input: inputs, dimensions: 16, ...simulatorOnly } as OpenAI.EmbeddingCreateParams)) as Embeddings;
    expect(result.data.map((item) => item.index)).toEqual([0, 1, 2]);
    for (const item of result.data) {
      expect(item.embedding).toHaveLength(16);
      expect(norm(item.embedding)).toBeCloseTo(1, 5);
    }
    expect(result.usage.prompt_tokens).toBe(simulatorTokens(inputs));
    expect(await billedPromptTokens(SMALL_UPSTREAMS)).toBe(before + result.usage.prompt_tokens);
    expectExactCost(result.usage, PRICE.small);

    // The same inputs as floats: the simulator's vectors are deterministic float32 values, so the base64 path is exact.
    const floats = (await client.embeddings.create({ model: 'openai/text-embedding-3-small', input: inputs, dimensions: 16, encoding_format: 'float', ...simulatorOnly } as OpenAI.EmbeddingCreateParams)) as Embeddings;
    expectExactCost(floats.usage, PRICE.small);
    expect(result.data.map((item) => Array.from(item.embedding))).toEqual(floats.data.map((item) => item.embedding));
  });

  it('answers explicit base64 as float32 strings, and token-id inputs billed one token per id', async () => {
    const base64 = (await client.embeddings.create({ model: 'openai/text-embedding-3-large', input: ['hello there'], encoding_format: 'base64' })) as Embeddings;
    const encoded = base64.data[0]!.embedding as unknown as string;
    expect(typeof encoded).toBe('string');
    const floats = (await client.embeddings.create({ model: 'openai/text-embedding-3-large', input: ['hello there'], encoding_format: 'float' })) as Embeddings;
    expect(decodeFloat32(encoded)).toEqual(floats.data[0]!.embedding);
    expectExactCost(base64.usage, PRICE.large);
    expectExactCost(floats.usage, PRICE.large);

    const before = await billedPromptTokens(['openai/text-embedding-3-large']);
    const tokens = (await client.embeddings.create({ model: 'openai/text-embedding-3-large', input: [[9906, 1917, 0], [15339, 1070]], encoding_format: 'float' })) as Embeddings;
    expect(tokens.data).toHaveLength(2);
    expect(tokens.usage.prompt_tokens).toBe(5);
    expect(await billedPromptTokens(['openai/text-embedding-3-large'])).toBe(before + 5);
    expectExactCost(tokens.usage, PRICE.large);
  });

  it('speaks the Gemini wire format (one input and a batch), billed exactly the tokens the simulator counted', async () => {
    const before = await billedPromptTokens(['gemini-embedding-001']);
    const single = (await client.embeddings.create({ model: 'google/gemini-embedding-001', input: 'What is the meaning of life?', encoding_format: 'float', dimensions: 12 })) as Embeddings;
    expect(single.provider).toBe('Switchyard Simulator (Gemini wire format)');
    expect(single.data[0]!.embedding).toHaveLength(12);
    const inputs = ['retrieval', 'augmented', 'generation needs embeddings'];
    const batch = (await client.embeddings.create({ model: 'google/gemini-embedding-001', input: inputs, input_type: 'search_document' } as OpenAI.EmbeddingCreateParams)) as Embeddings;
    expect(batch.data.map((item) => item.embedding.length)).toEqual([8, 8, 8]);
    expect(single.usage.prompt_tokens + batch.usage.prompt_tokens).toBe(simulatorTokens(['What is the meaning of life?', ...inputs]));
    expect(await billedPromptTokens(['gemini-embedding-001'])).toBe(before + single.usage.prompt_tokens + batch.usage.prompt_tokens);
    expectExactCost(single.usage, PRICE.gemini);
    expectExactCost(batch.usage, PRICE.gemini);
    expect(await stack.generation(batch.id)).toMatchObject({ api_type: 'embeddings', model: 'google/gemini-embedding-001', tokens_prompt: batch.usage.prompt_tokens });
  });

  it('lists the embedding models in the Model shape on GET /embeddings/models (anonymous), and not on /models', async () => {
    const response = await fetch(`${stack.baseUrl}/embeddings/models`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: Array<{ id: string; architecture: { output_modalities: string[] }; pricing: { prompt: string; completion: string }; context_length: number }>; total_count: number };
    const ids = body.data.map((model) => model.id).sort();
    expect(ids).toEqual(['google/gemini-embedding-001', 'mistralai/mistral-embed-2312', 'openai/text-embedding-3-large', 'openai/text-embedding-3-small']);
    expect(body.total_count).toBe(4);
    for (const model of body.data) {
      expect(model.architecture.output_modalities).toEqual(['embeddings']);
      expect(model.pricing.completion).toBe('0');
    }
    expect(body.data.find((model) => model.id === 'openai/text-embedding-3-small')).toMatchObject({ pricing: { prompt: PRICE.small }, context_length: 8192 });
    const chatModels = (await (await fetch(`${stack.baseUrl}/models`)).json()) as { data: Array<{ id: string }> };
    expect(chatModels.data.map((model) => model.id)).not.toContain('openai/text-embedding-3-small');
  });

  it('refuses a bad key (401), an unknown model (400 model_not_found), a chat model (400 wrong_endpoint), multimodal input (400), oversized input (413)', async () => {
    const anonymous = new OpenAI({ baseURL: stack.baseUrl, apiKey: 'sk-sy-v1-unknown', maxRetries: 0 });
    const unauthorised = await apiError(anonymous.embeddings.create({ model: 'openai/text-embedding-3-small', input: 'x' }));
    expect(unauthorised).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(unauthorised.status).toBe(401);

    const unknown = await apiError(client.embeddings.create({ model: 'nobody/no-such-embedder', input: 'x' }));
    expect(unknown.status).toBe(400);
    expect(unknown.message).toContain('nobody/no-such-embedder');
    expect((unknown.error as { metadata?: { availability_code?: string } }).metadata?.availability_code).toBe('model_not_found');

    const chatModel = await apiError(client.embeddings.create({ model: 'openai/gpt-4o-mini', input: 'x' }));
    expect(chatModel.status).toBe(400);
    expect(chatModel.message).toContain('does not produce embeddings');
    expect((chatModel.error as { metadata?: { availability_code?: string; error_type?: string } }).metadata).toMatchObject({ availability_code: 'wrong_endpoint', error_type: 'invalid_request' });

    const multimodal = await fetch(`${stack.baseUrl}/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.demoKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'openai/text-embedding-3-small', input: [{ content: [{ type: 'image_url', image_url: { url: 'https://example.test/cat.png' } }] }] }),
    });
    expect(multimodal.status).toBe(400);
    expect(((await multimodal.json()) as { error: { code: number; message: string } }).error).toMatchObject({ code: 400, message: expect.stringContaining('multimodal') });

    // 1.2 MB of inputs: within the HTTP body limit, over what one NATS message to providers carries (1 MB).
    const tooLarge = await apiError(client.embeddings.create({ model: 'openai/text-embedding-3-small', input: Array.from({ length: 400 }, (_, index) => `${index} ${'x'.repeat(3_000)}`) }));
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.message).toContain('send fewer or shorter inputs');

    const tokensToGemini = await apiError(client.embeddings.create({ model: 'google/gemini-embedding-001', input: [[1, 2, 3]] }));
    expect(tokensToGemini.status).toBe(400);
    expect(tokensToGemini.message).toContain('token ids');
  });

  it('refuses chat, legacy completions and responses on an embedding model with wrong_endpoint', async () => {
    const chat = await apiError(client.chat.completions.create({ model: 'openai/text-embedding-3-small', messages: [{ role: 'user', content: 'hi' }] }));
    expect(chat.status).toBe(400);
    expect(chat.message).toContain('is an embedding model');
    expect((chat.error as { metadata?: { availability_code?: string } }).metadata?.availability_code).toBe('wrong_endpoint');

    const completion = await apiError(client.completions.create({ model: 'openai/text-embedding-3-small', prompt: 'hi' }));
    expect(completion.status).toBe(400);
    const responses = await apiError(client.responses.create({ model: 'openai/text-embedding-3-small', input: 'hi' }));
    expect(responses.status).toBe(400);
  });

  it('fails over to the other endpoint when one simulator endpoint fails, and bills only the one that served', async () => {
    const failing = 'openai/text-embedding-3-small'; // upstream id of the `simulator` (OpenAI wire) endpoint
    await stack.admin('simulator', 'PUT', `/admin/knobs/${encodeURIComponent(failing)}`, { failureRate: 1, failureStatus: 503 });
    try {
      const failedBefore = await simulatorCounters(failing);
      const servedBefore = await billedPromptTokens(['text-embedding-3-small']);
      const input = ['failover keeps embeddings flowing'];
      const result = (await client.embeddings.create({
        model: 'openai/text-embedding-3-small',
        input,
        encoding_format: 'float',
        // The failing endpoint first, so the failover is certain (not left to load balancing).
        provider: { order: ['simulator', 'simulator-azure'] },
      } as OpenAI.EmbeddingCreateParams)) as Embeddings;
      expect(result.provider).toBe('Switchyard Simulator (Azure OpenAI wire format)');
      expect(result.data).toHaveLength(1);
      expect((await simulatorCounters(failing)).failed).toBe(failedBefore.failed + 1);
      expect((await simulatorCounters(failing)).promptTokens).toBe(failedBefore.promptTokens);
      expect(await billedPromptTokens(['text-embedding-3-small'])).toBe(servedBefore + simulatorTokens(input));
      expectExactCost(result.usage, PRICE.small);

      const recorded = await stack.generation(result.id);
      expect(recorded.provider_responses).toEqual([
        expect.objectContaining({ endpoint_id: 'openai/text-embedding-3-small@simulator', status: 503 }),
        expect.objectContaining({ endpoint_id: 'openai/text-embedding-3-small@simulator-azure', status: 200 }),
      ]);
      expect(formatMoney(String(recorded.total_cost))).toBe(formatMoney(String(result.usage.cost)));

      // With no endpoint left, the client gets the provider error with every attempt listed, and nothing is charged.
      const exhausted = await apiError(client.embeddings.create({ model: 'openai/text-embedding-3-small', input: 'x', provider: { only: ['simulator'] } } as OpenAI.EmbeddingCreateParams));
      expect(exhausted.status).toBe(503);
      expect((exhausted.error as { metadata?: { previous_errors?: unknown[] } }).metadata?.previous_errors).toHaveLength(1);
    } finally {
      await stack.admin('simulator', 'DELETE', `/admin/knobs/${encodeURIComponent(failing)}`);
    }
  });

  it('debits the account by exactly the usage.cost every client was told', async () => {
    expect(spent.gt(0)).toBe(true);
    expect((await stack.demoUsageReaches(spent)).totalUsage).toBe(formatMoney(spent));
  });
});
