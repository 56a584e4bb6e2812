import { RequestError } from '../upstream/formats/errors.js';
import { openAiRerankInput } from '../upstream/formats/openai-rerank.schema.js';
import { rankDocuments, relevanceScore, wordSet } from './rerank.js';

describe('rerank scoring', () => {
  it('splits words on anything but letters and digits, lower-cased and distinct', () => {
    expect([...wordSet('What is  the capital—of the U.S.? 2024!')]).toEqual(['what', 'is', 'the', 'capital', 'of', 'u', 's', '2024']);
    expect(wordSet('?!').size).toBe(0);
  });

  it('scores the share of query words a document holds, plus a tie-breaker below 0.001, always in [0, 1]', () => {
    const all = relevanceScore('m', 'red apple', 'An apple, red and ripe.');
    const half = relevanceScore('m', 'red apple', 'A green apple.');
    const none = relevanceScore('m', 'red apple', 'Bananas.');
    expect(all).toBeGreaterThanOrEqual(0.999);
    expect(all).toBeLessThanOrEqual(1);
    expect(half).toBeGreaterThanOrEqual(0.4995);
    expect(half).toBeLessThan(0.5005);
    expect(none).toBeGreaterThanOrEqual(0);
    expect(none).toBeLessThan(0.001);
    expect(relevanceScore('m', '??', 'anything')).toBeLessThan(0.001);
  });

  it('is deterministic per (model, query, document) and breaks ties between equally relevant documents', () => {
    expect(relevanceScore('m', 'q', 'doc')).toBe(relevanceScore('m', 'q', 'doc'));
    expect(relevanceScore('m', 'q', 'doc')).not.toBe(relevanceScore('other', 'q', 'doc'));
    const scores = rankDocuments('m', 'zebra', ['one', 'two', 'three', 'four']).map((ranked) => ranked.relevanceScore);
    expect(new Set(scores).size).toBe(4);
  });

  it('ranks most relevant first and cuts to top_n', () => {
    const documents = ['Paris is in France.', 'The capital of France is Paris.', 'Bread.'];
    const ranked = rankDocuments('m', 'capital of France', documents);
    expect(ranked.map((entry) => entry.index)).toEqual([1, 0, 2]);
    expect(rankDocuments('m', 'capital of France', documents, 1)).toEqual([ranked[0]]);
  });
});

function failure(body: unknown): RequestError {
  try {
    openAiRerankInput(body);
  } catch (error) {
    return error as RequestError;
  }
  throw new Error('expected a RequestError');
}

describe('rerank request parsing', () => {
  it('reads strings and {text} documents and counts the query once per document plus each document', () => {
    const input = openAiRerankInput({ model: 'rerank-lite', query: 'abcdefgh', documents: ['abcde', { text: 'x', title: 'kept out' }], top_n: 1, return_documents: true });
    expect(input).toEqual({ model: 'rerank-lite', query: 'abcdefgh', documents: ['abcde', 'x'], topN: 1, returnDocuments: true, promptTokens: 2 + 2 + 2 + 1 });
  });

  it('rejects a missing query, no documents, a bad document or top_n with a 400 naming the field', () => {
    expect(failure({ model: 'm', documents: ['a'] })).toMatchObject({ status: 400, param: 'query', message: "Missing required parameter: 'query'." });
    expect(failure({ model: 'm', query: '', documents: ['a'] })).toMatchObject({ status: 400, param: 'query' });
    expect(failure({ model: 'm', query: 'q', documents: [] })).toMatchObject({ status: 400, param: 'documents' });
    expect(failure({ model: 'm', query: 'q', documents: [{ title: 'no text' }] })).toMatchObject({ status: 400, param: 'documents[0]' });
    expect(failure({ model: 'm', query: 'q', documents: ['a'], top_n: 0 })).toMatchObject({ status: 400, param: 'top_n' });
    expect(failure({ model: 'm', query: 'q', documents: ['a'], return_documents: 'yes' })).toBeInstanceOf(RequestError);
  });
});
