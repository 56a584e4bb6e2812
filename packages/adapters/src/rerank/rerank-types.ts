import type { UpstreamError, Usage } from '@switchyard/llm-spec';
import type { AdapterContext, UpstreamHttpRequest, WireFormatName } from '../types.js';

/**
 * The canonical rerank request every rerank adapter reads (OpenRouter's `POST /rerank`): one query, the documents
 * as plain text, and how many of the best to keep. The model is the endpoint's (`AdapterContext.upstreamModelId`).
 */
export interface CanonicalRerankRequest {
  query: string;
  documents: string[];
  /** At least 1 (the caller validates); clamped to the number of documents. */
  topN?: number;
}

/** One document's relevance: `index` into `CanonicalRerankRequest.documents`. */
export interface RerankScore {
  index: number;
  relevanceScore: number;
}

export interface RerankBuildResult {
  request: UpstreamHttpRequest;
  /** Human-readable notes about what was adapted. */
  warnings: string[];
}

/** A 200 body read: the scores, most relevant first (at most `topN`), and the usage (estimated when none is reported). */
export type RerankResult =
  | { ok: true; results: RerankScore[]; usage: Usage; upstreamId: string | null; upstreamModel: string | null }
  | { ok: false; error: UpstreamError };

/** One provider's rerank endpoint: pure transforms, no I/O (as `ProviderAdapter` for chat). */
export interface RerankAdapter {
  /** "openai-compatible:together", "openai-compatible:simulator", "cohere". */
  readonly id: string;
  readonly wireFormat: WireFormatName;
  /** Throws `AdapterRequestError` (400) for input the provider cannot take. */
  buildRequest(request: CanonicalRerankRequest, context: AdapterContext): RerankBuildResult;
  /** A 200 body → the scores sorted by relevance, or a typed error when the body is unusable. */
  parseResponse(body: string, request: CanonicalRerankRequest): RerankResult;
  parseError(status: number, headers: Record<string, string>, body: string): UpstreamError;
}
