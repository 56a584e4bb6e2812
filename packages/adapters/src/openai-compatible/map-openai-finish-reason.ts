import type { FinishReason } from '@switchyard/llm-spec';

/**
 * An OpenAI-style `finish_reason` → the normalised one. OpenAI answers "stop" when tool_choice forced a function,
 * and several hosts do the same for any tool call: a stop that carries tool calls is `tool_calls`. Unknown values
 * (hosts' "eos", "end_turn") count as a natural stop; the native value is kept beside it.
 */
export function mapOpenAiFinishReason(native: string | null | undefined, hasToolCalls = false): FinishReason {
  switch (native) {
    case 'length':
    case 'max_tokens':
    case 'model_length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
    case 'tool_use':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    case 'error':
      return 'error';
    default:
      return hasToolCalls ? 'tool_calls' : 'stop';
  }
}
