import type { CanonicalChatRequest, ReasoningEffort } from '@switchyard/llm-spec';
import { compact, unsupportedParameters } from '../shared/parameters.js';
import { budgetForEffort, reasoningIntent } from '../shared/reasoning-effort.js';
import { convertToGeminiContents } from './convert-to-gemini-contents.js';

export const geminiSupportedParameters = [
  'temperature',
  'top_p',
  'top_k',
  'max_tokens',
  'stop',
  'seed',
  'tools',
  'tool_choice',
  'response_format',
  'structured_outputs',
  'reasoning',
  'frequency_penalty',
  'presence_penalty',
] as const;

/** Gemini 2.5's thinking budget ceiling (Flash; Pro allows 32768): efforts are shares of this when max_tokens is absent. */
export const geminiMaxThinkingBudget = 24_576;

export interface GeminiRequestBody {
  body: Record<string, unknown>;
  warnings: string[];
  droppedParameters: string[];
}

/** Gemini 3 takes a thinking level; earlier models a token budget. */
export function usesThinkingLevel(model: string): boolean {
  return /gemini-[3-9]/.test(model);
}

export function buildGeminiRequestBody(request: CanonicalChatRequest, model: string): GeminiRequestBody {
  const warnings: string[] = [];
  const droppedParameters = unsupportedParameters(request, geminiSupportedParameters);
  const { systemInstruction, contents } = convertToGeminiContents(request.messages);

  const stop = request.stop ?? undefined;
  const generationConfig: Record<string, unknown> = compact({
    temperature: request.temperature ?? undefined,
    topP: request.top_p ?? undefined,
    topK: request.top_k ?? undefined,
    maxOutputTokens: request.max_tokens ?? undefined,
    stopSequences: stop === undefined ? undefined : typeof stop === 'string' ? [stop] : stop,
    seed: request.seed ?? undefined,
    presencePenalty: request.presence_penalty ?? undefined,
    frequencyPenalty: request.frequency_penalty ?? undefined,
  });

  const responseFormat = request.response_format;
  if (responseFormat?.type === 'json_object') generationConfig.responseMimeType = 'application/json';
  if (responseFormat?.type === 'json_schema') {
    generationConfig.responseMimeType = 'application/json';
    if (responseFormat.json_schema.schema) generationConfig.responseJsonSchema = responseFormat.json_schema.schema;
  }

  const thinkingConfig = geminiThinkingConfig(request, model, warnings);
  if (thinkingConfig) generationConfig.thinkingConfig = thinkingConfig;

  let tools: unknown[] | undefined;
  let toolConfig: Record<string, unknown> | undefined;
  if (request.tools?.length) {
    tools = [
      {
        functionDeclarations: request.tools.map((tool) =>
          compact({ name: tool.function.name, description: tool.function.description, parametersJsonSchema: tool.function.parameters }),
        ),
      },
    ];
    const choice = request.tool_choice;
    if (choice === 'auto') toolConfig = { functionCallingConfig: { mode: 'AUTO' } };
    else if (choice === 'none') toolConfig = { functionCallingConfig: { mode: 'NONE' } };
    else if (choice === 'required') toolConfig = { functionCallingConfig: { mode: 'ANY' } };
    else if (choice) toolConfig = { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } };
  }

  const body = compact({
    contents,
    systemInstruction,
    tools,
    toolConfig,
    generationConfig: Object.keys(generationConfig).length > 0 ? generationConfig : undefined,
  });
  return { body, warnings, droppedParameters };
}

const thinkingLevels: Readonly<Record<Exclude<ReasoningEffort, 'none'>, string>> = {
  minimal: 'minimal',
  low: 'low',
  medium: 'medium',
  high: 'high',
  xhigh: 'high',
  max: 'high',
};

function geminiThinkingConfig(request: CanonicalChatRequest, model: string, warnings: string[]): Record<string, unknown> | undefined {
  const intent = reasoningIntent(request);
  if (!intent || intent.kind === 'default') return undefined;
  if (intent.kind === 'disabled') {
    if (!usesThinkingLevel(model)) return { thinkingBudget: 0 };
    warnings.push('Gemini 3 cannot turn thinking off: the lowest level is used');
    return { thinkingLevel: 'low' };
  }
  const includeThoughts = !intent.exclude;
  if (intent.kind === 'effort' && usesThinkingLevel(model)) return { thinkingLevel: thinkingLevels[intent.effort], includeThoughts };
  const budget =
    intent.kind === 'budget' ? intent.budgetTokens : Math.min(geminiMaxThinkingBudget, budgetForEffort(intent.effort, request.max_tokens ?? geminiMaxThinkingBudget));
  return { thinkingBudget: budget, includeThoughts };
}
