import type { ChatResult, FinishReason, ReasoningDetail, Usage } from '@switchyard/llm-spec';
import { moneyToNumber } from '@switchyard/money';
import type { BilledUsage } from '../../chat/skin.js';
import { ANTHROPIC_REASONING_FORMAT, detailText, encodeReasoningDetail, withoutText } from '../shared/reasoning-codec.js';

export type AnthropicThinkingBlock = { type: 'thinking'; thinking: string; signature: string };
export type AnthropicRedactedThinkingBlock = { type: 'redacted_thinking'; data: string };
export type AnthropicOutputBlock =
  | AnthropicThinkingBlock
  | AnthropicRedactedThinkingBlock
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

const ANTHROPIC_STOP_REASONS = new Set(['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'pause_turn', 'refusal', 'model_context_window_exceeded']);

/**
 * Anthropic's `stop_reason`: the provider's own when Anthropic served (and it agrees with the normalised reason),
 * else mapped from the normalised finish reason.
 */
export function anthropicStopReason(finishReason: FinishReason | null, nativeFinishReason: string | null, hasToolUse: boolean): string {
  if (nativeFinishReason && ANTHROPIC_STOP_REASONS.has(nativeFinishReason)) {
    if (nativeFinishReason !== 'tool_use' || finishReason === 'tool_calls') return nativeFinishReason;
  }
  switch (finishReason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return hasToolUse && finishReason !== 'stop' ? 'tool_use' : 'end_turn';
  }
}

/** A thinking block for a reasoning detail of another provider: its text shown, the rest carried in the signature. */
export function foreignThinkingSignature(detail: ReasoningDetail): string {
  return encodeReasoningDetail(withoutText(detail));
}

/** Whether any detail carries readable reasoning text (otherwise the plain reasoning text gets its own block). */
export function detailsCarryText(details: ReadonlyArray<ReasoningDetail>): boolean {
  return details.some((detail) => detail.type !== 'reasoning.encrypted' && detailText(detail) !== '');
}

/** One reasoning detail as the Anthropic block a client replays. */
export function reasoningBlock(detail: ReasoningDetail): AnthropicThinkingBlock | AnthropicRedactedThinkingBlock {
  if (detail.type === 'reasoning.encrypted') {
    return { type: 'redacted_thinking', data: detail.format === ANTHROPIC_REASONING_FORMAT ? (detail.data ?? '') : encodeReasoningDetail(detail) };
  }
  if (detail.format === ANTHROPIC_REASONING_FORMAT) return { type: 'thinking', thinking: detailText(detail), signature: detail.signature ?? '' };
  return { type: 'thinking', thinking: detailText(detail), signature: foreignThinkingSignature(detail) };
}

/** The reasoning of a whole result as Anthropic blocks, in the provider's order. */
export function reasoningBlocks(result: Pick<ChatResult, 'reasoning' | 'reasoningDetails'>): Array<AnthropicThinkingBlock | AnthropicRedactedThinkingBlock> {
  const blocks: Array<AnthropicThinkingBlock | AnthropicRedactedThinkingBlock> = [];
  if (!detailsCarryText(result.reasoningDetails) && result.reasoning !== '') blocks.push({ type: 'thinking', thinking: result.reasoning, signature: '' });
  for (const detail of result.reasoningDetails) blocks.push(reasoningBlock(detail));
  return blocks;
}

/** Tool arguments as the object Anthropic's `input` is; unparseable or non-object arguments (a cut-off call) give {}. */
export function toolInput(argumentsText: string): Record<string, unknown> {
  if (argumentsText.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(argumentsText);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * Anthropic's usage: `input_tokens` excludes cache reads and writes (canonical prompt tokens include them), plus
 * Switchyard's `cost` (USD charged), `cost_details` and `is_byok`, which Anthropic's SDKs pass through untouched.
 */
export function anthropicUsage(billed: BilledUsage): Record<string, unknown> {
  const usage: Usage = billed.usage;
  const charge = billed.charge;
  const rendered: Record<string, unknown> = {
    input_tokens: Math.max(0, usage.promptTokens - usage.cachedTokens - usage.cacheWriteTokens),
    output_tokens: usage.completionTokens,
    cache_creation_input_tokens: usage.cacheWriteTokens,
    cache_read_input_tokens: usage.cachedTokens,
    server_tool_use: null,
    service_tier: 'standard',
  };
  if (usage.reasoningTokens > 0) rendered.output_tokens_details = { thinking_tokens: usage.reasoningTokens };
  rendered.cost = moneyToNumber(charge.cost);
  rendered.is_byok = billed.isByok;
  rendered.cost_details = {
    upstream_inference_cost: billed.isByok ? moneyToNumber(charge.listCost) : null,
    upstream_inference_prompt_cost: moneyToNumber(charge.breakdown.prompt.plus(charge.breakdown.cacheRead).plus(charge.breakdown.cacheWrite)),
    upstream_inference_completions_cost: moneyToNumber(charge.breakdown.completion),
  };
  return rendered;
}
