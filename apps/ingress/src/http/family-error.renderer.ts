import type { HttpErrorRenderer } from '@switchyard/nest-kit';
import { anthropicErrors } from '../skins/messages/anthropic-errors.js';
import { responsesErrors } from '../skins/responses/responses-errors.js';

/**
 * Errors raised before a skin's controller runs (malformed JSON, a body over the limit, an unknown route under the
 * skin's path) still come back in that API family's shape, so the Anthropic and OpenAI SDKs parse them.
 */
export const familyErrorRenderer: HttpErrorRenderer = (error, request) => {
  const path = request.url.split('?')[0] ?? '';
  if (path.startsWith('/api/v1/messages')) return anthropicErrors.error(error);
  if (path.startsWith('/api/v1/responses')) return responsesErrors.error(error);
  return undefined;
};
