import * as fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { AdapterRequestError } from '../shared/adapter-request-error.js';
import { getRerankAdapter, rerankPresets } from './rerank-registry.js';
import { estimateRerankTokens } from './rerank-results.js';
import type { CanonicalRerankRequest, RerankResult } from './rerank-types.js';

const fixture = (name: string) => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');

const animals: CanonicalRerankRequest = {
  query: 'What animals can I find near Peru?',
  documents: [
    'The giant panda (Ailuropoda melanoleuca), also known as the panda bear or simply panda, is a bear species endemic to China.',
    'The cheetah (Acinonyx jubatus) is a large cat and the fastest land animal.',
    'The llama (Lama glama) is a domesticated South American camelid, widely used as a meat and pack animal by Andean cultures since the pre-Columbian era.',
    'The wild Bactrian camel (Camelus ferus) is an endangered species of camel endemic to Northwest China and southwestern Mongolia.',
  ],
  topN: 3,
};

const capital: CanonicalRerankRequest = {
  query: 'What is the capital of the United States?',
  documents: [
    'Carson City is the capital city of the American state of Nevada.',
    'The Commonwealth of the Northern Mariana Islands is a group of islands in the Pacific Ocean. Its capital is Saipan.',
    'Capitalization or capitalisation in English grammar is the use of a capital letter at the start of a word.',
    'Washington, D.C. (also known as simply Washington or D.C., and officially as the District of Columbia) is the capital of the United States.',
    'Capital punishment has existed in the United States since before the United States was a country.',
  ],
};

const context = { baseUrl: '', upstreamModelId: 'Salesforce/Llama-Rank-V1', apiKey: 'sk-test' };

function ok(result: RerankResult): Extract<RerankResult, { ok: true }> {
  if (!result.ok) throw new Error(`expected a result, got ${JSON.stringify(result.error)}`);
  return result;
}

function failed(result: RerankResult): Extract<RerankResult, { ok: false }> {
  if (result.ok) throw new Error('expected an error');
  return result;
}

const resultsBody = (results: Array<{ index: number; relevance_score: number }>, extra: Record<string, unknown> = {}) => JSON.stringify({ results, ...extra });

