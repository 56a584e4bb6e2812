import { z } from 'zod';
import type { ChatIntent, OutputFormat, ToolChoice, ToolDefinition } from '../../generation/generation-plan.js';
import type { JsonSchema } from '../../generation/json-from-schema.js';
import { chatPromptTokens, type PromptMessageWeight } from '../../tokens.js';
import { RequestError } from './errors.js';
import { parseRequest } from './request-parsing.js';

const contentPartSchema = z.looseObject({ type: z.string(), text: z.string().optional() });
const contentSchema = z.union([z.string(), z.array(contentPartSchema), z.null()]);

const messageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: contentSchema.optional(),
  tool_calls: z
    .array(z.looseObject({ id: z.string().optional(), type: z.string().optional(), function: z.looseObject({ name: z.string(), arguments: z.string() }) }))
    .nullish(),
  tool_call_id: z.string().nullish(),
  reasoning: z.string().nullish(),
});

const jsonSchemaObject = z.record(z.string(), z.unknown());

const toolSchema = z.looseObject({
  type: z.string(),
  function: z.looseObject({ name: z.string().min(1), description: z.string().nullish(), parameters: jsonSchemaObject.nullish() }).optional(),
});

const toolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string().min(1) }) }),
  z.looseObject({ type: z.string() }),
]);

const responseFormatSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({ type: z.literal('json_schema'), json_schema: z.looseObject({ name: z.string().optional(), schema: jsonSchemaObject.optional(), strict: z.boolean().nullish() }) }),
]);

const positiveInteger = z.number().int().positive();

export const openAiChatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(messageSchema).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  max_tokens: positiveInteger.nullish(),
  max_completion_tokens: positiveInteger.nullish(),
  tools: z.array(toolSchema).nullish(),
  tool_choice: toolChoiceSchema.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  response_format: responseFormatSchema.nullish(),
  reasoning_effort: z.string().nullish(),
  reasoning: z.looseObject({ effort: z.string().nullish(), max_tokens: z.number().int().min(0).nullish(), enabled: z.boolean().nullish() }).nullish(),
  prompt_cache_key: z.string().nullish(),
});
export type OpenAiChatRequest = z.infer<typeof openAiChatRequestSchema>;
type OpenAiMessage = z.infer<typeof messageSchema>;

const MEDIA_PART_TYPES = new Set(['image_url', 'input_audio', 'file', 'input_image', 'input_file', 'video_url']);

function messageText(message: OpenAiMessage): string {
  const content = message.content;
  if (typeof content === 'string') return content;
  if (!content) return '';
  let text = '';
  for (const part of content) if (typeof part.text === 'string') text += part.text;
  return text;
}

function messageWeight(message: OpenAiMessage): PromptMessageWeight {
  let characters = 0;
  let mediaParts = 0;
  const content = message.content;
  if (typeof content === 'string') characters += content.length;
  else if (content) {
    for (const part of content) {
      if (typeof part.text === 'string') characters += part.text.length;
      else if (MEDIA_PART_TYPES.has(part.type)) mediaParts++;
    }
  }
  for (const call of message.tool_calls ?? []) characters += call.function.name.length + call.function.arguments.length;
  return { characters, mediaParts };
}

function toolChoiceOf(choice: OpenAiChatRequest['tool_choice']): ToolChoice {
  if (!choice || choice === 'auto') return { type: 'auto' };
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'required' };
  const named = choice as { type: string; function?: { name?: string } };
  if (named.type === 'function' && named.function?.name) return { type: 'tool', name: named.function.name };
  return { type: 'auto' };
}

function outputOf(format: OpenAiChatRequest['response_format']): OutputFormat {
  if (!format || format.type === 'text') return { type: 'text' };
  if (format.type === 'json_object') return { type: 'json_object' };
  const schema = (format as { json_schema: { schema?: Record<string, unknown> } }).json_schema.schema;
  return schema ? { type: 'json_schema', schema: schema as JsonSchema } : { type: 'json_object' };
}

function reasoningOf(request: OpenAiChatRequest): Pick<ChatIntent, 'reasoning' | 'reasoningBudget'> {
  const object = request.reasoning;
  const effort = request.reasoning_effort ?? object?.effort ?? undefined;
  if (effort === 'none' || object?.enabled === false) return { reasoning: 'disabled', reasoningBudget: undefined };
  const budget = object?.max_tokens ?? undefined;
  if (effort || object?.enabled === true || (budget !== undefined && budget > 0)) return { reasoning: 'requested', reasoningBudget: budget };
  return { reasoning: 'unspecified', reasoningBudget: undefined };
}

/**
 * An OpenAI Chat Completions request (also Azure's, whose deployment names the model) as a ChatIntent.
 * `rawBody` is searched for `"cache_control"` markers without walking the parsed tree.
 */
export function openAiChatIntent(body: unknown, rawBody: string, modelOverride?: string): ChatIntent {
  const candidate = modelOverride !== undefined && body !== null && typeof body === 'object' && !Array.isArray(body) ? { ...(body as object), model: modelOverride } : body;
  const request = parseRequest(openAiChatRequestSchema, candidate);
  const tools: ToolDefinition[] = [];
  for (const [index, tool] of (request.tools ?? []).entries()) {
    if (tool.type !== 'function') continue;
    if (!tool.function) throw new RequestError(400, `Missing required parameter: 'tools[${index}].function'.`, `tools[${index}].function`);
    tools.push({ name: tool.function.name, parameters: (tool.function.parameters ?? undefined) as JsonSchema | undefined });
  }
  const toolChoice = toolChoiceOf(request.tool_choice);
  if (toolChoice.type === 'tool' && !tools.some((tool) => tool.name === toolChoice.name)) {
    throw new RequestError(400, `Invalid value for 'tool_choice': no function named '${toolChoice.name}' is among the tools.`, 'tool_choice');
  }
  if (toolChoice.type === 'required' && tools.length === 0) {
    throw new RequestError(400, "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", 'tool_choice');
  }

  const messages = request.messages;
  let lastUserText = '';
  for (let index = messages.length - 1; index >= 0; index--) {
    const role = messages[index].role;
    if (role === 'user' || role === 'tool' || role === 'function') {
      lastUserText = messageText(messages[index]);
      break;
    }
  }
  const lastRole = messages[messages.length - 1].role;
  const weights = messages.map(messageWeight);
  const toolsJsonLength = request.tools && request.tools.length > 0 ? JSON.stringify(request.tools).length : 0;
  return {
    model: request.model,
    stream: request.stream === true,
    promptTokens: chatPromptTokens(weights, toolsJsonLength),
    lastUserText,
    lastIsToolResult: lastRole === 'tool' || lastRole === 'function',
    maxTokens: request.max_completion_tokens ?? request.max_tokens ?? undefined,
    tools,
    toolChoice,
    parallelToolCalls: request.parallel_tool_calls !== false,
    output: outputOf(request.response_format),
    ...reasoningOf(request),
    cache: { marked: typeof request.prompt_cache_key === 'string' || rawBody.includes('"cache_control"') },
  };
}

/** Whether a streamed OpenAI request asked for the usage-only final chunk. */
export function openAiIncludeUsage(body: unknown): boolean {
  const options = (body as { stream_options?: { include_usage?: unknown } | null } | null)?.stream_options;
  return options?.include_usage === true;
}
