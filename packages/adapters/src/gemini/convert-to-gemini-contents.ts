import type { ContentPart, Message, ReasoningDetail } from '@switchyard/llm-spec';
import { AdapterRequestError } from '../shared/adapter-request-error.js';
import { contentParts, isHttpUrl, mediaTypeFromUrl, parseDataUrl, textParts, toolNamesById, withNamePrefix } from '../shared/content.js';
import { tryParseClientJson } from '../shared/parse-json.js';

export type GeminiPart = Record<string, unknown>;
export interface GeminiContent {
  role: 'user' | 'model';
  parts: GeminiPart[];
}

export interface GeminiPrompt {
  systemInstruction?: { parts: GeminiPart[] };
  contents: GeminiContent[];
}

/** The `reasoning_details` format Gemini thoughts and thought signatures travel under. */
export const geminiReasoningFormat = 'google-gemini-v1';

/**
 * Canonical messages → Gemini `contents` (roles user/model) and `systemInstruction`. Tool results become
 * `functionResponse` parts named after the call they answer (Gemini has no call ids: the name is found from the
 * assistant message that made the call); thought signatures kept in reasoning_details go back on the part they
 * came with (the function call with the same id, otherwise the last text part).
 */
export function convertToGeminiContents(messages: ReadonlyArray<Message>): GeminiPrompt {
  const systemParts: GeminiPart[] = [];
  const contents: GeminiContent[] = [];
  const names = toolNamesById(messages);
  const append = (role: 'user' | 'model', parts: GeminiPart[]) => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };

  messages.forEach((message, messageIndex) => {
    switch (message.role) {
      case 'system':
      case 'developer':
        for (const part of withNamePrefix(textParts(message.content), message.name)) if (part.text !== '') systemParts.push({ text: part.text });
        break;
      case 'user':
        append('user', userParts(withNamePrefix(contentParts(message.content), message.name), messageIndex));
        break;
      case 'tool': {
        const name = names.get(message.tool_call_id);
        if (!name) {
          throw new AdapterRequestError(`tool message answers tool_call_id "${message.tool_call_id}", which no earlier assistant message called`, {
            param: `messages[${messageIndex}].tool_call_id`,
          });
        }
        const text = textParts(message.content).map((part) => part.text).join('');
        append('user', [{ functionResponse: { name, response: { name, content: text } } }]);
        break;
      }
      case 'assistant':
        append('model', assistantParts(message, messageIndex));
        break;
    }
  });
  const prompt: GeminiPrompt = { contents };
  if (systemParts.length > 0) prompt.systemInstruction = { parts: systemParts };
  return prompt;
}

function userParts(parts: ReadonlyArray<ContentPart>, messageIndex: number): GeminiPart[] {
  const result: GeminiPart[] = [];
  parts.forEach((part, partIndex) => {
    const param = `messages[${messageIndex}].content[${partIndex}]`;
    switch (part.type) {
      case 'text':
        if (part.text !== '') result.push({ text: part.text });
        break;
      case 'image_url':
        result.push(mediaPart(part.image_url.url, 'image/jpeg', `${param}.image_url.url`, 'invalid_image'));
        break;
      case 'file':
        if (!part.file.file_data) throw new AdapterRequestError('Gemini needs file_data (a data URL or an http(s) URL)', { param });
        result.push(mediaPart(part.file.file_data, 'application/pdf', `${param}.file.file_data`, 'invalid_request'));
        break;
      case 'input_audio':
        result.push({ inlineData: { mimeType: `audio/${part.input_audio.format}`, data: part.input_audio.data } });
        break;
    }
  });
  return result;
}

function mediaPart(url: string, fallbackMediaType: string, param: string, errorType: 'invalid_image' | 'invalid_request'): GeminiPart {
  const dataUrl = parseDataUrl(url);
  if (dataUrl) return { inlineData: { mimeType: dataUrl.mediaType, data: dataUrl.data } };
  if (isHttpUrl(url)) return { fileData: { mimeType: mediaTypeFromUrl(url, fallbackMediaType), fileUri: url } };
  throw new AdapterRequestError('media must be an http(s) URL or a base64 data URL', { errorType, param });
}

function assistantParts(message: Extract<Message, { role: 'assistant' }>, messageIndex: number): GeminiPart[] {
  const parts: GeminiPart[] = [];
  for (const part of withNamePrefix(textParts(message.content ?? null), message.name)) if (part.text !== '') parts.push({ text: part.text });
  const callParts = new Map<string, GeminiPart>();
  (message.tool_calls ?? []).forEach((call, callIndex) => {
    const part: GeminiPart = { functionCall: { name: call.function.name, args: toolArguments(call.function.arguments, `messages[${messageIndex}].tool_calls[${callIndex}].function.arguments`) } };
    callParts.set(call.id, part);
    parts.push(part);
  });
  for (const signature of thoughtSignatures(message.reasoning_details ?? [])) {
    const target =
      (signature.id ? callParts.get(signature.id) : undefined) ??
      parts.findLast((part) => 'text' in part && part.thoughtSignature === undefined) ??
      parts.find((part) => 'functionCall' in part && part.thoughtSignature === undefined);
    if (target) target.thoughtSignature = signature.data;
    else parts.push({ text: '', thoughtSignature: signature.data });
  }
  return parts;
}

function thoughtSignatures(details: ReadonlyArray<ReasoningDetail>): Array<{ id?: string; data: string }> {
  const signatures: Array<{ id?: string; data: string }> = [];
  for (const detail of details) {
    if (detail.format !== geminiReasoningFormat || detail.type !== 'reasoning.encrypted' || !detail.data) continue;
    signatures.push(detail.id ? { id: detail.id, data: detail.data } : { data: detail.data });
  }
  return signatures;
}

function toolArguments(argumentsText: string, param: string): unknown {
  if (argumentsText.trim() === '') return {};
  const args = tryParseClientJson(argumentsText);
  if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new AdapterRequestError('tool call arguments must be a JSON object', { param });
  return args;
}
