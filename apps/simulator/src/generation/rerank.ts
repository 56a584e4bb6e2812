import { fnv1a } from './deterministic-text.js';

/** Scores stay below 1 by this much, so the tie-breaker never pushes one past 1. */
const TIE_BREAKER_SCALE = 0.000_999;

/** The distinct lower-cased words of a text (runs of letters and digits). */
export function wordSet(text: string): Set<string> {
  return new Set(text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((word) => word.length > 0));
}

/**
 * A deterministic relevance in [0, 1] of a document to a query: the share of the query's distinct words found in
 * the document, scaled into [0, 0.999], plus a tie-breaker in [0, 0.000999) hashed from (model, query, document),
 * so that scores are stable and (almost surely) distinct, and more shared words always rank higher.
 */
export function relevanceScore(model: string, query: string, document: string, queryWords: ReadonlySet<string> = wordSet(query)): number {
  let shared = 0;
  if (queryWords.size > 0) {
    const documentWords = wordSet(document);
    for (const word of queryWords) if (documentWords.has(word)) shared++;
  }
  const overlap = queryWords.size > 0 ? shared / queryWords.size : 0;
  const hash = fnv1a(document, fnv1a('\u0000', fnv1a(query, fnv1a('\u0000rerank\u0000', fnv1a(model)))));
  return overlap * (1 - 0.001) + (hash / 4_294_967_296) * TIE_BREAKER_SCALE;
}

export interface RankedDocument {
  index: number;
  relevanceScore: number;
}

/** Every document scored, most relevant first (ties by index), cut to `topN` when given. */
export function rankDocuments(model: string, query: string, documents: readonly string[], topN?: number): RankedDocument[] {
  const queryWords = wordSet(query);
  const ranked = documents
    .map((document, index) => ({ index, relevanceScore: relevanceScore(model, query, document, queryWords) }))
    .toSorted((left, right) => right.relevanceScore - left.relevanceScore || left.index - right.index);
  return topN === undefined ? ranked : ranked.slice(0, topN);
}
