import { BadRequestError } from '@switchyard/contracts';
import { providerPreferencesSchema, type ProviderPreferences } from '@switchyard/llm-spec';
import { z } from 'zod';
import { invalidSkinRequest } from '../shared/invalid-request.js';

/** OpenAI's limit on inputs per embeddings request. */
export const MAX_EMBEDDING_INPUTS = 2048;
/** The largest output size any embedding model offers (and the simulator accepts). */
export const MAX_EMBEDDING_DIMENSIONS = 65_536;

const text = z.string().min(1, 'inputs must not be empty strings');
const tokenArray = z.array(z.number().int('token ids are integers').nonnegative('token ids are non-negative')).min(1, 'token arrays must not be empty');

/**
 * `POST /api/v1/embeddings` (reference §10.3): OpenAI's body plus OpenRouter's `provider`, `models` and
 * `input_type`. `input` is a string, an array of strings, one token array or an array of token arrays (at most
 * 2048 inputs). Unknown fields are ignored, as OpenRouter does.
 */
export const embeddingsRequestSchema = z.object({
  model: z.string().min(1).max(256),
  input: z.union([text, z.array(text).min(1).max(MAX_EMBEDDING_INPUTS), tokenArray, z.array(tokenArray).min(1).max(MAX_EMBEDDING_INPUTS)], {
    error: `input must be a non-empty string, an array of 1 to ${MAX_EMBEDDING_INPUTS} non-empty strings, an array of token ids, or an array of 1 to ${MAX_EMBEDDING_INPUTS} token-id arrays`,
  }),
  dimensions: z.number().int().positive().max(MAX_EMBEDDING_DIMENSIONS).nullish(),
  encoding_format: z.enum(['float', 'base64']).nullish(),
  input_type: z.string().min(1).max(64).nullish(),
  user: z.string().max(512).nullish(),
  provider: providerPreferencesSchema.nullish(),
  models: z.array(z.string().min(1).max(256)).max(16).nullish(),
});

/** A validated embeddings request, its input normalised to a list. */
export interface EmbeddingsRequest {
  model: string;
  models?: string[];
  provider?: ProviderPreferences;
  user?: string;
  input: string[] | number[][];
  dimensions?: number;
  encodingFormat: 'float' | 'base64';
  inputType?: string;
}

const MULTIMODAL_MESSAGE =
  'multimodal inputs (objects such as {"type":"image_url"} or {"content":[...]}) are not supported by the embedding models of this gateway: send a string, an array of strings, or token arrays';

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when the input carries objects (OpenRouter's multimodal embedding inputs). */
function isMultimodal(input: unknown): boolean {
  return isObject(input) || (Array.isArray(input) && input.some(isObject));
}

/** Validates and normalises a body; every problem is a 400 naming the field, never a 500. */
export function parseEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && isMultimodal((body as { input?: unknown }).input)) {
    throw new BadRequestError(`Invalid request: input: ${MULTIMODAL_MESSAGE}`, { issues: [{ path: 'input', message: MULTIMODAL_MESSAGE }] });
  }
  const parsed = embeddingsRequestSchema.safeParse(body);
  if (!parsed.success) throw invalidSkinRequest(parsed.error);
  const request = parsed.data;
  const input = request.input;
  const normalised: string[] | number[][] = typeof input === 'string' ? [input] : isTokenArray(input) ? [input] : (input as string[] | number[][]);
  const result: EmbeddingsRequest = { model: request.model, input: normalised, encodingFormat: request.encoding_format ?? 'float' };
  if (request.models && request.models.length > 0) result.models = request.models;
  if (request.provider) result.provider = request.provider;
  if (request.user) result.user = request.user;
  if (request.dimensions !== undefined && request.dimensions !== null) result.dimensions = request.dimensions;
  if (request.input_type) result.inputType = request.input_type;
  return result;
}

function isTokenArray(input: unknown[]): input is number[] {
  return input.length > 0 && typeof input[0] === 'number';
}
