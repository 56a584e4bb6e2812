import { BadRequestError } from '@switchyard/contracts';
import type { AssistantMessage, CanonicalChatRequest, ContentPart, Message, ReasoningConfig, ReasoningDetail, TextPart } from '@switchyard/llm-spec';
import { canonicalExtras, compact } from '../shared/openrouter-extras.schema.js';
import { decodeReasoningDetails } from '../shared/reasoning-codec.js';
import type { InputItem, MessagePart, ResponsesRequest } from './responses-request.schema.js';

/** The format of OpenAI Responses reasoning items replayed as reasoning details. */
export const OPENAI_RESPONSES_REASONING_FORMAT = 'openai-responses-v1';

function badItem(path: string, message: string): BadRequestError {
  return new BadRequestError(`Invalid request: ${path}: ${message}`, { issues: [{ path, message }] });
}

/**
 * A Responses request → the canonical (chat shaped) request: `instructions` → a system message first; `input`
 * items → messages in order, with the items of one assistant turn (reasoning, message, function calls) folded into
 * one assistant message; `function_call_output` → tool messages; reasoning items → reasoning_details (Switchyard's
 * own `encrypted_content` decodes to the provider's details; anything else is replayed as OpenAI reasoning);
 * `max_output_tokens` → max_tokens; `text.format` → response_format.
 */
export function responsesToCanonical(request: ResponsesRequest): CanonicalChatRequest {
  const messages: Message[] = [];
  if (request.instructions) messages.push({ role: 'system', content: request.instructions });
  if (typeof request.input === 'string') messages.push({ role: 'user', content: request.input });
  else messages.push(...itemsToMessages(request.input));
  if (messages.length === 0) throw badItem('input', 'no message to answer');

  const canonical: CanonicalChatRequest = compact({
    model: request.model,
    messages,
    stream: request.stream === true,
    max_tokens: request.max_output_tokens ?? undefined,
    temperature: request.temperature ?? undefined,
    top_p: request.top_p ?? undefined,
    top_k: request.top_k ?? undefined,
    parallel_tool_calls: request.parallel_tool_calls ?? undefined,
    metadata: request.metadata ?? undefined,
    user: request.user ?? request.safety_identifier ?? undefined,
    service_tier: request.service_tier ?? undefined,
    verbosity: request.text?.verbosity ?? undefined,
    ...canonicalExtras(request),
  });
  if (request.tools && request.tools.length > 0) {
    canonical.tools = request.tools.map((tool) => ({
      type: 'function' as const,
      function: compact({ name: tool.name, description: tool.description ?? undefined, parameters: tool.parameters ?? undefined, strict: tool.strict ?? undefined }),
    }));
  }
  const choice = request.tool_choice;
  if (choice) canonical.tool_choice = typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
  const format = request.text?.format;
  if (format) {
    canonical.response_format =
      format.type === 'json_schema'
        ? { type: 'json_schema', json_schema: compact({ name: format.name, schema: format.schema, description: format.description ?? undefined, strict: format.strict ?? undefined }) }
        : { type: format.type };
  }
  const reasoning = request.reasoning;
  if (reasoning) {
    const config: ReasoningConfig = compact({
      effort: reasoning.effort ?? undefined,
      summary: reasoning.summary ?? undefined,
      max_tokens: reasoning.max_tokens ?? undefined,
      enabled: reasoning.enabled ?? undefined,
      exclude: reasoning.exclude ?? undefined,
    });
    if (Object.keys(config).length > 0) canonical.reasoning = config;
  }
  return canonical;
}

function itemsToMessages(items: InputItem[]): Message[] {
  const messages: Message[] = [];
  let assistant: AssistantMessage | undefined;
  const currentAssistant = (): AssistantMessage => {
    if (!assistant) {
      assistant = { role: 'assistant', content: null };
      messages.push(assistant);
    }
    return assistant;
  };
  const endAssistant = () => {
    if (assistant && assistant.content === null && !assistant.tool_calls?.length) assistant.content = '';
    assistant = undefined;
  };
  let pendingImages: ContentPart[] = [];
  const flushImages = () => {
    if (pendingImages.length > 0) messages.push({ role: 'user', content: pendingImages });
    pendingImages = [];
  };

  items.forEach((item, itemIndex) => {
    const path = `input.${itemIndex}`;
    if (item.type !== 'function_call_output') flushImages();
    switch (item.type) {
      case 'message': {
        if (item.role === 'assistant') {
          const target = currentAssistant();
          const { text, refusal } = assistantText(item.content, path);
          if (text !== '') target.content = (typeof target.content === 'string' ? target.content : '') + text;
          if (refusal) target.refusal = (target.refusal ?? '') + refusal;
          break;
        }
        endAssistant();
        if (item.role === 'user') messages.push({ role: 'user', content: userContent(item.content, path) });
        else messages.push({ role: item.role, content: systemContent(item.content, path) });
        break;
      }
      case 'function_call': {
        const target = currentAssistant();
        (target.tool_calls ??= []).push({ id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } });
        break;
      }
      case 'reasoning': {
        const target = currentAssistant();
        (target.reasoning_details ??= []).push(...reasoningDetails(item, target.reasoning_details?.length ?? 0));
        break;
      }
      case 'function_call_output': {
        endAssistant();
        const output = item.output;
        if (typeof output === 'string') {
          messages.push({ role: 'tool', tool_call_id: item.call_id, content: output });
          break;
        }
        const texts: TextPart[] = [];
        output.forEach((part, partIndex) => {
          if (part.type === 'input_text') texts.push(part.cache_control ? { type: 'text', text: part.text, cache_control: part.cache_control } : { type: 'text', text: part.text });
          else pendingImages.push(mediaPart(part, `${path}.output.${partIndex}`));
        });
        messages.push({ role: 'tool', tool_call_id: item.call_id, content: texts.some((part) => part.cache_control) ? texts : texts.map((part) => part.text).join('') });
        break;
      }
    }
  });
  flushImages();
  endAssistant();
  return messages;
}

