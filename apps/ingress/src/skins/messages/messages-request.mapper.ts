import { BadRequestError } from '@switchyard/contracts';
import type { CanonicalChatRequest, ContentPart, Message, ReasoningConfig, ReasoningDetail, TextPart, ToolCall } from '@switchyard/llm-spec';
import { canonicalExtras, compact } from '../shared/openrouter-extras.schema.js';
import { ANTHROPIC_REASONING_FORMAT, decodeReasoningDetail, withText } from '../shared/reasoning-codec.js';
import type { AnthropicContentBlock, CountTokensRequest, MessagesRequest } from './messages-request.schema.js';

type Block<T extends AnthropicContentBlock['type']> = Extract<AnthropicContentBlock, { type: T }>;

/**
 * An Anthropic Messages request → the canonical (OpenAI chat shaped) request of the shared pipeline:
 * `system` → a system message; user content blocks → user parts; `tool_result` blocks → tool messages (placed
 * where they stand, before the rest of the turn); assistant `tool_use` → `tool_calls` with the input as JSON text;
 * `thinking` / `redacted_thinking` → `reasoning_details` in order, signatures intact (the Anthropic adapter replays
 * them as the same blocks); `thinking.budget_tokens` → `reasoning.max_tokens`; `fallbacks` → `models`.
 */
export function messagesToCanonical(request: MessagesRequest | CountTokensRequest, model: string = request.model): CanonicalChatRequest {
  const messages: Message[] = [];
  if (request.system !== undefined && request.system !== null) {
    const system = systemContent(request.system);
    if (system !== undefined) messages.push({ role: 'system', content: system });
  }
  request.messages.forEach((message, messageIndex) => {
    if (typeof message.content === 'string') {
      messages.push(message.role === 'user' ? { role: 'user', content: message.content } : { role: 'assistant', content: message.content });
      return;
    }
    if (message.role === 'user') messages.push(...userMessages(message.content, messageIndex));
    else {
      const assistant = assistantMessage(message.content, messageIndex);
      if (assistant) messages.push(assistant);
    }
  });

  const canonical: CanonicalChatRequest = compact({
    model,
    messages,
    stream: request.stream === true,
    max_tokens: request.max_tokens ?? undefined,
    temperature: request.temperature ?? undefined,
    top_p: request.top_p ?? undefined,
    top_k: request.top_k ?? undefined,
    stop: request.stop_sequences && request.stop_sequences.length > 0 ? request.stop_sequences : undefined,
    user: request.user ?? request.metadata?.user_id ?? undefined,
    ...canonicalExtras(request),
  });
  if (request.fallbacks && request.fallbacks.length > 0) canonical.models = request.fallbacks.map((fallback) => fallback.model);

  if (request.tools && request.tools.length > 0) {
    canonical.tools = request.tools.map((tool) => {
      const mapped: NonNullable<CanonicalChatRequest['tools']>[number] = {
        type: 'function',
        function: compact({ name: tool.name, description: tool.description ?? undefined, parameters: tool.input_schema }),
      };
      if (tool.cache_control) mapped.cache_control = tool.cache_control;
      return mapped;
    });
  }
  const choice = request.tool_choice;
  if (choice) {
    if (choice.type === 'auto') canonical.tool_choice = 'auto';
    else if (choice.type === 'any') canonical.tool_choice = 'required';
    else if (choice.type === 'none') canonical.tool_choice = 'none';
    else canonical.tool_choice = { type: 'function', function: { name: choice.name } };
    if (choice.type !== 'none' && choice.disable_parallel_tool_use === true) canonical.parallel_tool_calls = false;
  }

  const reasoning = reasoningConfig(request);
  if (reasoning) canonical.reasoning = reasoning;
  const format = request.output_config?.format;
  if (format) canonical.response_format = { type: 'json_schema', json_schema: { name: 'response', schema: format.schema, strict: true } };
  return canonical;
}

function reasoningConfig(request: MessagesRequest | CountTokensRequest): ReasoningConfig | undefined {
  const thinking = request.thinking;
  if (!thinking || thinking.type === 'disabled') return undefined;
  if (thinking.type === 'enabled') return { max_tokens: thinking.budget_tokens };
  const effort = request.output_config?.effort;
  return effort ? { effort } : { enabled: true };
}

function systemContent(system: NonNullable<MessagesRequest['system']>): string | TextPart[] | undefined {
  if (typeof system === 'string') return system === '' ? undefined : system;
  const parts = system.filter((block) => block.text !== '').map((block) => textPart(block.text, block.cache_control));
  return parts.length > 0 ? parts : undefined;
}

function textPart(text: string, cacheControl: TextPart['cache_control'] | null | undefined): TextPart {
  return cacheControl ? { type: 'text', text, cache_control: cacheControl } : { type: 'text', text };
}

function misplaced(block: AnthropicContentBlock, messageIndex: number, blockIndex: number, role: 'user' | 'assistant'): BadRequestError {
  const where = role === 'user' ? 'assistant' : 'user';
  return new BadRequestError(`Invalid request: messages.${messageIndex}.content.${blockIndex}: ${block.type} blocks belong in ${where} messages`, {
    issues: [{ path: `messages.${messageIndex}.content.${blockIndex}`, message: `${block.type} blocks belong in ${where} messages` }],
  });
}

