import { z } from 'zod';
import { cacheControlSchema, messageSchema } from './messages.js';

const numberOrString = z.union([z.number(), z.string().regex(/^\d+(\.\d+)?$/)]);

export const functionToolSchema = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string().regex(/^[a-zA-Z0-9_.-]{1,128}$/, 'tool names may use letters, digits, _ . - (at most 128)'),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
  cache_control: cacheControlSchema.optional(),
});
export type FunctionTool = z.infer<typeof functionToolSchema>;

export const toolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) }),
]);
export type ToolChoice = z.infer<typeof toolChoiceSchema>;

export const responseFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'json_schema.name may use letters, digits, _ and - (at most 64)'),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);
export type ResponseFormat = z.infer<typeof responseFormatSchema>;

export const reasoningEffortSchema = z.enum(['max', 'xhigh', 'high', 'medium', 'low', 'minimal', 'none']);
export type ReasoningEffort = z.infer<typeof reasoningEffortSchema>;

export const reasoningConfigSchema = z.object({
  effort: reasoningEffortSchema.optional(),
  max_tokens: z.number().int().positive().optional(),
  exclude: z.boolean().optional(),
  enabled: z.boolean().optional(),
  summary: z.enum(['auto', 'concise', 'detailed']).optional(),
});
export type ReasoningConfig = z.infer<typeof reasoningConfigSchema>;

export const quantizationSchema = z.enum(['int4', 'int8', 'fp4', 'mxfp4', 'nvfp4', 'fp6', 'fp8', 'mxfp8', 'fp16', 'bf16', 'fp32', 'unknown']);
export type Quantization = z.infer<typeof quantizationSchema>;

export const providerSortSchema = z.enum(['price', 'throughput', 'latency', 'exacto']);
export type ProviderSort = z.infer<typeof providerSortSchema>;

const percentileSchema = z.union([
  z.number().nonnegative(),
  z.object({ p50: z.number().optional(), p75: z.number().optional(), p90: z.number().optional(), p99: z.number().optional() }),
]);

/** The `provider` routing preferences (reference §3.4). */
export const providerPreferencesSchema = z.object({
  order: z.array(z.string()).optional(),
  allow_fallbacks: z.boolean().optional(),
  require_parameters: z.boolean().optional(),
  data_collection: z.enum(['allow', 'deny']).optional(),
  zdr: z.boolean().optional(),
  enforce_distillable_text: z.boolean().optional(),
  only: z.array(z.string()).optional(),
  ignore: z.array(z.string()).optional(),
  quantizations: z.array(quantizationSchema).optional(),
  sort: z
    .union([providerSortSchema, z.object({ by: providerSortSchema, partition: z.enum(['model', 'none']).optional() })])
    .optional(),
  preferred_min_throughput: percentileSchema.optional(),
  preferred_max_latency: percentileSchema.optional(),
  max_price: z
    .object({
      prompt: numberOrString.optional(),
      completion: numberOrString.optional(),
      request: numberOrString.optional(),
      image: numberOrString.optional(),
      audio: numberOrString.optional(),
    })
    .optional(),
});
export type ProviderPreferences = z.infer<typeof providerPreferencesSchema>;

const pluginSchema = z.looseObject({ id: z.string(), enabled: z.boolean().optional() });

/**
 * `POST /api/v1/chat/completions`, OpenAI's Chat Completions plus OpenRouter's fields. Strict where OpenRouter
 * rejects (types and ranges of known fields), lenient where it ignores: unknown fields are dropped.
 */
