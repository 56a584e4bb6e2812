import { z } from 'zod';
import { fnv1a, HASH_START, signatureFor } from '../../generation/deterministic-text.js';
import type { ChatIntent, OutputFormat, ToolChoice, ToolDefinition } from '../../generation/generation-plan.js';
import type { JsonSchema } from '../../generation/json-from-schema.js';
import { chatPromptTokens, type PromptMessageWeight } from '../../tokens.js';
import { RequestError } from './errors.js';
import { parseRequest } from './request-parsing.js';

const blockSchema = z.looseObject({ type: z.string() });
const contentSchema = z.union([z.string(), z.array(blockSchema)]);
const jsonSchemaObject = z.record(z.string(), z.unknown());

const outputFormatSchema = z.looseObject({ type: z.literal('json_schema'), schema: jsonSchemaObject });

export const anthropicMessagesRequestSchema = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().min(1),
  messages: z.array(z.looseObject({ role: z.enum(['user', 'assistant']), content: contentSchema })),
  system: z.union([z.string(), z.array(blockSchema)]).optional(),
  stream: z.boolean().optional(),
  tools: z.array(z.looseObject({ name: z.string().min(1), type: z.string().optional(), input_schema: jsonSchemaObject.optional() })).optional(),
  tool_choice: z
    .looseObject({ type: z.enum(['auto', 'any', 'tool', 'none']), name: z.string().optional(), disable_parallel_tool_use: z.boolean().optional() })
    .optional(),
  thinking: z.looseObject({ type: z.enum(['enabled', 'disabled', 'adaptive']), budget_tokens: z.number().int().min(0).optional() }).optional(),
  output_format: outputFormatSchema.nullish(),
  output_config: z.looseObject({ format: outputFormatSchema.nullish() }).nullish(),
});
type AnthropicRequest = z.infer<typeof anthropicMessagesRequestSchema>;
type Block = z.infer<typeof blockSchema>;

const MEDIA_BLOCK_TYPES = new Set(['image', 'document', 'file']);

/** Walks the prompt in cache order (tools, system, messages), weighing messages and hashing the cached prefix. */
class PromptWalker {
  hash = HASH_START;
  cacheKey: string | undefined;

  add(text: string): void {
    this.hash = fnv1a(text, this.hash);
  }

  mark(block: Record<string, unknown>): void {
    if (block.cache_control !== undefined && block.cache_control !== null) this.cacheKey = this.hash.toString(36);
  }
}

function blockText(block: Block): string {
  switch (block.type) {
    case 'text':
      return typeof block.text === 'string' ? block.text : '';
    case 'thinking':
      return typeof block.thinking === 'string' ? block.thinking : '';
    case 'tool_use':
    case 'server_tool_use':
      return `${typeof block.name === 'string' ? block.name : ''}${JSON.stringify(block.input ?? {})}`;
    case 'tool_result': {
      const content = block.content;
      if (typeof content === 'string') return content;
      if (Array.isArray(content)) return content.map((part) => (part && typeof part === 'object' && typeof (part as Block).text === 'string' ? ((part as Block).text as string) : '')).join('');
      return '';
    }
    default:
      return '';
  }
}

function weighContent(content: string | Block[], walker: PromptWalker): { weight: PromptMessageWeight; text: string; hasToolResult: boolean } {
  if (typeof content === 'string') {
    walker.add(content);
    return { weight: { characters: content.length, mediaParts: 0 }, text: content, hasToolResult: false };
  }
  let characters = 0;
  let mediaParts = 0;
  let text = '';
  let hasToolResult = false;
  for (const block of content) {
    const piece = blockText(block);
    characters += piece.length;
    if (MEDIA_BLOCK_TYPES.has(block.type)) mediaParts++;
    if (block.type === 'tool_result') hasToolResult = true;
    if (block.type === 'text' || block.type === 'tool_result') text += piece;
    walker.add(piece);
    walker.mark(block);
  }
  return { weight: { characters, mediaParts }, text, hasToolResult };
}

/**
 * Anthropic checks the `signature` of every `thinking` block replayed in an assistant turn and refuses the request
 * when it does not match the thinking text (a block altered, truncated or signed by someone else). The simulator
 * signs its thinking with `signatureFor(text)`, so it can do the same: a 400 in Anthropic's words, naming the block.
 * `redacted_thinking` blocks are opaque and accepted as they are.
 */
function verifyThinkingSignatures(content: string | Block[], messageIndex: number): void {
  if (typeof content === 'string') return;
  for (const [blockIndex, block] of content.entries()) {
    if (block.type !== 'thinking') continue;
    const path = `messages.${messageIndex}.content.${blockIndex}`;
    if (typeof block.thinking !== 'string') throw new RequestError(400, `${path}.thinking: Field required`, `${path}.thinking`);
    if (typeof block.signature !== 'string' || block.signature.length === 0) throw new RequestError(400, `${path}.signature: Field required`, `${path}.signature`);
    if (block.signature !== signatureFor(block.thinking)) throw new RequestError(400, `${path}: Invalid \`signature\` in \`thinking\` block`, `${path}.signature`);
  }
}

