import type { FinishReason } from '@switchyard/llm-spec';

/**
 * Anthropic `stop_reason` → normalised. `tool_use` counts as tool_calls only when a real tool was called: the JSON
 * response tool (response_format) ends the turn the way text does.
 */
export function mapAnthropicStopReason(stopReason: string | null | undefined, hasToolCalls: boolean): FinishReason {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return hasToolCalls ? 'tool_calls' : 'stop';
    case 'refusal':
      return 'content_filter';
    default:
      // end_turn, stop_sequence, pause_turn, and anything new.
      return hasToolCalls ? 'tool_calls' : 'stop';
  }
}
