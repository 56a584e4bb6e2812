import type { Skin } from '../../chat/skin.js';
import { responsesErrors } from './responses-errors.js';
import { renderResponse, type ResponseEcho } from './responses.renderer.js';
import { ResponsesStream } from './responses-stream.renderer.js';

/** `POST /api/v1/responses`: OpenAI's Responses API over the shared pipeline (one skin per request: it echoes the request's parameters). */
export function createResponsesSkin(echo: ResponseEcho): Skin {
  return {
    api: 'responses',
    stream: (identity, includeReasoning) => new ResponsesStream(identity, includeReasoning, echo),
    body: (identity, result, billed, includeReasoning) => renderResponse(identity, result, billed, includeReasoning, echo),
    error: (error, generationId) => responsesErrors.error(error, generationId),
    streamError: (error) => responsesErrors.streamError(error),
  };
}
