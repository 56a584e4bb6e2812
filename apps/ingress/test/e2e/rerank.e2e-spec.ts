import { jest } from '@jest/globals';
import OpenAI from 'openai';
import { Decimal, formatMoney } from '@switchyard/money';
import { waitFor } from '@switchyard/nest-kit/testing';
import { Admin } from './money-support/harness.js';
import { Stack } from './stack.js';

jest.setTimeout(120_000);

const MODEL = 'cohere/rerank-v3.5';
/** The seed's price of a search on every endpoint of the model (USD per request; no token price). */
const SEARCH_PRICE = '0.002';
/** Upstream model id of the model's `simulator` endpoint (the simulator counts usage per upstream model). */
const SIMULATOR_UPSTREAM = 'cohere/rerank-v3.5';

/** The simulator's rerank token rule, restated (apps/simulator/README.md): the query once per document plus each document, ceil(length / 4) each. */
const simulatorTokens = (query: string, documents: string[]) => documents.reduce((sum, document) => sum + Math.ceil(query.length / 4) + Math.ceil(document.length / 4), 0);

interface RerankResponse {
  id: string;
  model: string;
  provider: string;
  results: Array<{ index: number; relevance_score: number; document?: { text: string } }>;
  usage: { prompt_tokens: number; total_tokens: number; search_units: number; cost: number; is_byok: boolean; cost_details: Record<string, number | null> };
}

