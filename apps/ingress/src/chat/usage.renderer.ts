import type { Usage } from '@switchyard/llm-spec';
import { moneyToNumber, type Charge } from '@switchyard/money';

/** OpenRouter's `usage` object: token counts with details, `cost` (USD charged) and the upstream cost details. */
export function renderUsage(usage: Usage, charge: Charge, isByok: boolean): Record<string, unknown> {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.totalTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens, cache_write_tokens: usage.cacheWriteTokens, audio_tokens: 0, video_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens, audio_tokens: 0, image_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    cost: moneyToNumber(charge.cost),
    is_byok: isByok,
    cost_details: {
      upstream_inference_cost: isByok ? moneyToNumber(charge.listCost) : null,
      upstream_inference_prompt_cost: moneyToNumber(charge.breakdown.prompt.plus(charge.breakdown.cacheRead).plus(charge.breakdown.cacheWrite)),
      upstream_inference_completions_cost: moneyToNumber(charge.breakdown.completion),
    },
    server_tool_use_details: { web_search_requests: 0 },
  };
}
