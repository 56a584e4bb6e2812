import { cacheControlSchema } from '@switchyard/llm-spec';
import { z } from 'zod';
import { openRouterExtrasShape } from '../shared/openrouter-extras.schema.js';

/**
 * `POST /api/v1/messages`: Anthropic's Messages API (reference §10.2) plus OpenRouter's routing fields. Strict on
 * the types and shapes of what it maps (an unknown content block type is a 400 naming it), lenient on fields it
 * does not use (dropped). Anthropic's own limits are enforced where Anthropic rejects (max_tokens required,
 * temperature 0..1).
 */

function unsupportedType(kind: string, known: string[]) {
  return (issue: { code: string; note?: string; input?: unknown }) =>
    issue.code === 'invalid_union' && issue.note === 'No matching discriminator'
      ? `unsupported ${kind} type ${JSON.stringify((issue.input as { type?: unknown } | undefined)?.type ?? null)}; expected one of ${known.join(', ')}`
      : undefined;
}

function requiredField(issue: { input?: unknown }): string | undefined {
  return issue.input === undefined ? 'Field required' : undefined;
}

const imageMediaTypeSchema = z.enum(['image/jpeg', 'image/png', 'image/gif', 'image/webp'], {
  error: 'media_type must be one of image/jpeg, image/png, image/gif, image/webp',
});

export const anthropicTextBlockSchema = z.object({
  type: z.literal('text'),
  text: z.string(),
  cache_control: cacheControlSchema.nullish(),
});

export const anthropicImageBlockSchema = z.object({
  type: z.literal('image'),
  source: z.discriminatedUnion(
    'type',
    [
      z.object({ type: z.literal('base64'), media_type: imageMediaTypeSchema, data: z.string().min(1) }),
      z.object({ type: z.literal('url'), url: z.string().min(1) }),
    ],
    { error: unsupportedType('image source', ['base64', 'url']) },
  ),
  cache_control: cacheControlSchema.nullish(),
});

export const anthropicDocumentBlockSchema = z.object({
  type: z.literal('document'),
  source: z.discriminatedUnion(
    'type',
    [
      z.object({ type: z.literal('base64'), media_type: z.literal('application/pdf', { error: 'a base64 document must be application/pdf' }), data: z.string().min(1) }),
      z.object({ type: z.literal('text'), media_type: z.literal('text/plain').optional(), data: z.string() }),
      z.object({ type: z.literal('url'), url: z.string().min(1) }),
    ],
    { error: unsupportedType('document source', ['base64', 'text', 'url']) },
  ),
  title: z.string().nullish(),
  context: z.string().nullish(),
  cache_control: cacheControlSchema.nullish(),
});

export const anthropicToolUseBlockSchema = z.object({
  type: z.literal('tool_use'),
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.record(z.string(), z.unknown()),
  cache_control: cacheControlSchema.nullish(),
});

const toolResultContentBlockSchema = z.discriminatedUnion('type', [anthropicTextBlockSchema, anthropicImageBlockSchema], {
  error: unsupportedType('tool_result content block', ['text', 'image']),
});

export const anthropicToolResultBlockSchema = z.object({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(toolResultContentBlockSchema)]).optional(),
  is_error: z.boolean().nullish(),
  cache_control: cacheControlSchema.nullish(),
});

export const anthropicThinkingBlockSchema = z.object({
  type: z.literal('thinking'),
  thinking: z.string(),
  signature: z.string().nullish(),
});

export const anthropicRedactedThinkingBlockSchema = z.object({
  type: z.literal('redacted_thinking'),
  data: z.string(),
});

const contentBlockTypes = ['text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking'];

export const anthropicContentBlockSchema = z.discriminatedUnion(
  'type',
  [
    anthropicTextBlockSchema,
    anthropicImageBlockSchema,
    anthropicDocumentBlockSchema,
    anthropicToolUseBlockSchema,
    anthropicToolResultBlockSchema,
    anthropicThinkingBlockSchema,
    anthropicRedactedThinkingBlockSchema,
  ],
  { error: unsupportedType('content block', contentBlockTypes) },
);
export type AnthropicContentBlock = z.infer<typeof anthropicContentBlockSchema>;

