import { estimateTokens, makeUsage, type Usage } from '@switchyard/llm-spec';
import { invalidBodyError } from '../shared/upstream-errors.js';
import type { CanonicalRerankRequest, RerankResult, RerankScore } from './rerank-types.js';

/**
 * Prompt tokens of a rerank request when the provider reports none: a reranker reads the query beside each
 * document, so ⌈query / 4⌉ once per document plus ⌈document / 4⌉ for each. The simulator counts exactly this way.
 */
export function estimateRerankTokens(request: Pick<CanonicalRerankRequest, 'query' | 'documents'>): number {
  const queryTokens = estimateTokens(request.query);
  let tokens = 0;
  for (const document of request.documents) tokens += queryTokens + estimateTokens(document);
  return tokens;
}

/** A 200 whose body is unusable: OpenRouter's 502, retryable on another provider. */
export function invalidRerankBody(reason: string, body: string): RerankResult {
  const part = invalidBodyError(reason, body);
  return { ok: false, error: (part as Extract<typeof part, { type: 'error' }>).error };
}

/**
 * Checks the upstream's scores against the request (integer indices in range, each once; finite scores) and
 * orders them by relevance, highest first (ties by index), keeping at most `topN`. A string names what is wrong.
 */
export function rankScores(scores: readonly RerankScore[], request: CanonicalRerankRequest): RerankScore[] | string {
  const count = request.documents.length;
  const seen = new Set<number>();
  for (const score of scores) {
    if (!Number.isInteger(score.index) || score.index < 0 || score.index >= count) return `result index ${score.index} is out of range for ${count} documents`;
    if (seen.has(score.index)) return `result index ${score.index} is repeated`;
    if (!Number.isFinite(score.relevanceScore)) return `relevance score of document ${score.index} is not a finite number`;
    seen.add(score.index);
  }
  const sorted = scores
    .map((score) => ({ index: score.index, relevanceScore: score.relevanceScore }))
    .toSorted((left, right) => right.relevanceScore - left.relevanceScore || left.index - right.index);
  return request.topN === undefined ? sorted : sorted.slice(0, Math.max(0, request.topN));
}

/** The first reported token count that is a finite non-negative number, else the estimate (marked estimated). */
export function rerankUsage(reported: ReadonlyArray<number | null | undefined>, raw: unknown, request: CanonicalRerankRequest): Usage {
  const promptTokens = reported.find((value): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0);
  if (promptTokens !== undefined) return makeUsage({ promptTokens: Math.round(promptTokens), completionTokens: 0, raw });
  return makeUsage({ promptTokens: estimateRerankTokens(request), completionTokens: 0, estimated: true, ...(raw === undefined ? {} : { raw }) });
}
