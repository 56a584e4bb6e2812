import type { UpstreamError } from '@switchyard/llm-spec';
import { z } from 'zod';
import { authHeaders } from '../openai-compatible/openai-compatible-adapter.js';
import type { OpenAiCompatiblePreset } from '../openai-compatible/openai-compatible-presets.js';
import { parseOpenAiError } from '../openai-compatible/openai-compatible-response.js';
import { AdapterRequestError } from '../shared/adapter-request-error.js';
import { parseJson } from '../shared/parse-json.js';
import { joinUrl } from '../shared/parameters.js';
import type { AdapterContext, WireFormatName } from '../types.js';
import { invalidRerankBody, rankScores, rerankUsage } from './rerank-results.js';
import type { CanonicalRerankRequest, RerankAdapter, RerankBuildResult, RerankResult } from './rerank-types.js';

/** The two rerank APIs in use: `/v1/rerank` (Together, Jina, the simulator) and Cohere's `/v2/rerank`. */
export type RerankDialectName = 'v1' | 'cohere-v2';

interface RerankDialect {
  /** Where the request goes, from the endpoint's base URL. */
  url(baseUrl: string): string;
  /** Sends `return_documents: false` (v1 hosts may echo every document otherwise; Cohere v2 never does). */
  returnDocumentsField: boolean;
}

const rerankDialects: Readonly<Record<RerankDialectName, RerankDialect>> = Object.freeze({
  v1: { url: (baseUrl) => joinUrl(baseUrl, 'rerank'), returnDocumentsField: true },
  // The catalog's Cohere base URL is its OpenAI compatibility API (…/compatibility/v1); rerank lives at the origin.
  'cohere-v2': { url: (baseUrl) => `${originOf(baseUrl)}/v2/rerank`, returnDocumentsField: false },
});

function originOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).origin;
  } catch {
    throw new Error(`the rerank base URL "${baseUrl}" is not an absolute URL`);
  }
}

/**
 * A rerank API over HTTP with a bearer key: `{model, query, documents, top_n}` in, `results[].{index,
 * relevance_score}` out, tokens in `usage` (v1) or `meta.billed_units` (Cohere). Results are re-sorted and checked
 * here, whatever order the host sends.
 */
export class RerankApiAdapter implements RerankAdapter {
  readonly wireFormat: WireFormatName = 'openai';
  private readonly dialect: RerankDialect;

  constructor(
    readonly id: string,
    readonly preset: OpenAiCompatiblePreset,
    readonly dialectName: RerankDialectName,
  ) {
    this.dialect = rerankDialects[dialectName];
  }

  buildRequest(request: CanonicalRerankRequest, context: AdapterContext): RerankBuildResult {
    if (request.documents.length === 0) throw new AdapterRequestError('documents must list at least one document', { param: 'documents' });
    if (request.topN !== undefined && !(Number.isInteger(request.topN) && request.topN >= 1)) {
      throw new AdapterRequestError(`top_n must be a positive integer, got ${request.topN}`, { param: 'top_n' });
    }
    const body: Record<string, unknown> = { model: context.upstreamModelId, query: request.query, documents: request.documents };
    if (request.topN !== undefined) body.top_n = Math.min(request.topN, request.documents.length);
    if (this.dialect.returnDocumentsField) body.return_documents = false;
    return {
      request: {
        url: this.dialect.url(context.baseUrl || this.preset.defaultBaseUrl),
        method: 'POST',
        headers: { 'content-type': 'application/json', ...authHeaders(this.preset.auth, context.apiKey) },
        body: JSON.stringify(body),
        stream: false,
      },
      warnings: [],
    };
  }

  parseResponse(body: string, request: CanonicalRerankRequest): RerankResult {
    const parsed = parseJson(body, rerankResponseSchema);
    if (!parsed.success) return invalidRerankBody(parsed.error, body);
    const response = parsed.value;
    const results = rankScores(
      response.results.map((item) => ({ index: item.index, relevanceScore: item.relevance_score })),
      request,
    );
    if (typeof results === 'string') return invalidRerankBody(results, body);
    const billedUnits = response.meta?.billed_units;
    const usage = rerankUsage(
      [response.usage?.prompt_tokens, response.usage?.total_tokens, billedUnits?.input_tokens],
      response.usage ?? billedUnits ?? undefined,
      request,
    );
    return { ok: true, results, usage, upstreamId: response.id ?? null, upstreamModel: response.model ?? null };
  }

  /** OpenAI-style `{error: {...}}`, and Cohere's `{message}` / `{id, message}` (the message is kept). */
  parseError(status: number, headers: Record<string, string>, body: string): UpstreamError {
    return parseOpenAiError(status, headers, body);
  }
}

// Wire schema: only what the adapter reads. Indices and scores are checked by `rankScores` (to name the fault).
const rerankResponseSchema = z.object({
  id: z.string().nullish(),
  model: z.string().nullish(),
  results: z.array(z.object({ index: z.number(), relevance_score: z.number() })),
  usage: z.object({ prompt_tokens: z.number().nullish(), total_tokens: z.number().nullish() }).nullish(),
  meta: z.object({ billed_units: z.object({ search_units: z.number().nullish(), input_tokens: z.number().nullish() }).nullish() }).nullish(),
});
