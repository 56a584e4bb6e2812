import { MAX_RERANK_DOCUMENTS } from '@switchyard/contracts';
import { providerPreferencesSchema, type ProviderPreferences } from '@switchyard/llm-spec';
import { z } from 'zod';
import { invalidSkinRequest } from '../shared/invalid-request.js';

/** A document is text, or an object with its text (Jina's and Together's `{text}` form). */
const documentSchema = z.union([z.string(), z.object({ text: z.string() })], { error: 'documents are strings or objects with a "text" string' });

/**
 * `POST /api/v1/rerank` (reference §10.3: Cohere-style): `model`, `query`, `documents` (1 to 1,000), `top_n`, plus
 * OpenRouter's `provider`, and `models` fallbacks, `user` and `return_documents` (default true: each result carries
 * its document). Unknown fields are ignored, as OpenRouter does.
 */
export const rerankRequestSchema = z.object({
  model: z.string().min(1).max(256),
  query: z.string().min(1, 'query must not be empty'),
  documents: z.array(documentSchema).min(1, 'documents must not be empty').max(MAX_RERANK_DOCUMENTS, `at most ${MAX_RERANK_DOCUMENTS} documents per request`),
  top_n: z.number().int().positive().nullish(),
  return_documents: z.boolean().nullish(),
  user: z.string().max(512).nullish(),
  provider: providerPreferencesSchema.nullish(),
  models: z.array(z.string().min(1).max(256)).max(16).nullish(),
});

/** A validated rerank request, its documents as text. */
export interface RerankRequest {
  model: string;
  models?: string[];
  provider?: ProviderPreferences;
  user?: string;
  query: string;
  documents: string[];
  /** How many of the best to return (at most the document count); all when absent. */
  topN?: number;
  returnDocuments: boolean;
}

/** Validates and normalises a body; every problem is a 400 naming the field, never a 500. */
export function parseRerankRequest(body: unknown): RerankRequest {
  const parsed = rerankRequestSchema.safeParse(body);
  if (!parsed.success) throw invalidSkinRequest(parsed.error);
  const request = parsed.data;
  const documents = request.documents.map((document) => (typeof document === 'string' ? document : document.text));
  const result: RerankRequest = { model: request.model, query: request.query, documents, returnDocuments: request.return_documents ?? true };
  if (request.top_n !== undefined && request.top_n !== null) result.topN = Math.min(request.top_n, documents.length);
  if (request.models && request.models.length > 0) result.models = request.models;
  if (request.provider) result.provider = request.provider;
  if (request.user) result.user = request.user;
  return result;
}
