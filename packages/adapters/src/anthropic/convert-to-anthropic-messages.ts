import type { CacheControl, ContentPart, Message, ReasoningDetail, TextPart } from '@switchyard/llm-spec';
import { AdapterRequestError } from '../shared/adapter-request-error.js';
import { contentParts, isHttpUrl, parseDataUrl, textParts, withNamePrefix } from '../shared/content.js';
import { tryParseClientJson } from '../shared/parse-json.js';

export type AnthropicBlock = Record<string, unknown> & { type: string; cache_control?: CacheControl };
export interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: AnthropicBlock[];
}

export interface AnthropicPrompt {
  system: AnthropicBlock[];
  messages: AnthropicMessage[];
}

/** The `reasoning_details` format Anthropic's thinking blocks travel under. */
export const anthropicReasoningFormat = 'anthropic-claude-v1';

const imageMediaTypes = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/**
 * Canonical messages → Anthropic's `system` blocks and alternating `messages`:
 * system/developer messages become system blocks (cache_control kept); tool results become `tool_result` blocks in
 * a user turn; assistant tool calls become `tool_use` blocks after the replayed thinking blocks (signatures
 * intact); consecutive turns of the same role are merged, as Anthropic requires.
 */
export function convertToAnthropicMessages(messages: ReadonlyArray<Message>): AnthropicPrompt {
  const system: AnthropicBlock[] = [];
  const turns: AnthropicMessage[] = [];
  const append = (role: 'user' | 'assistant', blocks: AnthropicBlock[]) => {
    if (blocks.length === 0) return;
    const last = turns.at(-1);
    if (last && last.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };

  messages.forEach((message, messageIndex) => {
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(...textBlocks(withNamePrefix(textParts(message.content), message.name)));
        break;
      case 'user':
        append('user', userBlocks(withNamePrefix(contentParts(message.content), message.name), messageIndex));
        break;
      case 'tool': {
        const parts = textParts(message.content);
        const block: AnthropicBlock = { type: 'tool_result', tool_use_id: message.tool_call_id, content: parts.map((part) => part.text).join('') };
        const cacheControl = parts.findLast((part) => part.cache_control)?.cache_control;
        if (cacheControl) block.cache_control = cacheControl;
        append('user', [block]);
        break;
      }
      case 'assistant': {
        const blocks: AnthropicBlock[] = [...thinkingBlocks(message.reasoning_details ?? [])];
        blocks.push(...textBlocks(withNamePrefix(textParts(message.content ?? null), message.name)));
        (message.tool_calls ?? []).forEach((call, callIndex) => {
          blocks.push({ type: 'tool_use', id: call.id, name: call.function.name, input: toolInput(call.function.arguments, `messages[${messageIndex}].tool_calls[${callIndex}].function.arguments`) });
        });
        append('assistant', blocks);
        break;
      }
    }
  });

  // A trailing assistant turn is a prefill; Anthropic rejects one that ends in whitespace.
  const last = turns.at(-1);
  if (last?.role === 'assistant') {
    const block = last.content.at(-1);
    if (block?.type === 'text' && typeof block.text === 'string') {
      block.text = block.text.trimEnd();
      if (block.text === '') last.content.pop();
      if (last.content.length === 0) turns.pop();
    }
  }
  return { system, messages: turns };
}

function textBlocks(parts: ReadonlyArray<TextPart>): AnthropicBlock[] {
  // Anthropic rejects empty text blocks.
  return parts.filter((part) => part.text !== '').map((part) => withCache({ type: 'text', text: part.text }, part.cache_control));
}

function withCache(block: AnthropicBlock, cacheControl: CacheControl | undefined): AnthropicBlock {
  if (cacheControl) block.cache_control = cacheControl;
  return block;
}

function userBlocks(parts: ReadonlyArray<ContentPart>, messageIndex: number): AnthropicBlock[] {
  const blocks: AnthropicBlock[] = [];
  parts.forEach((part, partIndex) => {
    const param = `messages[${messageIndex}].content[${partIndex}]`;
    switch (part.type) {
      case 'text':
        if (part.text !== '') blocks.push(withCache({ type: 'text', text: part.text }, part.cache_control));
        break;
      case 'image_url':
        blocks.push(withCache({ type: 'image', source: imageSource(part.image_url.url, `${param}.image_url.url`) }, part.cache_control));
        break;
      case 'file':
        blocks.push(withCache({ type: 'document', source: documentSource(part.file.file_data, `${param}.file.file_data`) }, part.cache_control));
        break;
      case 'input_audio':
        throw new AdapterRequestError('Anthropic does not accept audio input', { param });
    }
  });
  return blocks;
}

function imageSource(url: string, param: string): Record<string, unknown> {
  const dataUrl = parseDataUrl(url);
  if (dataUrl) {
    if (!imageMediaTypes.has(dataUrl.mediaType)) {
      throw new AdapterRequestError(`Anthropic accepts JPEG, PNG, GIF and WebP images, not ${dataUrl.mediaType}`, { errorType: 'unsupported_image_format', param });
    }
    return { type: 'base64', media_type: dataUrl.mediaType, data: dataUrl.data };
  }
  if (isHttpUrl(url)) return { type: 'url', url };
  throw new AdapterRequestError('image_url must be an http(s) URL or a base64 data URL', { errorType: 'invalid_image', param });
}

function documentSource(fileData: string | undefined, param: string): Record<string, unknown> {
  if (fileData) {
    const dataUrl = parseDataUrl(fileData);
    if (dataUrl?.mediaType === 'application/pdf') return { type: 'base64', media_type: 'application/pdf', data: dataUrl.data };
    if (dataUrl?.mediaType === 'text/plain') return { type: 'text', media_type: 'text/plain', data: Buffer.from(dataUrl.data, 'base64').toString('utf8') };
    if (!dataUrl && isHttpUrl(fileData)) return { type: 'url', url: fileData };
  }
  throw new AdapterRequestError('Anthropic takes files as a PDF or plain-text data URL, or an http(s) PDF URL', { param });
}

/** Replays Anthropic's own reasoning details as thinking blocks, unmodified and in order. */
function thinkingBlocks(details: ReadonlyArray<ReasoningDetail>): AnthropicBlock[] {
  const blocks: AnthropicBlock[] = [];
  for (const detail of details) {
    if (detail.format !== anthropicReasoningFormat) continue;
    if (detail.type === 'reasoning.text' && detail.signature) {
      blocks.push({ type: 'thinking', thinking: detail.text ?? '', signature: detail.signature });
    } else if (detail.type === 'reasoning.encrypted' && detail.data) {
      blocks.push({ type: 'redacted_thinking', data: detail.data });
    }
  }
  return blocks;
}

function toolInput(argumentsText: string, param: string): unknown {
  if (argumentsText.trim() === '') return {};
  const input = tryParseClientJson(argumentsText);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new AdapterRequestError('tool call arguments must be a JSON object', { param });
  }
  return input;
}