export const chatRequestSchema = z
  .object({
    model: z.string().min(1).max(256).optional(),
    messages: z.array(messageSchema).min(1, 'messages must contain at least one message'),
    stream: z.boolean().nullish(),
    stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
    max_tokens: z.number().int().positive().nullish(),
    max_completion_tokens: z.number().int().positive().nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().gt(0).max(1).nullish(),
    top_k: z.number().int().nonnegative().nullish(),
    frequency_penalty: z.number().min(-2).max(2).nullish(),
    presence_penalty: z.number().min(-2).max(2).nullish(),
    repetition_penalty: z.number().gt(0).max(2).nullish(),
    min_p: z.number().min(0).max(1).nullish(),
    top_a: z.number().min(0).max(1).nullish(),
    seed: z.number().int().nullish(),
    logit_bias: z.record(z.string(), z.number().min(-100).max(100)).nullish(),
    logprobs: z.boolean().nullish(),
    top_logprobs: z.number().int().min(0).max(20).nullish(),
    stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
    response_format: responseFormatSchema.nullish(),
    structured_outputs: z.boolean().nullish(),
    tools: z.array(functionToolSchema).nullish(),
    tool_choice: toolChoiceSchema.nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    user: z.string().max(512).nullish(),
    reasoning: reasoningConfigSchema.nullish(),
    reasoning_effort: reasoningEffortSchema.nullish(),
    include_reasoning: z.boolean().nullish(),
    verbosity: z.enum(['low', 'medium', 'high', 'xhigh', 'max']).nullish(),
    service_tier: z.enum(['auto', 'default', 'flex', 'priority', 'scale', 'fast']).nullish(),
    metadata: z.record(z.string().max(64), z.string().max(512)).nullish(),
    prediction: z.object({ type: z.literal('content'), content: z.unknown() }).nullish(),
    // OpenRouter's routing fields
    models: z.array(z.string().min(1)).max(16).nullish(),
    route: z.enum(['fallback', 'sort']).nullish(),
    provider: providerPreferencesSchema.nullish(),
    preset: z.string().nullish(),
    plugins: z.array(pluginSchema).nullish(),
    transforms: z.array(z.string()).nullish(),
    usage: z.looseObject({ include: z.boolean().optional() }).nullish(),
    session_id: z.string().max(256).nullish(),
    prompt_cache_key: z.string().max(1024).nullish(),
    cache_control: cacheControlSchema.nullish(),
    debug: z.looseObject({ echo_upstream_body: z.boolean().optional() }).nullish(),
  })
  .superRefine((request, context) => {
    if (request.reasoning_effort && request.reasoning?.effort) {
      context.addIssue({ code: 'custom', path: ['reasoning_effort'], message: 'reasoning_effort cannot be combined with reasoning.effort' });
    }
    if (request.reasoning?.effort && request.reasoning.max_tokens) {
      context.addIssue({ code: 'custom', path: ['reasoning'], message: 'use reasoning.effort or reasoning.max_tokens, not both' });
    }
  });
export type ChatRequest = z.infer<typeof chatRequestSchema>;

/**
 * The canonical request every skin maps to and every adapter reads: the validated chat request with its aliases
 * folded (max_completion_tokens → max_tokens, reasoning_effort / include_reasoning → reasoning, route → sort
 * partition) and the model required.
 */
export type CanonicalChatRequest = Omit<ChatRequest, 'max_completion_tokens' | 'reasoning_effort' | 'include_reasoning' | 'route' | 'stream_options' | 'usage'> & {
  model: string;
  stream: boolean;
};

export function toCanonicalChatRequest(request: ChatRequest, defaultModel?: string): CanonicalChatRequest {
  const {
    max_completion_tokens: maxCompletionTokens,
    reasoning_effort: reasoningEffort,
    include_reasoning: includeReasoning,
    route,
    stream_options: _streamOptions,
    usage: _usage,
    ...rest
  } = request;
  const model = request.model ?? defaultModel;
  if (!model) throw new TypeError('model is required');
  const canonical: CanonicalChatRequest = { ...rest, model, stream: request.stream === true };
  const maxTokens = maxCompletionTokens ?? request.max_tokens;
  if (maxTokens !== undefined && maxTokens !== null) canonical.max_tokens = maxTokens;
  let reasoning = request.reasoning ?? undefined;
  if (reasoningEffort) reasoning = { ...reasoning, effort: reasoningEffort };
  if (includeReasoning !== undefined && includeReasoning !== null && !reasoning) {
    reasoning = includeReasoning ? { enabled: true } : { exclude: true };
  }
  if (reasoning) canonical.reasoning = reasoning;
  if (route === 'fallback' || route === 'sort') {
    const partition = route === 'fallback' ? 'model' : 'none';
    const sort = canonical.provider?.sort;
    if (sort !== undefined) {
      canonical.provider = { ...canonical.provider, sort: typeof sort === 'string' ? { by: sort, partition } : { ...sort, partition: sort.partition ?? partition } };
    }
  }
  return canonical;
}

/** Parameter names present in a request, in the vocabulary of `supported_parameters` (for require_parameters). */
export function requestedParameters(request: CanonicalChatRequest): string[] {
  const names: string[] = [];
  const simple = [
    'temperature', 'top_p', 'top_k', 'min_p', 'top_a', 'frequency_penalty', 'presence_penalty', 'repetition_penalty',
    'max_tokens', 'logit_bias', 'logprobs', 'top_logprobs', 'seed', 'response_format', 'stop', 'tools', 'tool_choice',
    'parallel_tool_calls', 'reasoning', 'verbosity', 'prediction', 'structured_outputs',
  ] as const;
  for (const name of simple) {
    const value = (request as Record<string, unknown>)[name];
    if (value !== undefined && value !== null) names.push(name);
  }
  if (request.response_format?.type === 'json_schema' && !names.includes('structured_outputs')) names.push('structured_outputs');
  return names;
}
