import type { ContentPart, Message, TextPart } from '@switchyard/llm-spec';
import { AdapterRequestError } from '../shared/adapter-request-error.js';
import { contentParts, textParts, withNamePrefix } from '../shared/content.js';
import type { OpenAiCompatiblePreset } from './openai-compatible-presets.js';

type WireContent = string | Array<Record<string, unknown>> | null;
export type OpenAiWireMessage = Record<string, unknown> & { role: string; content?: WireContent };

/**
 * Canonical messages → Chat Completions messages for one preset. Content that is all plain text becomes a string
 * (several hosts reject part arrays); parts stay parts only when they carry something a string cannot (images,
 * files, audio, or cache_control the upstream understands).
 */
export function convertToOpenAiMessages(messages: ReadonlyArray<Message>, preset: OpenAiCompatiblePreset): OpenAiWireMessage[] {
  return messages.map((message, messageIndex) => {
    switch (message.role) {
      case 'system':
      case 'developer': {
        const role = message.role === 'developer' && preset.developerRole ? 'developer' : 'system';
        return withName({ role, content: textContent(textParts(message.content), preset, message.name) }, message.name, preset);
      }
      case 'user':
        return withName({ role: 'user', content: userContent(contentParts(message.content), preset, message.name, messageIndex) }, message.name, preset);
      case 'assistant': {
        const wire: OpenAiWireMessage = { role: 'assistant', content: null };
        const text = textContent(textParts(message.content ?? null), preset, message.name);
        const hasToolCalls = (message.tool_calls?.length ?? 0) > 0;
        wire.content = text === '' && hasToolCalls ? null : text;
        if (hasToolCalls) {
          wire.tool_calls = message.tool_calls!.map((call) => ({ id: call.id, type: 'function', function: { name: call.function.name, arguments: call.function.arguments } }));
        }
        if (preset.replayReasoningDetails) {
          const reasoning = message.reasoning ?? message.reasoning_content;
          if (reasoning) wire.reasoning = reasoning;
          if (message.reasoning_details?.length) wire.reasoning_details = message.reasoning_details;
        }
        return withName(wire, message.name, preset);
      }
      case 'tool':
        return { role: 'tool', tool_call_id: message.tool_call_id, content: textContent(textParts(message.content), preset, undefined) };
    }
  });
}

function withName(wire: OpenAiWireMessage, name: string | undefined, preset: OpenAiCompatiblePreset): OpenAiWireMessage {
  if (name && preset.messageName) wire.name = name;
  return wire;
}

function keepsParts(parts: ReadonlyArray<ContentPart>, preset: OpenAiCompatiblePreset): boolean {
  return parts.some((part) => part.type !== 'text' || (preset.cacheControl && part.cache_control !== undefined));
}

function textContent(parts: TextPart[], preset: OpenAiCompatiblePreset, name: string | undefined): string | Array<Record<string, unknown>> {
  const named = preset.messageName ? parts : withNamePrefix(parts, name);
  if (!keepsParts(named, preset)) return named.map((part) => part.text).join('');
  return named.map((part) => textPart(part, preset));
}

function textPart(part: TextPart, preset: OpenAiCompatiblePreset): Record<string, unknown> {
  return preset.cacheControl && part.cache_control ? { type: 'text', text: part.text, cache_control: part.cache_control } : { type: 'text', text: part.text };
}

function userContent(parts: ContentPart[], preset: OpenAiCompatiblePreset, name: string | undefined, messageIndex: number): string | Array<Record<string, unknown>> {
  const named = preset.messageName ? parts : withNamePrefix(parts, name);
  if (!keepsParts(named, preset)) return named.map((part) => (part.type === 'text' ? part.text : '')).join('');
  return named.map((part, partIndex) => {
    const param = `messages[${messageIndex}].content[${partIndex}]`;
    switch (part.type) {
      case 'text':
        return textPart(part, preset);
      case 'image_url':
        return { type: 'image_url', image_url: part.image_url.detail ? { url: part.image_url.url, detail: part.image_url.detail } : { url: part.image_url.url } };
      case 'file':
        if (!preset.fileParts) throw new AdapterRequestError(`${preset.displayName} does not accept file content parts`, { param });
        return { type: 'file', file: part.file };
      case 'input_audio':
        if (!preset.audioParts) throw new AdapterRequestError(`${preset.displayName} does not accept audio content parts`, { param });
        return { type: 'input_audio', input_audio: part.input_audio };
    }
  });
}