function userPart(block: Block<'text' | 'image' | 'document'>): ContentPart {
  switch (block.type) {
    case 'text':
      return textPart(block.text, block.cache_control);
    case 'image': {
      const url = block.source.type === 'base64' ? `data:${block.source.media_type};base64,${block.source.data}` : block.source.url;
      const part: ContentPart = { type: 'image_url', image_url: { url } };
      if (block.cache_control) part.cache_control = block.cache_control;
      return part;
    }
    case 'document': {
      const source = block.source;
      const fileData =
        source.type === 'base64'
          ? `data:application/pdf;base64,${source.data}`
          : source.type === 'text'
            ? `data:text/plain;base64,${Buffer.from(source.data, 'utf8').toString('base64')}`
            : source.url;
      const filename = block.title ?? (source.type === 'text' ? 'document.txt' : 'document.pdf');
      const part: ContentPart = { type: 'file', file: { filename, file_data: fileData } };
      if (block.cache_control) part.cache_control = block.cache_control;
      return part;
    }
  }
}

/**
 * One Anthropic user turn → tool messages (one per tool_result) and user messages (the other blocks, in order).
 * Images returned by tools cannot ride on a tool message, so they follow the run of tool messages in a user message.
 */
function userMessages(blocks: AnthropicContentBlock[], messageIndex: number): Message[] {
  const out: Message[] = [];
  let parts: ContentPart[] = [];
  let toolImages: ContentPart[] = [];
  const flush = () => {
    const content = [...toolImages, ...parts];
    if (content.length > 0) out.push({ role: 'user', content: simplify(content) });
    parts = [];
    toolImages = [];
  };
  blocks.forEach((block, blockIndex) => {
    switch (block.type) {
      case 'text':
      case 'image':
      case 'document':
        parts.push(userPart(block));
        break;
      case 'tool_result': {
        if (parts.length > 0) flush();
        const { message, images } = toolMessage(block);
        out.push(message);
        toolImages.push(...images);
        break;
      }
      default:
        throw misplaced(block, messageIndex, blockIndex, 'user');
    }
  });
  flush();
  return out;
}

function toolMessage(block: Block<'tool_result'>): { message: Message; images: ContentPart[] } {
  const prefix = block.is_error === true ? 'Error: ' : '';
  const images: ContentPart[] = [];
  let texts: TextPart[];
  if (block.content === undefined) texts = [{ type: 'text', text: prefix }];
  else if (typeof block.content === 'string') texts = [{ type: 'text', text: prefix + block.content }];
  else {
    texts = [];
    for (const item of block.content) {
      if (item.type === 'text') texts.push(textPart(item.text, item.cache_control));
      else images.push(userPart(item));
    }
    if (texts.length === 0) texts.push({ type: 'text', text: prefix });
    else if (prefix) texts[0] = { ...texts[0]!, text: prefix + texts[0]!.text };
  }
  if (block.cache_control) texts[texts.length - 1] = { ...texts[texts.length - 1]!, cache_control: block.cache_control };
  return { message: { role: 'tool', tool_call_id: block.tool_use_id, content: simplifyText(texts) }, images };
}

/** Plain text parts become one string (what every provider takes); parts stay parts when one carries cache_control. */
function simplifyText(parts: TextPart[]): string | TextPart[] {
  return parts.some((part) => part.cache_control) ? parts : parts.map((part) => part.text).join('');
}

function simplify(parts: ContentPart[]): string | ContentPart[] {
  return parts.every((part) => part.type === 'text' && !part.cache_control) ? parts.map((part) => (part as TextPart).text).join('') : parts;
}

function assistantMessage(blocks: AnthropicContentBlock[], messageIndex: number): Message | undefined {
  const texts: TextPart[] = [];
  const toolCalls: ToolCall[] = [];
  const details: ReasoningDetail[] = [];
  blocks.forEach((block, blockIndex) => {
    switch (block.type) {
      case 'text':
        texts.push(textPart(block.text, block.cache_control));
        break;
      case 'tool_use':
        toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input) } });
        break;
      case 'thinking':
        details.push(thinkingDetail(block, details.length));
        break;
      case 'redacted_thinking':
        details.push(redactedDetail(block, details.length));
        break;
      default:
        throw misplaced(block, messageIndex, blockIndex, 'assistant');
    }
  });
  if (texts.length === 0 && toolCalls.length === 0 && details.length === 0) return undefined;
  const message: Message = { role: 'assistant', content: texts.length > 0 ? simplifyText(texts) : toolCalls.length > 0 ? null : '' };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (details.length > 0) message.reasoning_details = details;
  return message;
}

/**
 * A thinking block as the reasoning detail it came from: an Anthropic signature → Anthropic's own thinking (replayed
 * to Anthropic as is); a signature Switchyard encoded → the other provider's detail, its text restored; no
 * signature → plain reasoning text, which no provider replays as signed thinking.
 */
export function thinkingDetail(block: Block<'thinking'>, index: number): ReasoningDetail {
  const signature = block.signature ?? '';
  const decoded = signature ? decodeReasoningDetail(signature) : undefined;
  if (decoded) return withText(decoded, block.thinking);
  if (signature) return { type: 'reasoning.text', text: block.thinking, signature, format: ANTHROPIC_REASONING_FORMAT, index };
  return { type: 'reasoning.text', text: block.thinking, index };
}

export function redactedDetail(block: Block<'redacted_thinking'>, index: number): ReasoningDetail {
  return decodeReasoningDetail(block.data) ?? { type: 'reasoning.encrypted', data: block.data, format: ANTHROPIC_REASONING_FORMAT, index };
}
