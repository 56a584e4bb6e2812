import type { ChatResult, ReasoningDetail } from '@switchyard/llm-spec';
import { moneyToNumber } from '@switchyard/money';
import type { BilledUsage, ResponseIdentity } from '../../chat/skin.js';
import { encodeReasoningDetails } from '../shared/reasoning-codec.js';
import type { ResponsesRequest } from './responses-request.schema.js';

/** The request fields a Response object echoes back (OpenAI returns the effective parameters with the result). */
export interface ResponseEcho {
  instructions: string | null;
  max_output_tokens: number | null;
  parallel_tool_calls: boolean;
  reasoning: { effort: string | null; summary: string | null } | null;
  temperature: number | null;
  top_p: number | null;
  text: { format: Record<string, unknown>; verbosity?: string };
  tool_choice: unknown;
  tools: unknown[];
  metadata: Record<string, string>;
  user: string | null;
  service_tier: string | null;
}

export function responseEcho(request: ResponsesRequest): ResponseEcho {
  const text: ResponseEcho['text'] = { format: (request.text?.format as Record<string, unknown> | undefined) ?? { type: 'text' } };
  if (request.text?.verbosity) text.verbosity = request.text.verbosity;
  return {
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    reasoning: request.reasoning ? { effort: request.reasoning.effort ?? null, summary: request.reasoning.summary ?? null } : null,
    temperature: request.temperature ?? null,
    top_p: request.top_p ?? null,
    text,
    tool_choice: request.tool_choice ?? 'auto',
    tools: request.tools ?? [],
    metadata: request.metadata ?? {},
    user: request.user ?? null,
    service_tier: request.service_tier ?? null,
  };
}

export type ResponseStatus = 'completed' | 'incomplete' | 'failed' | 'in_progress';

/** Status and incomplete_details from the normalised finish reason. */
export function responseStatus(finishReason: ChatResult['finishReason']): { status: ResponseStatus; incomplete_details: { reason: string } | null } {
  if (finishReason === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finishReason === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

/** Responses usage: input includes cached tokens (OpenAI's convention), plus the gateway's cost fields. */
export function responsesUsage(billed: BilledUsage): Record<string, unknown> {
  const { usage, charge } = billed;
  return {
    input_tokens: usage.promptTokens,
    input_tokens_details: { cached_tokens: usage.cachedTokens, cache_write_tokens: usage.cacheWriteTokens },
    output_tokens: usage.completionTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens },
    total_tokens: usage.totalTokens,
    cost: moneyToNumber(charge.cost),
    is_byok: billed.isByok,
    cost_details: {
      upstream_inference_cost: billed.isByok ? moneyToNumber(charge.listCost) : null,
      upstream_inference_prompt_cost: moneyToNumber(charge.breakdown.prompt.plus(charge.breakdown.cacheRead).plus(charge.breakdown.cacheWrite)),
      upstream_inference_completions_cost: moneyToNumber(charge.breakdown.completion),
    },
  };
}

/** Output item ids derived from the generation id: `msg_<gen suffix>_<output index>`, `rs_…`, `fc_…`. */
export function itemId(identity: ResponseIdentity, kind: 'msg' | 'rs' | 'fc', outputIndex: number): string {
  return `${kind}_${identity.id.replace(/^gen-/, '')}_${outputIndex}`;
}

/** A reasoning item: the readable reasoning as its summary, and the provider's details in encrypted_content for replay. */
export function reasoningItem(id: string, text: string, details: ReadonlyArray<ReasoningDetail>): Record<string, unknown> {
  return {
    id,
    type: 'reasoning',
    summary: text === '' ? [] : [{ type: 'summary_text', text }],
    encrypted_content: details.length > 0 ? encodeReasoningDetails(details) : null,
  };
}

export function messageItem(id: string, status: 'completed' | 'incomplete' | 'in_progress', text: string | null, refusal: string | null): Record<string, unknown> {
  const content: Array<Record<string, unknown>> = [];
  if (text !== null) content.push({ type: 'output_text', text, annotations: [], logprobs: [] });
  if (refusal !== null) content.push({ type: 'refusal', refusal });
  return { id, type: 'message', role: 'assistant', status, content };
}

export function functionCallItem(id: string, callId: string, name: string, argumentsText: string, status: 'completed' | 'in_progress' | 'incomplete'): Record<string, unknown> {
  return { id, type: 'function_call', status, call_id: callId, name, arguments: argumentsText };
}

/** The Response object, around whatever output, status and usage the caller has. */
export function responseObject(
  identity: ResponseIdentity,
  echo: ResponseEcho,
  state: { status: ResponseStatus; output: unknown[]; usage: Record<string, unknown> | null; error?: Record<string, unknown> | null; incomplete_details?: { reason: string } | null; completed_at?: number | null },
): Record<string, unknown> {
  return {
    id: identity.id,
    object: 'response',
    created_at: identity.created,
    completed_at: state.completed_at ?? null,
    status: state.status,
    error: state.error ?? null,
    incomplete_details: state.incomplete_details ?? null,
    model: identity.model,
    provider: identity.provider,
    output: state.output,
    usage: state.usage,
    previous_response_id: null,
    store: false,
    background: false,
    truncation: 'disabled',
    ...echo,
  };
}

/** The non-streaming Response: reasoning, the message, then function calls, in output order. */
export function renderResponse(identity: ResponseIdentity, result: ChatResult, billed: BilledUsage, includeReasoning: boolean, echo: ResponseEcho): Record<string, unknown> {
  const output: unknown[] = [];
  const { status, incomplete_details } = responseStatus(result.finishReason);
  if (includeReasoning && (result.reasoning !== '' || result.reasoningDetails.length > 0)) output.push(reasoningItem(itemId(identity, 'rs', output.length), result.reasoning, result.reasoningDetails));
  if (result.text !== '' || result.refusal !== null || result.toolCalls.length === 0) {
    output.push(messageItem(itemId(identity, 'msg', output.length), status === 'completed' ? 'completed' : 'incomplete', result.text !== '' || result.refusal === null ? result.text : null, result.refusal));
  }
  for (const call of result.toolCalls) output.push(functionCallItem(itemId(identity, 'fc', output.length), call.id, call.function.name, call.function.arguments, status === 'completed' ? 'completed' : 'incomplete'));
  return responseObject(identity, echo, { status, output, usage: responsesUsage(billed), incomplete_details, completed_at: Math.floor(Date.now() / 1000) });
}