/**
 * With budgeted thinking on (`thinking.type: "enabled"`), Anthropic refuses a tool-result turn whose assistant
 * message (the one holding the tool_use blocks being answered) does not start with its thinking block: a client (or
 * gateway) must replay the thinking it received, or turn thinking off for the turn. The simulator enforces the same
 * rule, in Anthropic's words.
 */
function requireThinkingBeforeToolUse(messages: AnthropicRequest['messages']): void {
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index];
    if (message.role !== 'assistant') continue;
    const content = message.content;
    if (typeof content === 'string' || !content.some((block) => block.type === 'tool_use')) return;
    const first = content[0];
    if (first.type === 'thinking' || first.type === 'redacted_thinking') return;
    throw new RequestError(
      400,
      `messages.${index}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${first.type}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable \`thinking\`.`,
      `messages.${index}.content.0.type`,
    );
  }
}

function toolChoiceOf(request: AnthropicRequest): ToolChoice {
  const choice = request.tool_choice;
  if (!choice || choice.type === 'auto') return { type: 'auto' };
  if (choice.type === 'none') return { type: 'none' };
  if (choice.type === 'any') return { type: 'required' };
  if (!choice.name) throw new RequestError(400, 'tool_choice.name: Field required', 'tool_choice.name');
  return { type: 'tool', name: choice.name };
}

function outputOf(request: AnthropicRequest): OutputFormat {
  const format = request.output_config?.format ?? request.output_format;
  return format ? { type: 'json_schema', schema: format.schema as JsonSchema } : { type: 'text' };
}

/** An Anthropic Messages request as a ChatIntent. */
export function anthropicMessagesIntent(body: unknown): ChatIntent {
  const request = parseRequest(anthropicMessagesRequestSchema, body, 'dots');
  const walker = new PromptWalker();
  const tools: ToolDefinition[] = [];
  for (const tool of request.tools ?? []) {
    walker.add(tool.name);
    walker.mark(tool);
    // Server tools (web search, code execution…) carry a `type` and no input schema: the simulator never calls them.
    if (tool.input_schema === undefined && tool.type !== undefined && tool.type !== 'custom') continue;
    tools.push({ name: tool.name, parameters: (tool.input_schema ?? { type: 'object', properties: {} }) as JsonSchema });
  }
  const toolChoice = toolChoiceOf(request);
  if (toolChoice.type === 'tool' && !tools.some((tool) => tool.name === toolChoice.name)) {
    throw new RequestError(400, `tool_choice: tool '${toolChoice.name}' not found in tools`, 'tool_choice');
  }

  const weights: PromptMessageWeight[] = [];
  if (request.system !== undefined && (typeof request.system !== 'string' || request.system.length > 0)) {
    weights.push(weighContent(request.system, walker).weight);
  }
  let lastUserText = '';
  let lastIsToolResult = false;
  for (const [index, message] of request.messages.entries()) {
    if (message.role === 'assistant') verifyThinkingSignatures(message.content, index);
    const weighed = weighContent(message.content, walker);
    weights.push(weighed.weight);
    if (message.role === 'user') {
      lastUserText = weighed.text;
      lastIsToolResult = index === request.messages.length - 1 && weighed.hasToolResult;
    }
  }
  if (request.messages.length === 0) throw new RequestError(400, 'messages: at least one message is required', 'messages');

  const thinking = request.thinking;
  const reasoning: ChatIntent['reasoning'] = !thinking ? 'unspecified' : thinking.type === 'disabled' ? 'disabled' : 'requested';
  // Budgeted thinking only: adaptive (interleaved) thinking may start a turn with a tool call.
  if (thinking?.type === 'enabled' && lastIsToolResult) requireThinkingBeforeToolUse(request.messages);
  if (thinking?.type === 'enabled' && thinking.budget_tokens !== undefined && thinking.budget_tokens >= request.max_tokens) {
    throw new RequestError(400, '`max_tokens` must be greater than `thinking.budget_tokens`.', 'max_tokens');
  }
  const toolsJsonLength = request.tools && request.tools.length > 0 ? JSON.stringify(request.tools).length : 0;
  return {
    model: request.model,
    stream: request.stream === true,
    promptTokens: chatPromptTokens(weights, toolsJsonLength),
    lastUserText,
    lastIsToolResult,
    maxTokens: request.max_tokens,
    tools,
    toolChoice,
    parallelToolCalls: request.tool_choice?.disable_parallel_tool_use !== true,
    output: outputOf(request),
    reasoning,
    reasoningBudget: thinking?.type === 'enabled' ? thinking.budget_tokens : undefined,
    cache: { marked: walker.cacheKey !== undefined, key: walker.cacheKey },
  };
}
