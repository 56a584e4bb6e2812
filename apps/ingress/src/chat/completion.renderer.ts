import type { ChatResult } from '@switchyard/llm-spec';
import type { ResponseIdentity } from './chunk-renderer.js';

/** The non-streaming `chat.completion` body (reference §4). */
export function renderCompletion(identity: ResponseIdentity, result: ChatResult, usage: Record<string, unknown>, includeReasoning: boolean): Record<string, unknown> {
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: result.toolCalls.length > 0 && result.text === '' ? null : result.text,
    refusal: result.refusal,
    reasoning: includeReasoning && result.reasoning !== '' ? result.reasoning : null,
  };
  if (includeReasoning && result.reasoningDetails.length > 0) message.reasoning_details = result.reasoningDetails;
  if (result.toolCalls.length > 0) message.tool_calls = result.toolCalls;
  return {
    id: identity.id,
    provider: identity.provider,
    model: identity.model,
    object: 'chat.completion',
    created: identity.created,
    system_fingerprint: identity.systemFingerprint,
    choices: [
      {
        index: 0,
        logprobs: null,
        finish_reason: result.finishReason,
        native_finish_reason: result.nativeFinishReason,
        message,
      },
    ],
    usage,
  };
}
