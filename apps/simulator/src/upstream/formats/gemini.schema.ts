import { z } from 'zod';
import type { ChatIntent, OutputFormat, ToolChoice, ToolDefinition } from '../../generation/generation-plan.js';
import type { JsonSchema } from '../../generation/json-from-schema.js';
import { chatPromptTokens, inputTokens, type PromptMessageWeight } from '../../tokens.js';
import { RequestError } from './errors.js';
import { parseRequest } from './request-parsing.js';

const partSchema = z.looseObject({
  text: z.string().optional(),
  thought: z.boolean().optional(),
  functionCall: z.looseObject({ name: z.string(), args: z.unknown().optional() }).optional(),
  functionResponse: z.looseObject({ name: z.string(), response: z.unknown().optional() }).optional(),
  inlineData: z.unknown().optional(),
  fileData: z.unknown().optional(),
});
const contentSchema = z.looseObject({ role: z.string().optional(), parts: z.array(partSchema) });
const jsonSchemaObject = z.record(z.string(), z.unknown());

export const geminiGenerateRequestSchema = z.looseObject({
  contents: z.array(contentSchema).min(1),
  systemInstruction: z.looseObject({ parts: z.array(partSchema) }).optional(),
  tools: z
    .array(
      z.looseObject({
        functionDeclarations: z
          .array(z.looseObject({ name: z.string().min(1), parameters: jsonSchemaObject.optional(), parametersJsonSchema: jsonSchemaObject.optional() }))
          .optional(),
      }),
    )
    .optional(),
  toolConfig: z
    .looseObject({
      functionCallingConfig: z.looseObject({ mode: z.enum(['AUTO', 'ANY', 'NONE', 'VALIDATED', 'MODE_UNSPECIFIED']).optional(), allowedFunctionNames: z.array(z.string()).optional() }).optional(),
    })
    .optional(),
  generationConfig: z
    .looseObject({
      maxOutputTokens: z.number().int().min(1).optional(),
      responseMimeType: z.string().optional(),
      responseSchema: jsonSchemaObject.optional(),
      responseJsonSchema: jsonSchemaObject.optional(),
      thinkingConfig: z
        .looseObject({ thinkingBudget: z.number().int().min(-1).optional(), includeThoughts: z.boolean().optional(), thinkingLevel: z.string().optional() })
        .optional(),
    })
    .optional(),
  cachedContent: z.string().optional(),
});
type GeminiRequest = z.infer<typeof geminiGenerateRequestSchema>;
type GeminiPart = z.infer<typeof partSchema>;

function partText(part: GeminiPart): string {
  if (typeof part.text === 'string') return part.text;
  if (part.functionCall) return `${part.functionCall.name}${JSON.stringify(part.functionCall.args ?? {})}`;
  if (part.functionResponse) return `${part.functionResponse.name}${JSON.stringify(part.functionResponse.response ?? {})}`;
  return '';
}

function weigh(parts: readonly GeminiPart[]): PromptMessageWeight {
  let characters = 0;
  let mediaParts = 0;
  for (const part of parts) {
    characters += partText(part).length;
    if (part.inlineData !== undefined || part.fileData !== undefined) mediaParts++;
  }
  return { characters, mediaParts };
}

function toolChoiceOf(request: GeminiRequest, tools: ToolDefinition[]): { choice: ToolChoice; tools: ToolDefinition[] } {
  const config = request.toolConfig?.functionCallingConfig;
  if (config?.mode === 'NONE') return { choice: { type: 'none' }, tools };
  if (config?.mode !== 'ANY') return { choice: { type: 'auto' }, tools };
  const allowed = config.allowedFunctionNames;
  if (!allowed || allowed.length === 0) return { choice: { type: 'required' }, tools };
  const permitted = tools.filter((tool) => allowed.includes(tool.name));
  if (permitted.length === 0) throw new RequestError(400, '* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names: names no declared function.', 'toolConfig');
  return { choice: permitted.length === 1 ? { type: 'tool', name: permitted[0].name } : { type: 'required' }, tools: permitted };
}

