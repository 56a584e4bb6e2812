import { estimateTokens } from '@switchyard/llm-spec';
import { invalidBodyError } from '../shared/upstream-errors.js';
import type { EmbeddingEncoding, EmbeddingsResult, EmbeddingVector } from './embeddings-types.js';

/** OpenAI's `encoding_format: "base64"`: the values as little-endian float32 bytes, base64-encoded. */
export function encodeFloat32Base64(values: readonly number[]): string {
  const bytes = Buffer.allocUnsafe(values.length * 4);
  for (let index = 0; index < values.length; index++) bytes.writeFloatLE(values[index]!, index * 4);
  return bytes.toString('base64');
}

/** Whether the text is canonical base64 of a whole number of float32 values (checked without decoding). */
export function isFloat32Base64(text: string): boolean {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return false;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return ((text.length / 4) * 3 - padding) % 4 === 0;
}

/** The inverse of `encodeFloat32Base64`; undefined when the text is not base64 of whole float32 values. */
export function decodeFloat32Base64(text: string): number[] | undefined {
  if (!isFloat32Base64(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  const values: number[] = [];
  for (let offset = 0; offset < bytes.length; offset += 4) values.push(bytes.readFloatLE(offset));
  return values;
}

/**
 * One embedding as the upstream sent it (numbers or base64) → the encoding the caller asked for; undefined when it
 * is neither a list of finite numbers nor valid base64 float32.
 */
export function toEncoding(vector: unknown, encoding: EmbeddingEncoding): EmbeddingVector | undefined {
  if (typeof vector === 'string') {
    if (encoding === 'base64') return isFloat32Base64(vector) ? vector : undefined;
    return decodeFloat32Base64(vector);
  }
  if (!Array.isArray(vector) || !vector.every((value) => typeof value === 'number' && Number.isFinite(value))) return undefined;
  return encoding === 'base64' ? encodeFloat32Base64(vector as number[]) : (vector as number[]);
}

/**
 * Prompt tokens of embedding inputs when the provider reports none (Gemini's embedding API does not): about four
 * characters a token per string, one token per id of a token array. The simulator counts exactly this way.
 */
export function estimateEmbeddingTokens(input: readonly string[] | readonly (readonly number[])[]): number {
  let tokens = 0;
  for (const item of input) tokens += typeof item === 'string' ? estimateTokens(item) : item.length;
  return tokens;
}

/** Whether the inputs are token-id arrays (rather than text). */
export function isTokenInput(input: readonly string[] | readonly (readonly number[])[]): input is number[][] {
  return input.length > 0 && typeof input[0] !== 'string';
}

/** A 200 whose body is unusable: OpenRouter's 502, retryable on another provider. */
export function invalidEmbeddingsBody(reason: string, body: string): EmbeddingsResult {
  const part = invalidBodyError(reason, body);
  return { ok: false, error: (part as Extract<typeof part, { type: 'error' }>).error };
}
