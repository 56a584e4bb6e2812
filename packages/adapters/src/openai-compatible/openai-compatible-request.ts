import type { CanonicalChatRequest } from '@switchyard/llm-spec';
import { unsupportedParameters } from '../shared/parameters.js';
import { clampEffort, effortForBudget, reasoningIntent } from '../shared/reasoning-effort.js';
import { convertToOpenAiMessages } from './convert-to-openai-messages.js';
import type { OpenAiCompatiblePreset } from './openai-compatible-presets.js';

export interface OpenAiRequestBody {
  body: Record<string, unknown>;
  warnings: string[];
  droppedParameters: string[];
}

/** Parameters copied as they are when the preset supports them (under the preset's wire name). */
const plainParameters = [
  'temperature',
  'top_p',
  'top_k',
  'min_p',
  'top_a',
  'repetition_penalty',
  'frequency_penalty',
  'presence_penalty',
  'seed',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'stop',
  'prediction',
  'max_tokens',
] as const;

/**
 * The Chat Completions body for one preset: supported parameters under their wire names, everything else dropped
 * (listed in droppedParameters, never forwarded), reasoning mapped to the preset's style.
 */
export function buildOpenAiRequestBody(request: CanonicalChatRequest, preset: OpenAiCompatiblePreset, model: string | undefined): OpenAiRequestBody {
  const supported = preset.supportedParameters;
  const warnings: string[] = [];
  const droppedParameters = unsupportedParameters(request, supported);
  const body: Record<string, unknown> = {};
  if (model !== undefined) body.model = model;
  body.messages = convertToOpenAiMessages(request.messages, preset);

  const source = request as Record<string, unknown>;
  for (const name of plainParameters) {
    const value = source[name];
    if (value === undefined || value === null || !supported.includes(name)) continue;
    body[preset.renames[name] ?? name] = value;
  }
  if (request.verbosity && supported.includes('verbosity')) {
    body.verbosity = request.verbosity === 'xhigh' || request.verbosity === 'max' ? 'high' : request.verbosity;
  }

  if (request.tools?.length && supported.includes('tools')) {
    body.tools = request.tools.map((tool) => {
      const wireFunction: Record<string, unknown> = { name: tool.function.name };
      if (tool.function.description !== undefined) wireFunction.description = tool.function.description;
      if (tool.function.parameters !== undefined) wireFunction.parameters = tool.function.parameters;
      // Strict function calling is structured outputs applied to arguments: only where the host has them.
      if (tool.function.strict !== undefined && tool.function.strict !== null && supported.includes('structured_outputs')) wireFunction.strict = tool.function.strict;
      const wire: Record<string, unknown> = { type: 'function', function: wireFunction };
      if (preset.cacheControl && tool.cache_control) wire.cache_control = tool.cache_control;
      return wire;
    });
    if (request.tool_choice && supported.includes('tool_choice')) body.tool_choice = request.tool_choice;
    if (request.parallel_tool_calls !== undefined && request.parallel_tool_calls !== null && supported.includes('parallel_tool_calls')) {
      body.parallel_tool_calls = request.parallel_tool_calls;
    }
  } else if (request.tool_choice && supported.includes('tools')) {
    warnings.push('tool_choice without tools was not forwarded');
  }

  const responseFormat = request.response_format;
  if (responseFormat && responseFormat.type !== 'text' && supported.includes('response_format')) {
    if (responseFormat.type === 'json_schema' && !supported.includes('structured_outputs')) {
      body.response_format = { type: 'json_object' };
      warnings.push(`${preset.displayName} has no structured outputs: response_format json_schema downgraded to json_object`);
    } else {
      body.response_format = responseFormat;
    }
  }

  applyReasoning(request, preset, body, warnings);

  for (const field of preset.passthrough) {
    const value = source[field];
    if (value !== undefined && value !== null) body[field] = value;
  }

  if (request.stream) {
    body.stream = true;
    if (preset.streamUsage) body.stream_options = { include_usage: true };
  }
  return { body, warnings, droppedParameters };
}

function applyReasoning(request: CanonicalChatRequest, preset: OpenAiCompatiblePreset, body: Record<string, unknown>, warnings: string[]): void {
  const style = preset.reasoning;
  if (!request.reasoning || style.style === 'none') return;
  if (style.style === 'object') {
    body.reasoning = request.reasoning;
    return;
  }
  const intent = reasoningIntent(request);
  if (!intent || intent.kind === 'default') return;
  if (intent.kind === 'disabled') {
    if (style.efforts.includes('none')) body.reasoning_effort = 'none';
    else warnings.push(`${preset.displayName} cannot turn reasoning off: reasoning_effort not sent`);
    return;
  }
  const wanted = intent.kind === 'effort' ? intent.effort : effortForBudget(intent.budgetTokens, request.max_tokens);
  const effort = clampEffort(wanted, style.efforts);
  if (effort === undefined) return;
  if (effort !== wanted) warnings.push(`reasoning effort ${wanted} sent as ${effort}, the nearest ${preset.displayName} accepts`);
  body.reasoning_effort = effort;
}
