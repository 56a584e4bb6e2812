import type { ChatResult } from '@switchyard/llm-spec';
import type { BilledUsage, ResponseIdentity } from '../../chat/skin.js';
import { anthropicStopReason, anthropicUsage, reasoningBlocks, toolInput, type AnthropicOutputBlock } from './anthropic-content.js';

export interface MessagesRenderContext {
  /** The request's stop sequences: when exactly one was given and the model stopped on a sequence, it is named. */
  stopSequences: string[];
}

export function stopSequenceFor(stopReason: string, context: MessagesRenderContext): string | null {
  return stopReason === 'stop_sequence' && context.stopSequences.length === 1 ? context.stopSequences[0]! : null;
}

/**
 * The non-streaming Anthropic `message`: thinking / redacted_thinking blocks (signatures intact), text, then
 * tool_use blocks with the input parsed to an object; `id` is the generation id, so `GET /generation` finds it.
 */
export function renderMessage(identity: ResponseIdentity, result: ChatResult, billed: BilledUsage, includeReasoning: boolean, context: MessagesRenderContext): Record<string, unknown> {
  const content: AnthropicOutputBlock[] = includeReasoning ? reasoningBlocks(result) : [];
  const text = result.text !== '' ? result.text : (result.refusal ?? '');
  if (text !== '') content.push({ type: 'text', text });
  for (const call of result.toolCalls) content.push({ type: 'tool_use', id: call.id, name: call.function.name, input: toolInput(call.function.arguments) });
  const stopReason = anthropicStopReason(result.finishReason, result.nativeFinishReason, result.toolCalls.length > 0);
  return {
    id: identity.id,
    type: 'message',
    role: 'assistant',
    model: identity.model,
    provider: identity.provider,
    content,
    stop_reason: stopReason,
    stop_sequence: stopSequenceFor(stopReason, context),
    stop_details: null,
    container: null,
    usage: anthropicUsage(billed),
  };
}