export const anthropicMessageSchema = z.object({
  role: z.enum(['user', 'assistant'], { error: 'role must be "user" or "assistant" (put system prompts in the top-level system field)' }),
  content: z.union([z.string(), z.array(anthropicContentBlockSchema)]),
});
export type AnthropicMessage = z.infer<typeof anthropicMessageSchema>;

export const anthropicToolSchema = z.object({
  type: z.literal('custom', { error: 'only custom tools (name, description, input_schema) are supported; Anthropic server tools are not' }).nullish(),
  name: z.string().regex(/^[a-zA-Z0-9_.-]{1,128}$/, 'tool names may use letters, digits, _ . - (at most 128)'),
  description: z.string().nullish(),
  input_schema: z.record(z.string(), z.unknown()),
  cache_control: cacheControlSchema.nullish(),
});

export const anthropicToolChoiceSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().nullish() }),
    z.object({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().nullish() }),
    z.object({ type: z.literal('none') }),
    z.object({ type: z.literal('tool'), name: z.string().min(1), disable_parallel_tool_use: z.boolean().nullish() }),
  ],
  { error: unsupportedType('tool_choice', ['auto', 'any', 'tool', 'none']) },
);

export const anthropicThinkingSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('enabled'), budget_tokens: z.number().int().positive() }),
    z.object({ type: z.literal('disabled') }),
    z.object({ type: z.literal('adaptive') }),
  ],
  { error: unsupportedType('thinking', ['enabled', 'disabled', 'adaptive']) },
);

const messagesRequestShape = {
  model: z.string({ error: requiredField }).min(1).max(256),
  messages: z.array(anthropicMessageSchema).min(1, 'messages must contain at least one message'),
  max_tokens: z.number({ error: requiredField }).int().positive(),
  system: z.union([z.string(), z.array(anthropicTextBlockSchema)]).nullish(),
  stop_sequences: z.array(z.string()).nullish(),
  temperature: z.number().min(0).max(1).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.number().int().nonnegative().nullish(),
  tools: z.array(anthropicToolSchema).nullish(),
  tool_choice: anthropicToolChoiceSchema.nullish(),
  thinking: anthropicThinkingSchema.nullish(),
  output_config: z
    .object({
      effort: z.enum(['low', 'medium', 'high', 'max']).nullish(),
      format: z.object({ type: z.literal('json_schema'), schema: z.record(z.string(), z.unknown()) }).nullish(),
    })
    .nullish(),
  metadata: z.object({ user_id: z.string().max(512).nullish() }).nullish(),
  stream: z.boolean().nullish(),
  user: z.string().max(512).nullish(),
  fallbacks: z
    .array(z.strictObject({ model: z.string().min(1).max(256) }, { error: 'each fallbacks entry takes only a model: {"model": "<id>"}' }))
    .max(3, 'fallbacks takes at most 3 entries')
    .nullish(),
  ...openRouterExtrasShape,
};

function checkFallbacks(request: { fallbacks?: unknown[] | null; models?: unknown[] | null }, context: z.RefinementCtx): void {
  if (request.fallbacks && request.fallbacks.length > 0 && request.models && request.models.length > 0) {
    context.addIssue({ code: 'custom', path: ['fallbacks'], message: 'fallbacks cannot be combined with models; use one of them' });
  }
}

export const messagesRequestSchema = z.object(messagesRequestShape).superRefine(checkFallbacks);
export type MessagesRequest = z.infer<typeof messagesRequestSchema>;

/** `POST /api/v1/messages/count_tokens`: the same body without max_tokens (Anthropic's count_tokens takes none). */
export const countTokensRequestSchema = z.object({ ...messagesRequestShape, max_tokens: z.number().int().positive().nullish() }).superRefine(checkFallbacks);
export type CountTokensRequest = z.infer<typeof countTokensRequestSchema>;
