import { cacheControlSchema, reasoningEffortSchema } from '@switchyard/llm-spec';
import { z } from 'zod';
import { openRouterExtrasShape } from '../shared/openrouter-extras.schema.js';

/**
 * `POST /api/v1/responses`: OpenAI's Responses API, stateless as OpenRouter serves it (reference §10.1): the whole
 * conversation comes as `input` items every time; `store: true`, `previous_response_id`, `conversation`,
 * `background` and `item_reference` (which need stored responses) are 400s. Strict on the shapes it maps, lenient
 * on fields it does not use (dropped).
 */

function unsupportedType(kind: string, known: string[], hint = '') {
  return (issue: { code: string; note?: string; input?: unknown }) =>
    issue.code === 'invalid_union' && issue.note === 'No matching discriminator'
      ? `unsupported ${kind} type ${JSON.stringify((issue.input as { type?: unknown } | undefined)?.type ?? null)}; expected one of ${known.join(', ')}${hint}`
      : undefined;
}

export const inputTextPartSchema = z.object({ type: z.literal('input_text'), text: z.string(), cache_control: cacheControlSchema.nullish() });
export const outputTextPartSchema = z.object({ type: z.literal('output_text'), text: z.string() });
export const refusalPartSchema = z.object({ type: z.literal('refusal'), refusal: z.string() });
export const inputImagePartSchema = z.object({
  type: z.literal('input_image'),
  image_url: z.string().min(1).nullish(),
  file_id: z.string().nullish(),
  detail: z.enum(['auto', 'low', 'high']).nullish(),
});
export const inputFilePartSchema = z.object({
  type: z.literal('input_file'),
  file_data: z.string().min(1).nullish(),
  file_url: z.string().min(1).nullish(),
  file_id: z.string().nullish(),
  filename: z.string().nullish(),
});

const messagePartTypes = ['input_text', 'output_text', 'refusal', 'input_image', 'input_file'];
export const messagePartSchema = z.discriminatedUnion('type', [inputTextPartSchema, outputTextPartSchema, refusalPartSchema, inputImagePartSchema, inputFilePartSchema], {
  error: unsupportedType('content part', messagePartTypes),
});
export type MessagePart = z.infer<typeof messagePartSchema>;

const outputPartTypes = ['input_text', 'input_image', 'input_file'];
const functionOutputPartSchema = z.discriminatedUnion('type', [inputTextPartSchema, inputImagePartSchema, inputFilePartSchema], {
  error: unsupportedType('function_call_output part', outputPartTypes),
});

export const messageItemSchema = z.object({
  type: z.literal('message'),
  role: z.enum(['user', 'system', 'developer', 'assistant']),
  content: z.union([z.string(), z.array(messagePartSchema)]),
  id: z.string().nullish(),
  status: z.string().nullish(),
});

export const functionCallItemSchema = z.object({
  type: z.literal('function_call'),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
  id: z.string().nullish(),
  status: z.string().nullish(),
});

export const functionCallOutputItemSchema = z.object({
  type: z.literal('function_call_output'),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(functionOutputPartSchema)]),
  id: z.string().nullish(),
  status: z.string().nullish(),
});

export const reasoningItemSchema = z.object({
  type: z.literal('reasoning'),
  id: z.string().nullish(),
  summary: z.array(z.object({ type: z.literal('summary_text'), text: z.string() })).default([]),
  content: z.array(z.object({ type: z.literal('reasoning_text'), text: z.string() })).nullish(),
  encrypted_content: z.string().nullish(),
});

const itemTypes = ['message', 'function_call', 'function_call_output', 'reasoning'];
export const inputItemSchema = z.preprocess(
  // An "easy" input message has a role and no type.
  (value) => (typeof value === 'object' && value !== null && !Array.isArray(value) && !('type' in value) && 'role' in value ? { ...value, type: 'message' } : value),
  z.discriminatedUnion('type', [messageItemSchema, functionCallItemSchema, functionCallOutputItemSchema, reasoningItemSchema], {
    error: unsupportedType('input item', itemTypes, ' (this API is stateless: item_reference and stored items are not available; send the items themselves)'),
  }),
);
export type InputItem = z.infer<typeof inputItemSchema>;

export const functionToolSchema = z.object({
  type: z.literal('function'),
  name: z.string().regex(/^[a-zA-Z0-9_.-]{1,128}$/, 'tool names may use letters, digits, _ . - (at most 128)'),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

const toolSchema = z.discriminatedUnion('type', [functionToolSchema], { error: unsupportedType('tool', ['function'], ' (built-in and server tools are not supported)') });

export const responsesToolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.discriminatedUnion('type', [z.object({ type: z.literal('function'), name: z.string().min(1) })], { error: unsupportedType('tool_choice', ['function']) }),
]);

export const textFormatSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('text') }),
    z.object({ type: z.literal('json_object') }),
    z.object({
      type: z.literal('json_schema'),
      name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'name may use letters, digits, _ and - (at most 64)'),
      schema: z.record(z.string(), z.unknown()),
      description: z.string().nullish(),
      strict: z.boolean().nullish(),
    }),
  ],
  { error: unsupportedType('text.format', ['text', 'json_object', 'json_schema']) },
);

function mustBeAbsent(message: string) {
  return z.unknown().refine((value) => value === undefined || value === null || value === false, message).optional();
}

export const responsesRequestSchema = z
  .object({
    model: z.string({ error: (issue) => (issue.input === undefined ? 'Field required' : undefined) }).min(1).max(256),
    input: z.union([z.string(), z.array(inputItemSchema).min(1, 'input must contain at least one item')]),
    instructions: z.string().nullish(),
    max_output_tokens: z.number().int().positive().nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().gt(0).max(1).nullish(),
    top_k: z.number().int().nonnegative().nullish(),
    tools: z.array(toolSchema).nullish(),
    tool_choice: responsesToolChoiceSchema.nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    text: z.object({ format: textFormatSchema.nullish(), verbosity: z.enum(['low', 'medium', 'high']).nullish() }).nullish(),
    reasoning: z
      .object({
        effort: reasoningEffortSchema.nullish(),
        summary: z.enum(['auto', 'concise', 'detailed']).nullish(),
        max_tokens: z.number().int().positive().nullish(),
        enabled: z.boolean().nullish(),
        exclude: z.boolean().nullish(),
      })
      .nullish(),
    stream: z.boolean().nullish(),
    store: z.boolean().nullish().refine((value) => value !== true, 'store must be false: this Responses API is stateless (send the whole conversation as input)'),
    previous_response_id: mustBeAbsent('previous_response_id is not supported: this Responses API is stateless (send the whole conversation as input)'),
    conversation: mustBeAbsent('conversation is not supported: this Responses API is stateless (send the whole conversation as input)'),
    background: mustBeAbsent('background responses are not supported'),
    prompt: mustBeAbsent('stored prompts (prompt.id) are not supported; send instructions and input'),
    metadata: z.record(z.string().max(64), z.string().max(512)).nullish(),
    user: z.string().max(512).nullish(),
    safety_identifier: z.string().max(512).nullish(),
    service_tier: z.enum(['auto', 'default', 'flex', 'priority', 'scale']).nullish(),
    ...openRouterExtrasShape,
  })
  .superRefine((request, context) => {
    if (request.reasoning?.effort && request.reasoning.max_tokens) {
      context.addIssue({ code: 'custom', path: ['reasoning'], message: 'use reasoning.effort or reasoning.max_tokens, not both' });
    }
  });
export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;
