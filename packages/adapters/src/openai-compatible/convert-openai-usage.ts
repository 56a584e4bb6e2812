import { makeUsage, type Usage } from '@switchyard/llm-spec';
import { tokenCount as count } from '../shared/token-count.js';

export interface OpenAiUsageWire {
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
  total_tokens?: number | null;
  prompt_tokens_details?: { cached_tokens?: number | null; cache_write_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
  /** DeepSeek's cache accounting. */
  prompt_cache_hit_tokens?: number | null;
}

/**
 * OpenAI usage → canonical. OpenAI counts cached tokens inside prompt_tokens and reasoning tokens inside
 * completion_tokens, which is already the canonical convention. Some hosts (xAI) report reasoning beside
 * completion_tokens instead; that shows as total = prompt + completion + reasoning, and then reasoning is added.
 */
export function convertOpenAiUsage(usage: OpenAiUsageWire): Usage {
  const promptTokens = count(usage.prompt_tokens);
  let completionTokens = count(usage.completion_tokens);
  const reasoningTokens = count(usage.completion_tokens_details?.reasoning_tokens);
  const total = usage.total_tokens;
  if (reasoningTokens > 0 && typeof total === 'number' && total === promptTokens + completionTokens + reasoningTokens) {
    completionTokens += reasoningTokens;
  }
  const cachedTokens = count(usage.prompt_tokens_details?.cached_tokens ?? usage.prompt_cache_hit_tokens);
  const cacheWriteTokens = count(usage.prompt_tokens_details?.cache_write_tokens);
  return makeUsage({
    promptTokens,
    completionTokens,
    cachedTokens: Math.min(cachedTokens, promptTokens),
    cacheWriteTokens: Math.min(cacheWriteTokens, Math.max(0, promptTokens - cachedTokens)),
    reasoningTokens: Math.min(reasoningTokens, completionTokens),
    raw: usage,
  });
}

