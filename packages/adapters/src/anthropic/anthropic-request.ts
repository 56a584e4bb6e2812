import type { CacheControl, CanonicalChatRequest } from '@switchyard/llm-spec';
import { compact, unsupportedParameters } from '../shared/parameters.js';
import { budgetForEffort, reasoningIntent } from '../shared/reasoning-effort.js';
import { convertToAnthropicMessages, type AnthropicBlock, type AnthropicMessage } from './convert-to-anthropic-messages.js';

export const anthropicSupportedParameters = [
  'temperature',
  'top_p',
  'top_k',
  'max_tokens',
  'stop',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'structured_outputs',
  'reasoning',
] as const;

/** Anthropic requires max_tokens; OpenRouter's callers often omit it. */
export const anthropicDefaultMaxTokens = 4096;
/** Anthropic's smallest thinking budget. */
export const anthropicMinimumThinkingBudget = 1024;
/** Anthropic accepts at most this many cache_control breakpoints per request. */
export const anthropicMaxCacheBreakpoints = 4;

/**
 * response_format json_schema / json_object is served by a forced tool whose input schema is the requested schema
 * (Anthropic's most reliable structured output across models); the response side turns that tool's input back
 * into text content. The prefix marks the tool so a decoder needs no request context.
 */
export const jsonResponseToolPrefix = 'json_schema__';

type AnthropicTool = Record<string, unknown> & { name: string; cache_control?: CacheControl };

export interface AnthropicRequestBody {
  body: Record<string, unknown>;
  warnings: string[];
  droppedParameters: string[];
}

export function buildAnthropicRequestBody(request: CanonicalChatRequest, model: string): AnthropicRequestBody {
  const warnings: string[] = [];
  const droppedParameters = unsupportedParameters(request, anthropicSupportedParameters);
  const { system, messages } = convertToAnthropicMessages(request.messages);

  let maxTokens = request.max_tokens ?? anthropicDefaultMaxTokens;
  let thinking: Record<string, unknown> | undefined;
  const intent = reasoningIntent(request);
  if (intent?.kind === 'effort' || intent?.kind === 'budget') {
    const asked = intent.kind === 'effort' ? budgetForEffort(intent.effort, maxTokens) : intent.budgetTokens;
    const budget = Math.max(anthropicMinimumThinkingBudget, asked);
    if (budget >= maxTokens) {
      maxTokens = budget + maxTokens;
      warnings.push(`max_tokens raised to ${maxTokens}: Anthropic counts the thinking budget (${budget}) inside max_tokens`);
    }
    thinking = { type: 'enabled', budget_tokens: budget };
  }
  if (thinking && !thinkingReplayedForToolResults(messages)) {
    // Anthropic refuses thinking on a tool-result turn whose assistant message does not start with its thinking
    // (a turn cannot switch thinking on halfway). The thinking is missing when an earlier step of the loop was served
    // by another provider (its reasoning_details do not replay here) or the client dropped it: continue the turn
    // without thinking rather than fail a request the client cannot fix.
    thinking = undefined;
    maxTokens = request.max_tokens ?? anthropicDefaultMaxTokens;
    warnings.push('extended thinking is off for this request: the assistant tool call answered here carries no Anthropic thinking block to replay');
  }

  let temperature = request.temperature ?? undefined;
  let topP = request.top_p ?? undefined;
  let topK = request.top_k ?? undefined;
  if (thinking) {
    if (temperature !== undefined && temperature !== 1) {
      warnings.push('temperature is not sent with extended thinking (Anthropic allows only 1)');
      temperature = undefined;
    }
    if (topK !== undefined) {
      warnings.push('top_k is not sent with extended thinking');
      topK = undefined;
    }
    if (topP !== undefined && topP < 0.95) {
      warnings.push('top_p below 0.95 is not sent with extended thinking');
      topP = undefined;
    }
  }
  if (temperature !== undefined && topP !== undefined) {
    warnings.push('top_p is not sent with temperature: current Claude models take only one of them');
    topP = undefined;
  }

  const tools: AnthropicTool[] = (request.tools ?? []).map((tool) => {
    const wire: AnthropicTool = { name: tool.function.name };
    if (tool.function.description !== undefined) wire.description = tool.function.description;
    wire.input_schema = tool.function.parameters ?? { type: 'object', properties: {} };
    if (tool.cache_control) wire.cache_control = tool.cache_control;
    return wire;
  });
  let toolChoice = anthropicToolChoice(request);

  const responseFormat = request.response_format;
  if (responseFormat && responseFormat.type !== 'text') {
    const name = `${jsonResponseToolPrefix}${responseFormat.type === 'json_schema' ? responseFormat.json_schema.name : 'json_object'}`.slice(0, 128);
    const schema = responseFormat.type === 'json_schema' ? (responseFormat.json_schema.schema ?? { type: 'object' }) : { type: 'object' };
    const description =
      (responseFormat.type === 'json_schema' ? responseFormat.json_schema.description : undefined) ?? 'Give the final answer by calling this tool: its input is the JSON response.';
    const userTools = tools.length > 0;
    tools.push({ name, description, input_schema: schema });
    if (thinking) {
      toolChoice = { type: 'auto' };
      warnings.push('response_format is served by a tool, but extended thinking cannot force a tool: tool_choice is auto');
    } else if (!userTools) {
      toolChoice = { type: 'tool', name };
    } else if (!toolChoice || toolChoice.type === 'auto' || toolChoice.type === 'none') {
      toolChoice = { type: 'any' };
      warnings.push('response_format with tools: the model must call a tool (yours, or the JSON response tool)');
    }
  }

  if (thinking && toolChoice && (toolChoice.type === 'any' || toolChoice.type === 'tool')) {
    warnings.push('extended thinking cannot force tool use: tool_choice sent as auto');
    toolChoice = { type: 'auto' };
  }
  if (toolChoice && request.parallel_tool_calls === false && toolChoice.type !== 'none') toolChoice.disable_parallel_tool_use = true;
  if (tools.length === 0) toolChoice = undefined;

  applyTopLevelCacheControl(request, messages);
  limitCacheBreakpoints(tools, system, messages, warnings);

  const stop = request.stop ?? undefined;
  const body = compact({
    model,
    max_tokens: maxTokens,
    system: system.length > 0 ? system : undefined,
    messages,
    tools: tools.length > 0 ? tools : undefined,
    tool_choice: toolChoice,
    thinking,
    temperature,
    top_p: topP,
    top_k: topK,
    stop_sequences: stop === undefined ? undefined : typeof stop === 'string' ? [stop] : stop,
    stream: request.stream ? true : undefined,
  });
  return { body, warnings, droppedParameters };
}