function assistantText(content: string | MessagePart[], path: string): { text: string; refusal: string } {
  if (typeof content === 'string') return { text: content, refusal: '' };
  let text = '';
  let refusal = '';
  content.forEach((part, partIndex) => {
    if (part.type === 'output_text' || part.type === 'input_text') text += part.text;
    else if (part.type === 'refusal') refusal += part.refusal;
    else throw badItem(`${path}.content.${partIndex}`, `${part.type} parts belong in user messages`);
  });
  return { text, refusal };
}

function systemContent(content: string | MessagePart[], path: string): string | TextPart[] {
  if (typeof content === 'string') return content;
  const parts: TextPart[] = content.map((part, partIndex) => {
    if (part.type !== 'input_text' && part.type !== 'output_text') throw badItem(`${path}.content.${partIndex}`, `${part.type} parts are not allowed in system or developer messages`);
    return part.type === 'input_text' && part.cache_control ? { type: 'text', text: part.text, cache_control: part.cache_control } : { type: 'text', text: part.text };
  });
  return parts.some((part) => part.cache_control) ? parts : parts.map((part) => part.text).join('');
}

function userContent(content: string | MessagePart[], path: string): string | ContentPart[] {
  if (typeof content === 'string') return content;
  const parts: ContentPart[] = content.map((part, partIndex) => {
    const partPath = `${path}.content.${partIndex}`;
    switch (part.type) {
      case 'input_text':
        return part.cache_control ? { type: 'text', text: part.text, cache_control: part.cache_control } : { type: 'text', text: part.text };
      case 'output_text':
        return { type: 'text', text: part.text };
      case 'refusal':
        throw badItem(partPath, 'refusal parts belong in assistant messages');
      default:
        return mediaPart(part, partPath);
    }
  });
  return parts.every((part) => part.type === 'text' && !part.cache_control) ? parts.map((part) => (part as TextPart).text).join('') : parts;
}

function mediaPart(part: Extract<MessagePart, { type: 'input_image' | 'input_file' }>, path: string): ContentPart {
  if (part.type === 'input_image') {
    if (!part.image_url) throw badItem(path, part.file_id ? 'file_id is not supported (no file storage); send image_url as an http(s) or data URL' : 'image_url is required');
    return { type: 'image_url', image_url: part.detail ? { url: part.image_url, detail: part.detail } : { url: part.image_url } };
  }
  const data = part.file_data ?? part.file_url;
  if (!data) throw badItem(path, part.file_id ? 'file_id is not supported (no file storage); send file_data or file_url' : 'file_data or file_url is required');
  return { type: 'file', file: compact({ filename: part.filename ?? undefined, file_data: data }) };
}

/**
 * A reasoning item → reasoning details: Switchyard's own encrypted_content gives back exactly what the provider
 * sent; another encrypted_content is OpenAI's, replayed as such; summaries (and raw reasoning text) ride along.
 */
function reasoningDetails(item: Extract<InputItem, { type: 'reasoning' }>, offset: number): ReasoningDetail[] {
  if (item.encrypted_content) {
    const decoded = decodeReasoningDetails(item.encrypted_content);
    if (decoded) return decoded;
  }
  const details: ReasoningDetail[] = [];
  const id = item.id ?? undefined;
  for (const summary of item.summary) details.push(compact({ type: 'reasoning.summary', summary: summary.text, format: OPENAI_RESPONSES_REASONING_FORMAT, id, index: offset + details.length }) as ReasoningDetail);
  for (const content of item.content ?? []) details.push(compact({ type: 'reasoning.text', text: content.text, format: OPENAI_RESPONSES_REASONING_FORMAT, id, index: offset + details.length }) as ReasoningDetail);
  if (item.encrypted_content) details.push(compact({ type: 'reasoning.encrypted', data: item.encrypted_content, format: OPENAI_RESPONSES_REASONING_FORMAT, id, index: offset + details.length }) as ReasoningDetail);
  return details;
}
