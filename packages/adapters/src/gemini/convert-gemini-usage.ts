import { makeUsage, type Usage } from '@switchyard/llm-spec';
import { tokenCount } from '../shared/token-count.js';

export interface GeminiUsageWire {
  promptTokenCount?: number | null;
  candidatesTokenCount?: number | null;
  thoughtsTokenCount?: number | null;
  cachedContentTokenCount?: number | null;
  toolUsePromptTokenCount?: number | null;
  totalTokenCount?: number | null;
}

/**
 * Gemini counts thoughts (thoughtsTokenCount) beside the answer (candidatesTokenCount): both are completion
 * tokens. The prompt count already includes cached content; tokens of tool-use prompts (search results) are
 * prompt tokens too.
 */
export function convertGeminiUsage(usage: GeminiUsageWire): Usage {
  const reasoningTokens = tokenCount(usage.thoughtsTokenCount);
  const promptTokens = tokenCount(usage.promptTokenCount) + tokenCount(usage.toolUsePromptTokenCount);
  return makeUsage({
    promptTokens,
    completionTokens: tokenCount(usage.candidatesTokenCount) + reasoningTokens,
    cachedTokens: Math.min(tokenCount(usage.cachedContentTokenCount), promptTokens),
    reasoningTokens,
    raw: usage,
  });
}
