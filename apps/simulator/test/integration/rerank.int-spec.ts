import { fetchJson, startSimulator, type RunningSimulator } from './simulator-harness.js';

const API_KEY = 'sim-test-key';

describe('POST /openai/v1/rerank (Together / Jina style)', () => {
  let simulator: RunningSimulator;

  beforeAll(async () => {
    simulator = await startSimulator({ SIMULATOR_API_KEY: API_KEY });
  });

  afterAll(async () => {
    await simulator.close();
  });

  const rerank = (body: unknown, key = API_KEY) =>
    fetchJson(`${simulator.upstream}/openai/v1/rerank`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  const query = 'What is the capital of the United States?';
  const documents = [
    'Carson City is the capital city of the American state of Nevada.',
    'Washington, D.C. is the capital of the United States.',
    'Capital punishment has existed in the United States since before it was a country.',
    'Bananas are rich in potassium.',
  ];

  it('ranks the document sharing the query’s words first, every score in [0, 1], deterministically', async () => {
    const response = await rerank({ model: 'rerank/lite', query, documents });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = await response.json();
    expect(body.id).toMatch(/^rerank-/);
    expect(body.model).toBe('rerank/lite');
    expect(body.results).toHaveLength(4);
    expect(body.results[0].index).toBe(1);
    expect(body.results.at(-1).index).toBe(3);
    const scores = body.results.map((result: { relevance_score: number }) => result.relevance_score);
    expect(scores).toEqual(scores.toSorted((left: number, right: number) => right - left));
    for (const score of scores) expect(score >= 0 && score <= 1).toBe(true);
    expect(body.results[0]).not.toHaveProperty('document');
    const again = await (await rerank({ model: 'rerank/lite', query, documents })).json();
    expect(again.results).toEqual(body.results);
    expect(again.id).not.toBe(body.id);
  });

  it('cuts to top_n and returns the documents’ text when return_documents is true (strings or {text})', async () => {
    const all = await (await rerank({ model: 'rerank/lite', query, documents })).json();
    const top = await (await rerank({ model: 'rerank/lite', query, documents: documents.map((text) => ({ text })), top_n: 2, return_documents: true })).json();
    expect(top.results).toEqual(all.results.slice(0, 2).map((result: { index: number }) => ({ ...result, document: { text: documents[result.index] } })));
  });

  it('reports and bills the query once per document plus each document, ceil(length / 4) each', async () => {
    await simulator.reset();
    const body = await (await rerank({ model: 'rerank/billed', query: 'abcdefgh', documents: ['abcde', 'x', 'abcdefghijkl'], top_n: 1 })).json();
    const promptTokens = 3 * 2 + 2 + 1 + 3;
    expect(body.usage).toEqual({ prompt_tokens: promptTokens, total_tokens: promptTokens });
    expect(body.results).toHaveLength(1);
    expect((await simulator.usage()).models['rerank/billed']).toMatchObject({ requests: 1, completed: 1, promptTokens, completionTokens: 0 });
  });

  it('answers a bad body with OpenAI’s 400 naming the parameter, and a wrong key with its 401', async () => {
    const missing = await rerank({ model: 'rerank/lite', documents });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ error: { message: "Missing required parameter: 'query'.", type: 'invalid_request_error', param: 'query', code: null } });
    const empty = await rerank({ model: 'rerank/lite', query, documents: [] });
    expect(empty.status).toBe(400);
    expect((await empty.json()).error.param).toBe('documents');
    const denied = await rerank({ model: 'rerank/lite', query, documents }, 'wrong');
    expect(denied.status).toBe(401);
    expect((await denied.json()).error.code).toBe('invalid_api_key');
  });

  it('applies the failure and latency knobs like every other route', async () => {
    await simulator.setKnobs('rerank/failing', { failureRate: 1, failureStatus: 429, retryAfterSeconds: 3 });
    const limited = await rerank({ model: 'rerank/failing', query, documents });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect((await limited.json()).error.code).toBe('rate_limit_exceeded');

    await simulator.setKnobs('rerank/slow', { ttftMs: 250 });
    const started = performance.now();
    const slow = await rerank({ model: 'rerank/slow', query, documents });
    await slow.json();
    expect(slow.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);
  });
});
