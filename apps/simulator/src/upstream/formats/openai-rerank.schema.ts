import { z } from 'zod';
import { textTokens } from '../../tokens.js';
import { parseRequest } from './request-parsing.js';

/** `POST /v1/rerank` as Together, Jina and Cohere v1 take it: documents as strings or `{text}` objects. */
export const openAiRerankRequestSchema = z.looseObject({
  model: z.string().min(1),
  query: z.string().min(1),
  documents: z.array(z.union([z.string(), z.looseObject({ text: z.string() })])).min(1),
  top_n: z.number().int().min(1).nullish(),
  return_documents: z.boolean().nullish(),
});
export type OpenAiRerankRequest = z.infer<typeof openAiRerankRequestSchema>;

export interface RerankInput {
  model: string;
  query: string;
  documents: string[];
  topN: number | undefined;
  returnDocuments: boolean;
  /** The query once per document plus each document, `ceil(length / 4)` each (the README's token rule). */
  promptTokens: number;
}

export function openAiRerankInput(body: unknown): RerankInput {
  const request = parseRequest(openAiRerankRequestSchema, body);
  const documents = request.documents.map((document) => (typeof document === 'string' ? document : document.text));
  const queryTokens = textTokens(request.query);
  let promptTokens = 0;
  for (const document of documents) promptTokens += queryTokens + textTokens(document);
  return {
    model: request.model,
    query: request.query,
    documents,
    topN: request.top_n ?? undefined,
    returnDocuments: request.return_documents === true,
    promptTokens,
  };
}
