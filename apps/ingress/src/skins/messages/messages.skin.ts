import type { Skin } from '../../chat/skin.js';
import { anthropicErrors } from './anthropic-errors.js';
import { renderMessage } from './messages.renderer.js';
import { MessagesStream, type MessagesStreamContext } from './messages-stream.renderer.js';

/** `POST /api/v1/messages`: Anthropic's Messages API over the shared pipeline (one skin per request: it knows the stop sequences). */
export function createMessagesSkin(context: MessagesStreamContext): Skin {
  return {
    api: 'messages',
    stream: (identity, includeReasoning) => new MessagesStream(identity, includeReasoning, context),
    body: (identity, result, billed, includeReasoning) => renderMessage(identity, result, billed, includeReasoning, context),
    error: (error, generationId) => anthropicErrors.error(error, generationId),
    streamError: (error) => anthropicErrors.streamError(error),
  };
}
