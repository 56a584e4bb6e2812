import type { FinishReason } from '@switchyard/llm-spec';

/**
 * Gemini `finishReason` (or a prompt `blockReason`) → normalised. Gemini says STOP after function calls, so a
 * STOP that carried calls is tool_calls.
 */
export function mapGeminiFinishReason(finishReason: string | null | undefined, hasToolCalls: boolean): FinishReason {
  switch (finishReason) {
    case 'MAX_TOKENS':
      return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
    case 'IMAGE_PROHIBITED_CONTENT':
    case 'IMAGE_RECITATION':
    case 'LANGUAGE':
    case 'OTHER_BLOCK_REASON':
      return 'content_filter';
    case 'MALFORMED_FUNCTION_CALL':
    case 'UNEXPECTED_TOOL_CALL':
    case 'TOO_MANY_TOOL_CALLS':
      return 'error';
    default:
      // STOP, FINISH_REASON_UNSPECIFIED, OTHER, and values added later.
      return hasToolCalls ? 'tool_calls' : 'stop';
  }
}
