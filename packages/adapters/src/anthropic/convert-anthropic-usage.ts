import { makeUsage, type Usage } from '@switchyard/llm-spec';
import { tokenCount } from '../shared/token-count.js';

export interface AnthropicUsageWire {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

/**
 * Anthropic reports input_tokens EXCLUDING cache reads and writes; canonical prompt tokens include both. Thinking
 * is inside output_tokens (Anthropic does not split it out, so reasoningTokens stays 0).
 */
export function convertAnthropicUsage(usage: AnthropicUsageWire): Usage {
  const cachedTokens = tokenCount(usage.cache_read_input_tokens);
  const cacheWriteTokens = tokenCount(usage.cache_creation_input_tokens);
  return makeUsage({
    promptTokens: tokenCount(usage.input_tokens) + cachedTokens + cacheWriteTokens,
    completionTokens: tokenCount(usage.output_tokens),
    cachedTokens,
    cacheWriteTokens,
    raw: usage,
  });
}
