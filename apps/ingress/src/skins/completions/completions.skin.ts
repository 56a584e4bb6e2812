import type { Skin } from '../../chat/skin.js';
import { sseData } from '../../chat/sse-writer.js';
import type { FamilyErrors } from '../shared/family-error.js';
import { renderTextCompletion, TextCompletionStream } from './completions.renderer.js';

/** Legacy completions speak OpenRouter's own error envelope, as chat completions do. */
export const completionsErrors: FamilyErrors = {
  error: (error) => ({ status: error.status, body: error.toEnvelope(), headers: error.headers }),
  streamError: (error) => sseData(JSON.stringify(error.toEnvelope())) + 'data: [DONE]\n\n',
};

/** `POST /api/v1/completions`: legacy text completions over the shared pipeline (recorded with api_type "completions"). */
export const completionsSkin: Skin = {
  api: 'completions',
  stream: (identity, includeReasoning) => new TextCompletionStream(identity, includeReasoning),
  body: renderTextCompletion,
  error: (error, generationId) => completionsErrors.error(error, generationId),
  streamError: (error) => completionsErrors.streamError(error),
};