describe('v1 rerank (Together, the simulator)', () => {
  const together = getRerankAdapter('openai', 'together');

  it('posts model, query, documents, top_n and return_documents: false to {base}/rerank with a bearer key', () => {
    const { request, warnings } = together.buildRequest(animals, context);
    expect(request).toMatchObject({ url: 'https://api.together.xyz/v1/rerank', method: 'POST', stream: false });
    expect(request.headers).toEqual({ 'content-type': 'application/json', authorization: 'Bearer sk-test' });
    expect(JSON.parse(request.body)).toEqual({ model: 'Salesforce/Llama-Rank-V1', query: animals.query, documents: animals.documents, top_n: 3, return_documents: false });
    expect(warnings).toEqual([]);
    expect(together).toMatchObject({ id: 'openai-compatible:together', wireFormat: 'openai' });
  });

  it('targets the catalog base URL (the simulator), leaves top_n out when absent and clamps it to the documents', () => {
    const simulator = getRerankAdapter('openai', 'simulator');
    const { request } = simulator.buildRequest({ query: 'q', documents: ['a', 'b'] }, { ...context, baseUrl: 'http://127.0.0.1:8090/openai/v1/', upstreamModelId: 'rerank-lite' });
    expect(request.url).toBe('http://127.0.0.1:8090/openai/v1/rerank');
    expect(JSON.parse(request.body)).toEqual({ model: 'rerank-lite', query: 'q', documents: ['a', 'b'], return_documents: false });
    const clamped = simulator.buildRequest({ query: 'q', documents: ['a', 'b'], topN: 10 }, context);
    expect(JSON.parse(clamped.request.body)).toMatchObject({ top_n: 2 });
    expect(simulator.id).toBe('openai-compatible:simulator');
  });

  it('refuses no documents, or a top_n below one, with a 400 naming the field (never a reason to fail over)', () => {
    const thrown = (request: CanonicalRerankRequest) => {
      try {
        together.buildRequest(request, context);
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const empty = thrown({ query: 'q', documents: [] });
    expect(AdapterRequestError.isInstance(empty)).toBe(true);
    expect(empty).toMatchObject({ status: 400, errorType: 'invalid_request', param: 'documents' });
    expect(thrown({ query: 'q', documents: ['a'], topN: 0 })).toMatchObject({ status: 400, param: 'top_n' });
    expect(thrown({ query: 'q', documents: ['a'], topN: 1.5 })).toMatchObject({ status: 400, param: 'top_n' });
  });

  it('reads a Together answer: scores by relevance, the upstream id and model, the reported prompt tokens', () => {
    const result = ok(together.parseResponse(fixture('together-rerank.json'), animals));
    expect(result.results).toEqual([
      { index: 2, relevanceScore: 0.9486544132232666 },
      { index: 0, relevanceScore: 0.29980177813003117 },
      { index: 3, relevanceScore: 0.002745035346671939 },
    ]);
    expect(result.usage).toMatchObject({ promptTokens: 161, completionTokens: 0, totalTokens: 161, raw: { prompt_tokens: 161, total_tokens: 161 } });
    expect(result.usage.estimated).toBeUndefined();
    expect(result).toMatchObject({ upstreamId: 'oGs6Zt9-62bZhn-8f1e8a2b3c4d5e6f', upstreamModel: 'Salesforce/Llama-Rank-V1' });
  });

  it('sorts results itself (ties by index) and keeps at most top_n', () => {
    const body = resultsBody([
      { index: 0, relevance_score: 0.1 },
      { index: 3, relevance_score: 0.5 },
      { index: 1, relevance_score: 0.9 },
      { index: 2, relevance_score: 0.5 },
    ]);
    expect(ok(together.parseResponse(body, { ...animals, topN: undefined })).results.map((score) => score.index)).toEqual([1, 2, 3, 0]);
    expect(ok(together.parseResponse(body, { ...animals, topN: 2 })).results).toEqual([
      { index: 1, relevanceScore: 0.9 },
      { index: 2, relevanceScore: 0.5 },
    ]);
  });

  it('takes total_tokens when prompt_tokens is missing, and estimates (marked estimated) when nothing is reported', () => {
    const totals = ok(together.parseResponse(resultsBody([{ index: 0, relevance_score: 1 }], { usage: { total_tokens: 42 } }), animals));
    expect(totals.usage).toMatchObject({ promptTokens: 42, completionTokens: 0 });
    const none = ok(together.parseResponse(resultsBody([{ index: 0, relevance_score: 1 }]), { query: 'abcdefgh', documents: ['abcde', 'x'] }));
    // 2 documents × ⌈8/4⌉ for the query, + ⌈5/4⌉ + ⌈1/4⌉
    expect(none.usage).toMatchObject({ promptTokens: 2 * 2 + 2 + 1, completionTokens: 0, estimated: true });
    expect(none.upstreamId).toBeNull();
  });

  it('turns an unusable 200 into a retryable 502 of phase body: bad JSON, no results, an index out of range or repeated', () => {
    const cases = [
      'not json',
      JSON.stringify({ id: 'x' }),
      JSON.stringify({ error: { message: 'boom' } }),
      resultsBody([{ index: 4, relevance_score: 0.5 }]),
      resultsBody([{ index: -1, relevance_score: 0.5 }]),
      resultsBody([{ index: 0.5, relevance_score: 0.5 }]),
      resultsBody([{ index: 1, relevance_score: 0.5 }, { index: 1, relevance_score: 0.4 }]),
      JSON.stringify({ results: [{ index: 0, relevance_score: '0.5' }] }),
      JSON.stringify({ results: [{ index: 0 }] }),
    ];
    for (const body of cases) {
      expect(failed(together.parseResponse(body, animals)).error).toMatchObject({ status: 502, errorType: 'provider_unavailable', retryable: true, phase: 'body' });
    }
    expect(failed(together.parseResponse(resultsBody([{ index: 4, relevance_score: 0.5 }]), animals)).error.message).toMatch(/index 4 is out of range for 4 documents/);
  });

  it('types OpenAI-shaped errors', () => {
    const body = JSON.stringify({ error: { message: 'Invalid API key provided', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
    expect(together.parseError(401, {}, body)).toMatchObject({ status: 401, errorType: 'authentication', retryable: false, message: 'Invalid API key provided', phase: 'status' });
  });
});

describe('Cohere v2 rerank', () => {
  const cohere = getRerankAdapter('openai', 'cohere');
  const cohereContext = { baseUrl: 'https://api.cohere.ai/compatibility/v1', upstreamModelId: 'rerank-v3.5', apiKey: 'co-key' };

  it('posts model, query, documents and top_n to the origin of the compatibility base URL + /v2/rerank', () => {
    const { request, warnings } = cohere.buildRequest({ ...capital, topN: 3 }, cohereContext);
    expect(request).toMatchObject({ url: 'https://api.cohere.ai/v2/rerank', method: 'POST', stream: false });
    expect(request.headers).toEqual({ 'content-type': 'application/json', authorization: 'Bearer co-key' });
    expect(JSON.parse(request.body)).toEqual({ model: 'rerank-v3.5', query: capital.query, documents: capital.documents, top_n: 3 });
    expect(warnings).toEqual([]);
    expect(cohere.buildRequest(capital, { ...cohereContext, baseUrl: '' }).request.url).toBe('https://api.cohere.ai/v2/rerank');
    expect(cohere).toMatchObject({ id: 'cohere', wireFormat: 'openai' });
  });

  it('reads a v2 answer and estimates the tokens when only search units are billed', () => {
    const result = ok(cohere.parseResponse(fixture('cohere-v2-rerank.json'), capital));
    expect(result.results).toEqual([
      { index: 3, relevanceScore: 0.999071 },
      { index: 4, relevanceScore: 0.7867867 },
      { index: 0, relevanceScore: 0.32713068 },
    ]);
    expect(result.usage).toMatchObject({ promptTokens: estimateRerankTokens(capital), completionTokens: 0, estimated: true, raw: { search_units: 1 } });
    expect(result).toMatchObject({ upstreamId: '07734bd2-2473-4f07-94e1-0d9f0e6843cf', upstreamModel: null });
    expect(ok(cohere.parseResponse(fixture('cohere-v2-rerank.json'), { ...capital, topN: 1 })).results).toEqual([{ index: 3, relevanceScore: 0.999071 }]);
  });

  it('takes billed input tokens when Cohere reports them', () => {
    const body = resultsBody([{ index: 0, relevance_score: 0.2 }], { id: 'r', meta: { billed_units: { search_units: 1, input_tokens: 77 } } });
    const result = ok(cohere.parseResponse(body, capital));
    expect(result.usage).toMatchObject({ promptTokens: 77, raw: { search_units: 1, input_tokens: 77 } });
    expect(result.usage.estimated).toBeUndefined();
  });

  it('keeps the message of Cohere’s {id, message} errors and types them by status', () => {
    expect(cohere.parseError(404, {}, fixture('cohere-404-model.json'))).toMatchObject({
      status: 404,
      errorType: 'not_found',
      retryable: false,
      message: "model 'rerank-v9.0' not found, make sure the correct model ID was used and that you have access to the model.",
    });
    const limited = cohere.parseError(429, { 'retry-after': '6' }, fixture('cohere-429-trial-key.json'));
    expect(limited).toMatchObject({ status: 429, errorType: 'rate_limit_exceeded', retryable: true, retryAfterMs: 6000 });
    expect(limited.message).toMatch(/^You are using a Trial key/);
  });
});

describe('the rerank registry', () => {
  it('shares one adapter per preset and names the presets with a rerank API', () => {
    expect(getRerankAdapter('openai', 'together')).toBe(getRerankAdapter('openai', 'together'));
    expect(Object.keys(rerankPresets).toSorted()).toEqual(['cohere', 'simulator', 'together']);
  });

  it('refuses providers without a rerank API, unknown presets and other wire formats', () => {
    expect(() => getRerankAdapter('openai')).toThrow(/OpenAI \(preset "openai"\) has no rerank endpoint/);
    expect(() => getRerankAdapter('openai', 'groq')).toThrow(/has no rerank endpoint/);
    expect(() => getRerankAdapter('openai', 'deepinfra')).toThrow(/has no rerank endpoint/);
    expect(() => getRerankAdapter('openai', 'nobody')).toThrow(/unknown OpenAI-compatible preset "nobody"/);
    expect(() => getRerankAdapter('anthropic')).toThrow(/no rerank endpoint/);
    expect(() => getRerankAdapter('gemini')).toThrow(/no rerank endpoint/);
    expect(() => getRerankAdapter('azure')).toThrow(/no rerank endpoint/);
    expect(() => getRerankAdapter('telnet')).toThrow(/unknown wire format/);
  });
});

describe('rerank results (property)', () => {
  const together = getRerankAdapter('openai', 'together');
  // Any valid answer: a subset of the document indices in any order, each with any finite score.
  const answer = fc
    .integer({ min: 1, max: 30 })
    .chain((count) =>
      fc.record({
        count: fc.constant(count),
        indices: fc.shuffledSubarray(Array.from({ length: count }, (_, index) => index)),
        scores: fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: count, maxLength: count }),
        topN: fc.option(fc.integer({ min: 1, max: count + 5 }), { nil: undefined }),
      }),
    );

  it('gives a subset of the sent results, each index once, sorted by relevance descending, at most top_n', () => {
    fc.assert(
      fc.property(answer, ({ count, indices, scores, topN }) => {
        const request: CanonicalRerankRequest = { query: 'q', documents: Array.from({ length: count }, (_, index) => `document ${index}`), topN };
        const sent = indices.map((index) => ({ index, relevance_score: scores[index]! }));
        const results = ok(together.parseResponse(resultsBody(sent), request)).results;
        expect(results).toHaveLength(Math.min(sent.length, topN ?? Infinity));
        expect(new Set(results.map((score) => score.index)).size).toBe(results.length);
        // (=== rather than toBe: JSON has no -0.)
        for (const score of results) expect(score.relevanceScore === scores[score.index]).toBe(true);
        for (let position = 1; position < results.length; position++) {
          const previous = results[position - 1]!;
          const current = results[position]!;
          expect(previous.relevanceScore > current.relevanceScore || (previous.relevanceScore === current.relevanceScore && previous.index < current.index)).toBe(true);
        }
        // The kept results are the best ones: nothing left out scores higher than the last kept.
        const kept = new Set(results.map((score) => score.index));
        const lowestKept = results.at(-1)?.relevanceScore ?? Infinity;
        const leftOut = sent.filter((item) => !kept.has(item.index)).map((item) => item.relevance_score);
        expect(leftOut.every((score) => score <= lowestKept)).toBe(true);
      }),
    );
  });
});
