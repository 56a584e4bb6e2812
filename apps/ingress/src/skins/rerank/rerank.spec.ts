import { BadRequestError } from '@switchyard/contracts';
import { makeUsage } from '@switchyard/llm-spec';
import { chargeFor, formatMoney } from '@switchyard/money';
import fc from 'fast-check';
import { rerankGeneration, rerankSearches, rerankTokenEstimate, renderRerankResponse } from './rerank-generation.js';
import { parseRerankRequest, type RerankRequest } from './rerank-request.schema.js';

function refused(body: unknown): BadRequestError {
  try {
    parseRerankRequest(body);
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestError);
    return error as BadRequestError;
  }
  throw new Error('the body was accepted');
}

describe('parseRerankRequest', () => {
  it('takes strings and {text} documents, OpenRouter routing fields, and returns documents unless asked not to', () => {
    expect(parseRerankRequest({ model: 'cohere/rerank-v3.5', query: 'q', documents: ['a', { text: 'b' }], provider: { only: ['cohere'] }, models: ['x/y'], user: 'u-1', unknown_field: 1 })).toEqual({
      model: 'cohere/rerank-v3.5',
      query: 'q',
      documents: ['a', 'b'],
      returnDocuments: true,
      provider: { only: ['cohere'] },
      models: ['x/y'],
      user: 'u-1',
    });
    expect(parseRerankRequest({ model: 'm', query: 'q', documents: ['a'], return_documents: false }).returnDocuments).toBe(false);
  });

  it('clamps top_n to the number of documents', () => {
    expect(parseRerankRequest({ model: 'm', query: 'q', documents: ['a', 'b'], top_n: 10 }).topN).toBe(2);
    expect(parseRerankRequest({ model: 'm', query: 'q', documents: ['a', 'b', 'c'], top_n: 2 }).topN).toBe(2);
    expect(parseRerankRequest({ model: 'm', query: 'q', documents: ['a'], top_n: null }).topN).toBeUndefined();
  });

  it('refuses bad bodies with a 400 naming the field', () => {
    expect(refused({ model: 'm', documents: ['a'] }).message).toContain('query');
    expect(refused({ model: 'm', query: '', documents: ['a'] }).message).toContain('query must not be empty');
    expect(refused({ model: 'm', query: 'q', documents: [] }).message).toContain('documents must not be empty');
    expect(refused({ model: 'm', query: 'q', documents: Array.from({ length: 1_001 }, () => 'd') }).message).toContain('at most 1000 documents');
    expect(refused({ model: 'm', query: 'q', documents: [{ title: 'no text' }] }).message).toContain('documents.0');
    expect(refused({ model: 'm', query: 'q', documents: ['a'], top_n: 0 }).message).toContain('top_n');
    expect(refused({ query: 'q', documents: ['a'] }).message).toContain('model');
    expect(refused(null).status).toBe(400);
  });

  it('never throws anything but a 400 for arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        try {
          parseRerankRequest(body);
        } catch (error) {
          return error instanceof BadRequestError && error.status === 400;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});

describe('rerankTokenEstimate', () => {
  it('counts the query once per document plus each document, four characters a token, and the query alone', () => {
    expect(rerankTokenEstimate('abcdefgh', ['abcd', 'abcdefghi'])).toEqual({ promptTokens: 2 + 1 + 2 + 3, queryTokens: 2 });
  });
});

describe('rerankSearches', () => {
  it('bills one search per started hundred documents, as Cohere counts them', () => {
    expect([1, 99, 100, 101, 200, 201, 1_000].map(rerankSearches)).toEqual([1, 1, 1, 2, 2, 3, 10]);
  });
});

describe('rerankGeneration and its answer', () => {
  const request: RerankRequest = { model: 'cohere/rerank-v3.5', query: 'capital of France', documents: ['Berlin', 'Paris', 'Rome'], topN: 2, returnDocuments: true };
  const pricing = { prompt: '0', completion: '0', request: '0.002' };
  const usage = makeUsage({ promptTokens: 17, completionTokens: 0 });
  const charge = chargeFor({ usage: { promptTokens: 17, completionTokens: 0, cachedTokens: 0, cacheWriteTokens: 0, requests: 1 }, pricing, finishReason: 'stop', promptLogging: false, isByok: false, byokFeeWaived: false });

  it('sends a rerank call to providers and admits the estimated tokens', () => {
    const generation = rerankGeneration(request);
    expect(generation).toMatchObject({ api: 'rerank', model: 'cohere/rerank-v3.5', promptTokens: rerankTokenEstimate(request.query, request.documents).promptTokens });
    expect(generation.call).toEqual({ operation: 'rerank', query: 'capital of France', documents: ['Berlin', 'Paris', 'Rome'], topN: 2 });
    expect(generation.requests).toBe(1);
    expect(rerankGeneration({ ...request, documents: Array.from({ length: 250 }, (_, index) => `d${index}`) }).requests).toBe(3);
    expect(generation.content({ embeddings: [], results: [{ index: 1, relevanceScore: 0.9 }], usage })).toEqual({
      input: { query: 'capital of France', documents: ['Berlin', 'Paris', 'Rome'] },
      output: [{ index: 1, relevance_score: 0.9 }],
    });
  });

  it('renders the best top_n with their documents, one search and the exact cost', () => {
    const body = renderRerankResponse({ id: 'gen-1', model: 'cohere/rerank-v3.5', provider: 'Cohere' }, request, [
      { index: 1, relevanceScore: 0.9 },
      { index: 2, relevanceScore: 0.2 },
      { index: 0, relevanceScore: 0.1 },
    ], usage, charge, false);
    expect(body).toEqual({
      id: 'gen-1',
      model: 'cohere/rerank-v3.5',
      provider: 'Cohere',
      results: [
        { index: 1, relevance_score: 0.9, document: { text: 'Paris' } },
        { index: 2, relevance_score: 0.2, document: { text: 'Rome' } },
      ],
      usage: expect.objectContaining({ prompt_tokens: 17, total_tokens: 17, search_units: 1, is_byok: false }),
    });
    expect(formatMoney(String((body.usage as { cost: number }).cost))).toBe('0.002');
    const bare = renderRerankResponse({ id: 'gen-1', model: 'm', provider: 'P' }, { ...request, returnDocuments: false }, [{ index: 0, relevanceScore: 0.5 }], usage, charge, false);
    expect(bare.results).toEqual([{ index: 0, relevance_score: 0.5 }]);
  });
});
