import type { ContentPart, Message, TextPart } from '@switchyard/llm-spec';

export interface DataUrl {
  mediaType: string;
  /** Base64 payload. */
  data: string;
}

/** `data:image/png;base64,AAAA` → { mediaType, data }; undefined for anything else (http URLs, non-base64 data URLs). */
export function parseDataUrl(url: string): DataUrl | undefined {
  const match = /^data:([^;,]+)((?:;[^;,=]+=[^;,]*)*);base64,(.*)$/is.exec(url);
  if (!match) return undefined;
  return { mediaType: match[1].toLowerCase(), data: match[3] };
}

export function isHttpUrl(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

const extensionMediaTypes: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  heic: 'image/heic',
  heif: 'image/heif',
  pdf: 'application/pdf',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  mp4: 'video/mp4',
};

/** A media type guessed from a URL's extension, for providers that need one with a URL (Gemini's fileData). */
export function mediaTypeFromUrl(url: string, fallback: string): string {
  const path = url.split(/[?#]/)[0] ?? '';
  const extension = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  return (extension && extensionMediaTypes[extension]) || fallback;
}

/** Text parts of string-or-parts content, as parts (a plain string becomes one part). */
export function textParts(content: string | ReadonlyArray<TextPart> | null | undefined): TextPart[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return [...content];
}

/** Content as parts (a plain string becomes one text part). */
export function contentParts(content: string | ReadonlyArray<ContentPart> | null | undefined): ContentPart[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return [...content];
}

/**
 * OpenRouter's rule for `name` on providers without a name field: prepend "{name}: " to the message's first text.
 */
export function withNamePrefix<Part extends ContentPart>(parts: Part[], name: string | undefined): Part[] {
  if (!name) return parts;
  const index = parts.findIndex((part) => part.type === 'text');
  if (index === -1) return [{ type: 'text', text: `${name}: ` } as Part, ...parts];
  const copy = [...parts];
  const part = copy[index] as TextPart;
  copy[index] = { ...part, text: `${name}: ${part.text}` } as Part;
  return copy;
}

/** The id → function name of every tool call the assistant made earlier in the conversation. */
export function toolNamesById(messages: ReadonlyArray<Message>): Map<string, string> {
  const names = new Map<string, string>();
  for (const message of messages) {
    if (message.role !== 'assistant') continue;
    for (const call of message.tool_calls ?? []) names.set(call.id, call.function.name);
  }
  return names;
}