describe('rerank end to end (POST /api/v1/rerank, Cohere-style) through every service', () => {
  const stack = new Stack();
  /** Every usage.cost this file received: the account's total usage must end up exactly this. */
  let spent = new Decimal(0);

  async function rerank(body: unknown, key = stack.demoKey): Promise<{ status: number; headers: Headers; body: any }> {
    const response = await fetch(`${stack.baseUrl}/rerank`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, body: await response.json() };
  }


  async function simulatorPromptTokens(): Promise<number> {
    const response = await stack.admin('simulator', 'GET', '/admin/usage');
    return (response.body.models?.[SIMULATOR_UPSTREAM]?.promptTokens as number | undefined) ?? 0;
  }

  beforeAll(async () => {
    await stack.start();
  }, 120_000);

  afterAll(async () => {
    await stack.stop();
  });

  it('ranks the documents best first with their text, a gen- id, X-Generation-Id, and one search charged exactly', async () => {
    const query = 'What is the capital of France?';
    const documents = ['Berlin is the capital of Germany.', 'The capital of France is Paris.', 'Bananas are rich in potassium.'];
    const before = await simulatorPromptTokens();
    const { status, headers, body } = await rerank({ model: MODEL, query, documents });
    expect(status).toBe(200);
    const result = body as RerankResponse;
    expect(result.id).toMatch(/^gen-\d+-[A-Za-z0-9]{20}$/);
    expect(headers.get('x-generation-id')).toBe(result.id);
    expect(Number(headers.get('x-switchyard-overhead-ms'))).toBeGreaterThanOrEqual(0);
    expect(result.model).toBe(MODEL);
    expect(result.provider).toMatch(/^Switchyard Simulator/);
    // Every document, best first: the one sharing the query's words leads, the unrelated one trails.
    expect(result.results.map((entry) => entry.index).sort()).toEqual([0, 1, 2]);
    expect(result.results[0]).toMatchObject({ index: 1, document: { text: documents[1] } });
    expect(result.results.at(-1)?.index).toBe(2);
    const scores = result.results.map((entry) => entry.relevance_score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    for (const entry of result.results) expect(entry.document?.text).toBe(documents[entry.index]);

    expect(result.usage.prompt_tokens).toBe(simulatorTokens(query, documents));
    expect(await simulatorPromptTokens()).toBe(before + result.usage.prompt_tokens);
    expect(result.usage.search_units).toBe(1);
    expect(formatMoney(String(result.usage.cost))).toBe(formatMoney(SEARCH_PRICE));
    expect(result.usage.is_byok).toBe(false);
    spent = spent.plus(String(result.usage.cost));

    const recorded = await stack.generation(result.id);
    expect(recorded).toMatchObject({ id: result.id, api_type: 'rerank', model: MODEL, provider_name: result.provider, streamed: false, cancelled: false, tokens_prompt: result.usage.prompt_tokens, tokens_completion: 0, finish_reason: 'stop' });
    expect(formatMoney(String(recorded.total_cost))).toBe(formatMoney(SEARCH_PRICE));
    // The seed's Cohere endpoint has no key in this stack: tried first, it fails over to the simulator.
    const responses = recorded.provider_responses as Array<{ endpoint_id: string; status: number }>;
    expect(responses.at(-1)).toMatchObject({ endpoint_id: `${MODEL}@simulator`, status: 200 });
  });

  it('keeps the best top_n, takes {text} documents, and leaves the documents out with return_documents: false', async () => {
    const documents = [{ text: 'alpha beta' }, { text: 'gamma delta' }, { text: 'alpha gamma' }];
    const { status, body } = await rerank({ model: MODEL, query: 'alpha gamma', documents, top_n: 2, return_documents: false });
    expect(status).toBe(200);
    const result = body as RerankResponse;
    expect(result.results).toHaveLength(2);
    expect(result.results[0]!.index).toBe(2); // both query words
    for (const entry of result.results) expect(entry).not.toHaveProperty('document');
    spent = spent.plus(String(result.usage.cost));

    // A document longer than the model's context (4,096 tokens) is the reranker's to truncate, not a refusal.
    const long = await rerank({ model: MODEL, query: 'needle', documents: ['hay '.repeat(5_000), 'a needle'], provider: { only: ['simulator'] } });
    expect(long.status).toBe(200);
    expect((long.body as RerankResponse).results[0]!.index).toBe(1);
    spent = spent.plus(String((long.body as RerankResponse).usage.cost));

    // top_n beyond the document count returns them all.
    const all = await rerank({ model: MODEL, query: 'alpha', documents: ['alpha', 'beta'], top_n: 50 });
    expect(all.status).toBe(200);
    expect((all.body as RerankResponse).results).toHaveLength(2);
    spent = spent.plus(String((all.body as RerankResponse).usage.cost));
  });

  it('bills one search per started hundred documents (150 documents: two searches), exactly, in the answer and the generation', async () => {
    const documents = Array.from({ length: 150 }, (_, index) => `document number ${index}`);
    const { status, body } = await rerank({ model: MODEL, query: 'number 42', documents, top_n: 3, provider: { only: ['simulator'] } });
    expect(status).toBe(200);
    const result = body as RerankResponse;
    expect(result.results).toHaveLength(3);
    expect(result.usage.search_units).toBe(2);
    expect(formatMoney(String(result.usage.cost))).toBe(formatMoney(new Decimal(SEARCH_PRICE).times(2)));
    spent = spent.plus(String(result.usage.cost));
    const recorded = await stack.generation(result.id);
    expect(formatMoney(String(recorded.total_cost))).toBe(formatMoney(new Decimal(SEARCH_PRICE).times(2)));
  });

  it('refuses a bad key (401), bad bodies (400 naming the field), an unknown model (model_not_found) and models of other kinds (wrong_endpoint)', async () => {
    const unauthorised = await rerank({ model: MODEL, query: 'q', documents: ['d'] }, 'sk-sy-v1-unknown');
    expect(unauthorised.status).toBe(401);
    expect(unauthorised.body.error).toMatchObject({ code: 401, message: expect.any(String) });

    const cases: Array<[unknown, string]> = [
      [{ model: MODEL, documents: ['d'] }, 'query'],
      [{ model: MODEL, query: 'q', documents: [] }, 'documents'],
      [{ model: MODEL, query: 'q', documents: [42] }, 'documents'],
      [{ model: MODEL, query: 'q', documents: ['d'], top_n: 0 }, 'top_n'],
      [{ model: MODEL, query: 'q', documents: Array.from({ length: 1_001 }, () => 'd') }, 'documents'],
      ['{"model":', '(body)'],
    ];
    for (const [body, field] of cases) {
      const refused = await rerank(body);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({ code: 400, message: expect.stringContaining(field === '(body)' ? '' : field) });
    }

    const unknown = await rerank({ model: 'nobody/no-such-reranker', query: 'q', documents: ['d'] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.metadata?.availability_code).toBe('model_not_found');

    const chatModel = await rerank({ model: 'openai/gpt-4o-mini', query: 'q', documents: ['d'] });
    expect(chatModel.status).toBe(400);
    expect(chatModel.body.error).toMatchObject({ message: expect.stringContaining('does not rerank documents'), metadata: expect.objectContaining({ availability_code: 'wrong_endpoint' }) });

    const client = new OpenAI({ baseURL: stack.baseUrl, apiKey: stack.demoKey, maxRetries: 0 });
    const onChat = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(onChat).toBeInstanceOf(OpenAI.BadRequestError);
    expect((onChat as InstanceType<typeof OpenAI.APIError>).message).toContain('is a rerank model: use POST /api/v1/rerank');
    const onEmbeddings = await client.embeddings.create({ model: MODEL, input: 'hi' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect((onEmbeddings as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
  });

  it('lists the rerank model under /models?output_modalities=rerank and not on plain /models', async () => {
    const listed = (await (await fetch(`${stack.baseUrl}/models?output_modalities=rerank`)).json()) as { data: Array<{ id: string; architecture: { output_modalities: string[] }; pricing: Record<string, string> }> };
    const model = listed.data.find((entry) => entry.id === MODEL);
    expect(model?.architecture.output_modalities).toEqual(['rerank']);
    expect(model?.pricing.request).toBe(SEARCH_PRICE);
    const plain = (await (await fetch(`${stack.baseUrl}/models`)).json()) as { data: Array<{ id: string }> };
    expect(plain.data.some((entry) => entry.id === MODEL)).toBe(false);
  });

  it('answers the provider error with every attempt listed when the only reachable endpoint fails', async () => {
    await stack.admin('simulator', 'PUT', `/admin/knobs/${encodeURIComponent(SIMULATOR_UPSTREAM)}`, { failureRate: 1, failureStatus: 503 });
    try {
      const exhausted = await rerank({ model: MODEL, query: 'q', documents: ['d'], provider: { only: ['simulator'] } });
      expect(exhausted.status).toBe(503);
      expect(exhausted.body.error.metadata?.previous_errors).toHaveLength(1);
    } finally {
      await stack.admin('simulator', 'DELETE', `/admin/knobs/${encodeURIComponent(SIMULATOR_UPSTREAM)}`);
    }
  });

  it('keeps the query, the documents and the scores of an account that opted in to prompt logging, readable at /generation/content', async () => {
    const admin = new Admin(stack);
    const accountId = await admin.createAccount('rerank-logging', { topUp: '1', logPrompts: true });
    const { key } = await admin.createKey(accountId);
    await waitFor(async () => (await fetch(`${stack.baseUrl}/key`, { headers: { authorization: `Bearer ${key}` } })).status === 200, { message: 'key known' });
    const documents = ['Oslo is the capital of Norway.', 'Cats sleep a lot.'];
    const { status, body } = await rerank({ model: MODEL, query: 'capital of Norway', documents, top_n: 1 }, key);
    expect(status).toBe(200);
    const stored = await waitFor(async () => {
      const response = await fetch(`${stack.baseUrl}/generation/content?id=${body.id}`, { headers: { authorization: `Bearer ${key}` } });
      return response.status === 200 ? ((await response.json()) as { data: { input: unknown; output: unknown } }).data : undefined;
    }, { timeoutMs: 15_000, message: 'stored rerank content' });
    expect(stored.input).toEqual({ query: 'capital of Norway', documents });
    expect(stored.output).toEqual((body as RerankResponse).results.map(({ index, relevance_score }) => ({ index, relevance_score })));
    // The demo account did not opt in: nothing of its reranks is kept.
    const plain = await rerank({ model: MODEL, query: 'capital of Norway', documents });
    spent = spent.plus(String((plain.body as RerankResponse).usage.cost));
    await stack.generation(plain.body.id);
    const notLogged = await fetch(`${stack.baseUrl}/generation/content?id=${plain.body.id}`, { headers: { authorization: `Bearer ${stack.demoKey}` } });
    expect(notLogged.status).toBe(404);
  });

  it('debits the account by exactly the usage.cost every client was told', async () => {
    expect(spent.gt(0)).toBe(true);
    expect((await stack.demoUsageReaches(spent)).totalUsage).toBe(formatMoney(spent));
  });
});
