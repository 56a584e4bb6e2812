import { z } from 'zod';
import { inputTokens } from '../../tokens.js';
import { RequestError } from './errors.js';
import { parseRequest } from './request-parsing.js';

const tokenArray = z.array(z.number().int().min(0));
const promptSchema = z.union([z.string(), z.array(z.string()), tokenArray, z.array(tokenArray)]);

export const openAiCompletionsRequestSchema = z.looseObject({
  model: z.string().min(1),
  prompt: promptSchema,
  max_tokens: z.number().int().min(0).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
});

export interface CompletionsInput {
  model: string;
  stream: boolean;
  includeUsage: boolean;
  maxTokens: number | undefined;
  /** One entry per prompt: its text (the seed of its answer) and its tokens. */
  prompts: Array<{ text: string; tokens: number }>;
}

/** The prompts of a legacy Completions request: a string, strings, token ids, or lists of token ids. */
function promptList(prompt: z.infer<typeof promptSchema>): Array<string | number[]> {
  if (typeof prompt === 'string') return [prompt];
  if (prompt.length === 0) return [''];
  if (typeof prompt[0] === 'number') return [prompt as number[]];
  return prompt as Array<string | number[]>;
}

export function openAiCompletionsInput(body: unknown): CompletionsInput {
  const request = parseRequest(openAiCompletionsRequestSchema, body);
  const prompts = promptList(request.prompt).map((prompt) => ({ text: typeof prompt === 'string' ? prompt : prompt.join(','), tokens: inputTokens([prompt]) }));
  if (prompts.length > 128) throw new RequestError(400, "Invalid value for 'prompt': at most 128 prompts per request.", 'prompt');
  return {
    model: request.model,
    stream: request.stream === true,
    includeUsage: request.stream_options?.include_usage === true,
    maxTokens: request.max_tokens ?? undefined,
    prompts,
  };
}

export const openAiEmbeddingsRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: promptSchema,
  dimensions: z.number().int().min(1).max(65_536).nullish(),
  encoding_format: z.enum(['float', 'base64']).nullish(),
});

export interface EmbeddingsInput {
  model: string;
  inputs: string[];
  dimensions: number | undefined;
  base64: boolean;
  promptTokens: number;
}

export function openAiEmbeddingsInput(body: unknown, modelOverride?: string): EmbeddingsInput {
  const candidate = modelOverride !== undefined && body !== null && typeof body === 'object' && !Array.isArray(body) ? { ...(body as object), model: modelOverride } : body;
  const request = parseRequest(openAiEmbeddingsRequestSchema, candidate);
  const list = promptList(request.input);
  if (list.length > 2048) throw new RequestError(400, "Invalid value for 'input': at most 2048 inputs per request.", 'input');
  if (list.some((input) => input.length === 0)) throw new RequestError(400, "Invalid value for 'input': an input must not be empty.", 'input');
  return {
    model: request.model,
    inputs: list.map((input) => (typeof input === 'string' ? input : input.join(','))),
    dimensions: request.dimensions ?? undefined,
    base64: request.encoding_format === 'base64',
    promptTokens: inputTokens(list),
  };
}