/**
 * Whether a request may think: true unless it answers tool calls (the prompt ends with tool results) of an
 * assistant message that does not start with a thinking or redacted_thinking block.
 */
function thinkingReplayedForToolResults(messages: ReadonlyArray<AnthropicMessage>): boolean {
  const last = messages.at(-1);
  if (!last || last.role !== 'user' || !last.content.some((block) => block.type === 'tool_result')) return true;
  for (let index = messages.length - 2; index >= 0; index--) {
    const message = messages[index]!;
    if (message.role !== 'assistant') continue;
    if (!message.content.some((block) => block.type === 'tool_use')) return true;
    const first = message.content[0]?.type;
    return first === 'thinking' || first === 'redacted_thinking';
  }
  return true;
}

function anthropicToolChoice(request: CanonicalChatRequest): Record<string, unknown> & { type: string } | undefined {
  const choice = request.tool_choice;
  if (!choice) return request.parallel_tool_calls === false ? { type: 'auto' } : undefined;
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'required') return { type: 'any' };
  if (choice === 'none') return { type: 'none' };
  return { type: 'tool', name: choice.function.name };
}

/** Top-level `cache_control` (automatic caching): the breakpoint goes on the last cacheable block of the prompt. */
function applyTopLevelCacheControl(request: CanonicalChatRequest, messages: AnthropicMessage[]): void {
  const cacheControl = request.cache_control;
  if (!cacheControl) return;
  for (let messageIndex = messages.length - 1; messageIndex >= 0; messageIndex--) {
    const content = messages[messageIndex].content;
    for (let blockIndex = content.length - 1; blockIndex >= 0; blockIndex--) {
      const block = content[blockIndex];
      if (block.type === 'thinking' || block.type === 'redacted_thinking') continue;
      if (!block.cache_control) block.cache_control = cacheControl;
      return;
    }
  }
}

/**
 * Anthropic rejects more than four breakpoints. Prompt order is tools → system → messages, and a breakpoint caches
 * everything before it, so the last four are kept (they cover the longest prefixes) and earlier ones dropped.
 */
function limitCacheBreakpoints(tools: AnthropicTool[], system: AnthropicBlock[], messages: AnthropicMessage[], warnings: string[]): void {
  const marked: Array<{ cache_control?: CacheControl }> = [...tools, ...system, ...messages.flatMap((message) => message.content)].filter((block) => block.cache_control);
  const excess = marked.length - anthropicMaxCacheBreakpoints;
  if (excess <= 0) return;
  for (const block of marked.slice(0, excess)) delete block.cache_control;
  warnings.push(`${marked.length} cache_control breakpoints: Anthropic takes ${anthropicMaxCacheBreakpoints}, the ${excess} earliest were dropped`);
}
