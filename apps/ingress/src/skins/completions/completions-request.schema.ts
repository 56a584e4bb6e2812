import { BadRequestError } from '@switchyard/contracts';
import { chatRequestSchema, toCanonicalChatRequest, type CanonicalChatRequest } from '@switchyard/llm-spec';
import { z } from 'zod';
import { invalidSkinRequest } from '../shared/invalid-request.js';

/**
 * `POST /api/v1/completions`: OpenAI's legacy text completions. Switchyard serves them through the chat
 * pipeline: the prompt becomes one user message, and the answer's text comes back as `choices[].text`. Only what
 * that cannot honour is refused: several prompts in one request (batching), token-id prompts, `echo`, `n` and
 * `best_of` above 1. `suffix` and `logprobs` are accepted and ignored (`logprobs` comes back null).
 */
export const completionsPromptSchema = z.object({
  model: z.string({ error: (issue) => (issue.input === undefined ? 'Field required' : undefined) }).min(1).max(256),
  prompt: z
    .union([z.string(), z.array(z.string({ error: 'token-id prompts are not supported; send the prompt as text' })).min(1, 'prompt must not be empty')], {
      error: 'prompt must be a string (or an array holding one string)',
    })
    .refine((prompt) => typeof prompt === 'string' || prompt.length === 1, 'only one prompt per request is supported (no batching); send each prompt as its own request'),
  echo: z.boolean().nullish().refine((value) => value !== true, 'echo is not supported'),
  n: z.number().int().positive().nullish().refine((value) => value === undefined || value === null || value === 1, 'only n = 1 is supported'),
  best_of: z.number().int().positive().nullish().refine((value) => value === undefined || value === null || value === 1, 'only best_of = 1 is supported'),
  suffix: z.string().nullish(),
  logprobs: z.union([z.number().int().min(0).max(5), z.boolean()]).nullish(),
});

/** The chat fields a legacy completion may carry (sampling, format, reasoning, routing); tools have no place here. */
const passedFields = [
  'model', 'stream', 'max_tokens', 'temperature', 'top_p', 'top_k', 'frequency_penalty', 'presence_penalty', 'repetition_penalty', 'min_p', 'top_a',
  'seed', 'logit_bias', 'stop', 'response_format', 'structured_outputs', 'user', 'reasoning', 'reasoning_effort', 'include_reasoning', 'verbosity',
  'service_tier', 'metadata', 'models', 'route', 'provider', 'preset', 'plugins', 'transforms', 'usage', 'session_id', 'prompt_cache_key', 'cache_control',
] as const;

/** Validates a legacy completions body and maps it to the canonical request (the prompt as one user message). */
export function completionsToCanonical(body: unknown): CanonicalChatRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequestError('Invalid request: (body): expected a JSON object');
  const prompt = completionsPromptSchema.safeParse(body);
  if (!prompt.success) throw invalidSkinRequest(prompt.error);
  const source = body as Record<string, unknown>;
  const chat: Record<string, unknown> = {};
  for (const field of passedFields) if (source[field] !== undefined) chat[field] = source[field];
  const text = typeof prompt.data.prompt === 'string' ? prompt.data.prompt : prompt.data.prompt[0]!;
  chat.messages = [{ role: 'user', content: text }];
  const parsed = chatRequestSchema.safeParse(chat);
  if (!parsed.success) throw invalidSkinRequest(parsed.error);
  return toCanonicalChatRequest(parsed.data);
}
