import { makeUsage, type UpstreamError } from '@switchyard/llm-spec';
import { z } from 'zod';
import { defaultGeminiBaseUrl } from '../gemini/gemini-adapter.js';
import { parseGeminiError } from '../gemini/gemini-response.js';
import { AdapterRequestError } from '../shared/adapter-request-error.js';
import { parseJson } from '../shared/parse-json.js';
import { joinUrl } from '../shared/parameters.js';
import type { AdapterContext } from '../types.js';
import { estimateEmbeddingTokens, invalidEmbeddingsBody, isTokenInput, toEncoding } from './embedding-encoding.js';
import type { CanonicalEmbeddingsRequest, EmbeddingsAdapter, EmbeddingsBuildResult, EmbeddingsResult, EmbeddingVector } from './embeddings-types.js';

/**
 * OpenRouter's `input_type` vocabulary (and the spellings other embedding APIs use) → Gemini's `taskType`.
 * Gemini's own upper-case names are accepted as they are.
 */
const taskTypes: Readonly<Record<string, string>> = Object.freeze({
  search_query: 'RETRIEVAL_QUERY',
  query: 'RETRIEVAL_QUERY',
  retrieval_query: 'RETRIEVAL_QUERY',
  search_document: 'RETRIEVAL_DOCUMENT',
  document: 'RETRIEVAL_DOCUMENT',
  passage: 'RETRIEVAL_DOCUMENT',
  retrieval_document: 'RETRIEVAL_DOCUMENT',
  classification: 'CLASSIFICATION',
  clustering: 'CLUSTERING',
  semantic_similarity: 'SEMANTIC_SIMILARITY',
  similarity: 'SEMANTIC_SIMILARITY',
  question_answering: 'QUESTION_ANSWERING',
  fact_verification: 'FACT_VERIFICATION',
  code_retrieval_query: 'CODE_RETRIEVAL_QUERY',
});
const geminiTaskTypes = new Set(Object.values(taskTypes));

/** Gemini's `taskType` for an `input_type`, or undefined when Gemini has no such task. */
export function geminiTaskType(inputType: string): string | undefined {
  if (geminiTaskTypes.has(inputType)) return inputType;
  return taskTypes[inputType.toLowerCase().replace(/[\s-]+/g, '_')];
}

/**
 * Gemini API embeddings: one input → `POST {base}/models/{model}:embedContent`, several →
 * `:batchEmbedContents` (one request per input, each naming the model), authenticated with `x-goog-api-key`.
 * `dimensions` → `outputDimensionality`, `input_type` → `taskType`. Gemini answers floats (base64 is encoded here)
 * and usually reports no token count, so usage is then the estimate every gateway component uses, marked estimated.
 */
export class GeminiEmbeddingsAdapter implements EmbeddingsAdapter {
  readonly id = 'gemini';
  readonly wireFormat = 'gemini' as const;
  readonly acceptsTokenInputs = false;

  buildRequest(request: CanonicalEmbeddingsRequest, context: AdapterContext): EmbeddingsBuildResult {
    if (isTokenInput(request.input)) {
      throw new AdapterRequestError('Gemini embeddings take text inputs, not token ids: send the text instead', { param: 'input' });
    }
    const warnings: string[] = [];
    const model = context.upstreamModelId.replace(/^models\//, '');
    const options: Record<string, unknown> = {};
    if (request.inputType !== undefined) {
      const taskType = geminiTaskType(request.inputType);
      if (taskType) options.taskType = taskType;
      else warnings.push(`input_type "${request.inputType}" is not sent: Gemini has no such task type`);
    }
    if (request.dimensions !== undefined) options.outputDimensionality = request.dimensions;
    const texts = request.input as string[];
    const single = texts.length === 1;
    const body = single
      ? { content: textContent(texts[0]!), ...options }
      : { requests: texts.map((text) => ({ model: `models/${model}`, content: textContent(text), ...options })) };
    return {
      request: {
        url: joinUrl(context.baseUrl || defaultGeminiBaseUrl, `models/${encodeURIComponent(model)}:${single ? 'embedContent' : 'batchEmbedContents'}`),
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': context.apiKey },
        body: JSON.stringify(body),
        stream: false,
      },
      warnings,
    };
  }

  parseResponse(body: string, request: CanonicalEmbeddingsRequest): EmbeddingsResult {
    const parsed = parseJson(body, geminiEmbeddingsResponseSchema);
    if (!parsed.success) return invalidEmbeddingsBody(parsed.error, body);
    const response = parsed.value;
    if (response.error) {
      const error = parseGeminiError(typeof response.error.code === 'number' && response.error.code >= 400 ? response.error.code : 502, {}, body);
      return { ok: false, error: { ...error, phase: 'body' } };
    }
    const items = response.embeddings ?? (response.embedding ? [response.embedding] : undefined);
    if (!items) return invalidEmbeddingsBody('no embedding', body);
    if (items.length !== request.input.length) return invalidEmbeddingsBody(`${items.length} embeddings for ${request.input.length} inputs`, body);
    const embeddings: EmbeddingVector[] = [];
    for (let index = 0; index < items.length; index++) {
      const vector = toEncoding(items[index]!.values, request.encodingFormat);
      if (vector === undefined || (Array.isArray(vector) && vector.length === 0)) return invalidEmbeddingsBody(`embedding ${index} has no values`, body);
      embeddings.push(vector);
    }
    const reported = response.usageMetadata?.promptTokenCount ?? response.usageMetadata?.totalTokenCount;
    const usage =
      typeof reported === 'number' && Number.isFinite(reported) && reported >= 0
        ? makeUsage({ promptTokens: Math.round(reported), completionTokens: 0, raw: response.usageMetadata })
        : makeUsage({ promptTokens: estimateEmbeddingTokens(request.input), completionTokens: 0, estimated: true });
    return { ok: true, embeddings, usage, upstreamId: null, upstreamModel: null };
  }

  parseError(status: number, headers: Record<string, string>, body: string): UpstreamError {
    return parseGeminiError(status, headers, body);
  }
}


function textContent(text: string): { parts: Array<{ text: string }> } {
  return { parts: [{ text }] };
}

// Wire schema: lenient, only what the adapter reads (the values are checked by `toEncoding`).
const contentEmbeddingSchema = z.looseObject({ values: z.unknown() });
const geminiEmbeddingsResponseSchema = z.looseObject({
  embedding: contentEmbeddingSchema.nullish(),
  embeddings: z.array(contentEmbeddingSchema).nullish(),
  usageMetadata: z.looseObject({ promptTokenCount: z.number().nullish(), totalTokenCount: z.number().nullish() }).nullish(),
  error: z.looseObject({ code: z.number().nullish(), message: z.string().nullish(), status: z.string().nullish() }).nullish(),
});
