import { z } from 'zod';

export const cacheControlSchema = z.object({
  type: z.literal('ephemeral'),
  ttl: z.enum(['5m', '1h']).optional(),
});
export type CacheControl = z.infer<typeof cacheControlSchema>;

export const textPartSchema = z.object({
  type: z.literal('text'),
  text: z.string(),
  cache_control: cacheControlSchema.optional(),
});

export const imagePartSchema = z.object({
  type: z.literal('image_url'),
  image_url: z.object({
    url: z.string().min(1),
    detail: z.enum(['auto', 'low', 'high']).optional(),
  }),
  cache_control: cacheControlSchema.optional(),
});

export const filePartSchema = z.object({
  type: z.literal('file'),
  file: z.object({
    filename: z.string().optional(),
    file_data: z.string().optional(),
    file_id: z.string().optional(),
  }),
  cache_control: cacheControlSchema.optional(),
});

export const inputAudioPartSchema = z.object({
  type: z.literal('input_audio'),
  input_audio: z.object({ data: z.string(), format: z.string() }),
});

export const contentPartSchema = z.discriminatedUnion('type', [textPartSchema, imagePartSchema, filePartSchema, inputAudioPartSchema]);
export type ContentPart = z.infer<typeof contentPartSchema>;
export type TextPart = z.infer<typeof textPartSchema>;
export type ImagePart = z.infer<typeof imagePartSchema>;

const textOnlyContent = z.union([z.string(), z.array(textPartSchema)]);
const richContent = z.union([z.string(), z.array(contentPartSchema)]);

/** One `reasoning_details` item (reference §3.5); replayed to the provider unmodified on later turns. */
export const reasoningDetailSchema = z.looseObject({
  type: z.enum(['reasoning.text', 'reasoning.summary', 'reasoning.encrypted']),
  id: z.string().nullish(),
  format: z.string().nullish(),
  index: z.number().int().nullish(),
  text: z.string().nullish(),
  summary: z.string().nullish(),
  signature: z.string().nullish(),
  data: z.string().nullish(),
});
export type ReasoningDetail = z.infer<typeof reasoningDetailSchema>;

export const toolCallSchema = z.object({
  id: z.string(),
  type: z.literal('function').default('function'),
  function: z.object({ name: z.string(), arguments: z.string() }),
});
export type ToolCall = z.infer<typeof toolCallSchema>;

export const systemMessageSchema = z.object({
  role: z.enum(['system', 'developer']),
  content: textOnlyContent,
  name: z.string().optional(),
});

export const userMessageSchema = z.object({
  role: z.literal('user'),
  content: richContent,
  name: z.string().optional(),
});

export const assistantMessageSchema = z.object({
  role: z.literal('assistant'),
  content: z.union([textOnlyContent, z.null()]).optional(),
  name: z.string().optional(),
  tool_calls: z.array(toolCallSchema).optional(),
  refusal: z.string().nullish(),
  reasoning: z.string().nullish(),
  /** Accepted alias of `reasoning`. */
  reasoning_content: z.string().nullish(),
  reasoning_details: z.array(reasoningDetailSchema).optional(),
});

export const toolMessageSchema = z.object({
  role: z.literal('tool'),
  tool_call_id: z.string().min(1),
  content: textOnlyContent,
  name: z.string().optional(),
});

export const messageSchema = z.discriminatedUnion('role', [systemMessageSchema, userMessageSchema, assistantMessageSchema, toolMessageSchema]);
export type Message = z.infer<typeof messageSchema>;
export type SystemMessage = z.infer<typeof systemMessageSchema>;
export type UserMessage = z.infer<typeof userMessageSchema>;
export type AssistantMessage = z.infer<typeof assistantMessageSchema>;
export type ToolMessage = z.infer<typeof toolMessageSchema>;

/** The plain text of a message's content (text parts joined), for token estimates and providers without parts. */
export function contentText(content: string | ReadonlyArray<ContentPart> | null | undefined): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  let text = '';
  for (const part of content) if (part.type === 'text') text += part.text;
  return text;
}