function outputOf(request: GeminiRequest): OutputFormat {
  const config = request.generationConfig;
  if (config?.responseMimeType !== 'application/json') return { type: 'text' };
  const schema = config.responseJsonSchema ?? config.responseSchema;
  return schema ? { type: 'json_schema', schema: schema as JsonSchema } : { type: 'json_object' };
}

export interface GeminiIntent extends ChatIntent {
  /** Thought parts are returned only when the request sets thinkingConfig.includeThoughts. */
  includeThoughts: boolean;
}

/** A Gemini generateContent request (model from the path) as a ChatIntent. */
export function geminiGenerateIntent(body: unknown, model: string, stream: boolean): GeminiIntent {
  const request = parseRequest(geminiGenerateRequestSchema, body);
  const declared: ToolDefinition[] = [];
  for (const tool of request.tools ?? []) {
    for (const declaration of tool.functionDeclarations ?? []) {
      declared.push({ name: declaration.name, parameters: (declaration.parametersJsonSchema ?? declaration.parameters ?? { type: 'object', properties: {} }) as JsonSchema });
    }
  }
  const { choice, tools } = toolChoiceOf(request, declared);
  const weights: PromptMessageWeight[] = [];
  if (request.systemInstruction && request.systemInstruction.parts.length > 0) weights.push(weigh(request.systemInstruction.parts));
  let lastUserText = '';
  for (const content of request.contents) {
    weights.push(weigh(content.parts));
    if (content.role === undefined || content.role === 'user' || content.role === 'function') lastUserText = content.parts.map(partText).join('');
  }
  const last = request.contents[request.contents.length - 1];
  const thinking = request.generationConfig?.thinkingConfig;
  let reasoning: ChatIntent['reasoning'] = 'unspecified';
  if (thinking) {
    if (thinking.thinkingBudget === 0) reasoning = 'disabled';
    else if (thinking.thinkingBudget !== undefined || thinking.includeThoughts === true || thinking.thinkingLevel !== undefined) reasoning = 'requested';
  }
  const toolsJsonLength = request.tools && request.tools.length > 0 ? JSON.stringify(request.tools).length : 0;
  return {
    model,
    stream,
    promptTokens: chatPromptTokens(weights, toolsJsonLength),
    lastUserText,
    lastIsToolResult: last.parts.some((part) => part.functionResponse !== undefined),
    maxTokens: request.generationConfig?.maxOutputTokens,
    tools,
    toolChoice: choice,
    parallelToolCalls: true,
    output: outputOf(request),
    reasoning,
    reasoningBudget: thinking?.thinkingBudget !== undefined && thinking.thinkingBudget > 0 ? thinking.thinkingBudget : undefined,
    cache: { marked: request.cachedContent !== undefined },
    includeThoughts: thinking?.includeThoughts === true,
  };
}

const embedContentSchema = z.looseObject({
  model: z.string().optional(),
  content: z.looseObject({ parts: z.array(partSchema).min(1) }),
  outputDimensionality: z.number().int().min(1).max(65_536).optional(),
});
const batchEmbedSchema = z.looseObject({ requests: z.array(embedContentSchema).min(1) });

export interface EmbeddingInputs {
  texts: string[];
  dimensions: number | undefined;
  promptTokens: number;
}

function embedText(content: { parts: GeminiPart[] }): string {
  return content.parts.map((part) => part.text ?? '').join('');
}

export function geminiEmbedInputs(body: unknown): EmbeddingInputs {
  const request = parseRequest(embedContentSchema, body);
  const texts = [embedText(request.content)];
  return { texts, dimensions: request.outputDimensionality, promptTokens: inputTokens(texts) };
}

export function geminiBatchEmbedInputs(body: unknown): { requests: EmbeddingInputs[]; promptTokens: number } {
  const request = parseRequest(batchEmbedSchema, body);
  const requests = request.requests.map((entry) => {
    const texts = [embedText(entry.content)];
    return { texts, dimensions: entry.outputDimensionality, promptTokens: inputTokens(texts) };
  });
  return { requests, promptTokens: requests.reduce((sum, entry) => sum + entry.promptTokens, 0) };
}
