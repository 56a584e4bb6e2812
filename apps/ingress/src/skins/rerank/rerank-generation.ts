import type { RerankScoreFrame } from '@switchyard/contracts';
import { estimateTokens, type Usage } from '@switchyard/llm-spec';
import type { Charge } from '@switchyard/money';
import { renderUnaryUsage, unaryRouting, type UnaryGeneration, type UnaryIdentity } from '../unary/unary-generation.service.js';
import type { RerankRequest } from './rerank-request.schema.js';

/** Documents in one search, as Cohere counts searches (its per-search price is per query with up to 100 documents). */
export const DOCUMENTS_PER_SEARCH = 100;

/** Searches a rerank of `documents` documents is billed: one per started hundred. */
export function rerankSearches(documents: number): number {
  return Math.max(1, Math.ceil(documents / DOCUMENTS_PER_SEARCH));
}

/**
 * Prompt tokens of a rerank, estimated as providers that bill tokens count them (the query once per document, each
 * pair being scored on its own, plus every document), and the query's own tokens.
 */
export function rerankTokenEstimate(query: string, documents: readonly string[]): { promptTokens: number; queryTokens: number } {
  const queryTokens = estimateTokens(query);
  let promptTokens = 0;
  for (const document of documents) promptTokens += queryTokens + estimateTokens(document);
  return { promptTokens, queryTokens };
}

/**
 * A rerank request as the unary service runs it: the estimated tokens and its searches admitted at the priciest
 * endpoint, the query against each endpoint's context, the scores rendered with their
 * documents (unless `return_documents: false`), and the query, documents and scores logged for an account that
 * opted in to prompt logging.
 */
export function rerankGeneration(rerank: RerankRequest): UnaryGeneration {
  const estimate = rerankTokenEstimate(rerank.query, rerank.documents);
  return {
    api: 'rerank',
    ...unaryRouting(rerank),
    promptTokens: estimate.promptTokens,
    // Only the query must fit: rerankers truncate a long document to their context (Cohere's max_tokens_per_doc).
    contextTokens: estimate.queryTokens,
    requests: rerankSearches(rerank.documents.length),
    call: { operation: 'rerank', query: rerank.query, documents: rerank.documents, ...(rerank.topN !== undefined ? { topN: rerank.topN } : {}) },
    render: (identity, answer, charge, isByok) => renderRerankResponse(identity, rerank, answer.results, answer.usage, charge, isByok),
    content: (answer) => ({ input: { query: rerank.query, documents: rerank.documents }, output: answer ? answer.results.map(({ index, relevanceScore }) => ({ index, relevance_score: relevanceScore })) : null }),
    attributes: { 'switchyard.documents': rerank.documents.length },
  };
}

/**
 * The `POST /api/v1/rerank` answer (reference §10.3): `{id, model, provider, results: [{index, relevance_score,
 * document: {text}}], usage}`, best first, at most `top_n`; `usage` has the prompt tokens and `cost`, as
 * embeddings' does, and the searches billed (`search_units`).
 */
export function renderRerankResponse(identity: UnaryIdentity, rerank: RerankRequest, results: readonly RerankScoreFrame[], usage: Usage, charge: Charge, isByok: boolean): Record<string, unknown> {
  const limited = rerank.topN === undefined ? results : results.slice(0, rerank.topN);
  return {
    id: identity.id,
    model: identity.model,
    provider: identity.provider,
    results: limited.map(({ index, relevanceScore }) => ({
      index,
      relevance_score: relevanceScore,
      ...(rerank.returnDocuments ? { document: { text: rerank.documents[index] } } : {}),
    })),
    usage: { ...renderUnaryUsage(usage, charge, isByok), search_units: rerankSearches(rerank.documents.length) },
  };
}
