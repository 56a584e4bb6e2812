import type { z } from 'zod';
import { RequestError } from './errors.js';

/** Validates a request body against a wire schema; the first issue becomes a 400 naming the field. */
export function parseRequest<Schema extends z.ZodType>(schema: Schema, body: unknown, style: 'brackets' | 'dots' = 'brackets'): z.infer<Schema> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = style === 'dots' ? issue.path.map(String).join('.') : issue.path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)), '');
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    throw new RequestError(400, style === 'dots' ? `${path}: Field required` : `Missing required parameter: '${path}'.`, path || undefined);
  }
  throw new RequestError(400, style === 'dots' ? `${path || 'body'}: ${issue.message}` : `Invalid value for '${path || 'body'}': ${issue.message}`, path || undefined);
}

/** Sum of the lengths of text found in a list of content parts with a `text` field. */
export function textLength(parts: ReadonlyArray<{ text?: unknown }>): number {
  let length = 0;
  for (const part of parts) if (typeof part.text === 'string') length += part.text.length;
  return length;
}
