import { errorTypeSchema, reasoningDetailSchema, type ReasoningDetail, type StreamPart, type UpstreamError } from '@switchyard/llm-spec';
import { z } from 'zod';
import { parseJson } from '../shared/parse-json.js';
import { parseRetryAfter, parseRetryHintInMessage } from '../shared/parse-retry-after.js';
import { invalidBodyError, makeUpstreamError, statusForErrorCode, streamEndedError } from '../shared/upstream-errors.js';
import type { SseEvent, StreamDecoder } from '../types.js';
import { convertOpenAiUsage } from './convert-openai-usage.js';
import { mapOpenAiFinishReason } from './map-openai-finish-reason.js';
import { OpenAiToolCallTracker } from './openai-tool-call-tracker.js';

/** A non-streaming Chat Completions body → canonical parts, in the order a stream of it would give them. */
export function parseOpenAiResponse(body: string): StreamPart[] {
  const parsed = parseJson(body, openAiResponseSchema);
  if (!parsed.success) return [invalidBodyError(parsed.error, body)];
  const response = parsed.value;
  if (response.error) return [{ type: 'error', error: openAiErrorFromObject(response.error, body) }];
  const choice = firstChoice(response.choices);
  if (!choice) return [invalidBodyError('no choices', body)];
  const message = choice.message ?? {};
  const parts: StreamPart[] = [];
  const metadata = responseMetadata(response);
  if (metadata) parts.push(metadata);
  const reasoning = reasoningPart(message.reasoning ?? message.reasoning_content, message.reasoning_details);
  if (reasoning) parts.push(reasoning);
  const text = contentText(message.content);
  if (text) parts.push({ type: 'text-delta', text });
  if (message.refusal) parts.push({ type: 'refusal-delta', text: message.refusal });
  const toolCalls = message.tool_calls ?? [];
  toolCalls.forEach((call, index) => {
    const argumentsText = typeof call.function.arguments === 'string' ? call.function.arguments : JSON.stringify(call.function.arguments ?? {});
    parts.push({ type: 'tool-call-start', index, id: call.id ?? `call_${index}`, name: call.function.name });
    if (argumentsText) parts.push({ type: 'tool-call-delta', index, argumentsDelta: argumentsText });
    parts.push({ type: 'tool-call-end', index });
  });
  if (response.usage) parts.push({ type: 'usage', usage: convertOpenAiUsage(response.usage) });
  if (choice.error) {
    parts.push({ type: 'error', error: openAiErrorFromObject(choice.error, body) });
    return parts;
  }
  parts.push({
    type: 'finish',
    finishReason: mapOpenAiFinishReason(choice.finish_reason, toolCalls.length > 0),
    nativeFinishReason: choice.native_finish_reason ?? choice.finish_reason ?? null,
  });
  return parts;
}

/**
 * Chat Completions SSE → canonical parts. The finish is held back until `[DONE]` (or EOF after a finish_reason)
 * because usage comes after it, in a final `choices: []` chunk; tool calls end as soon as the finish_reason
 * arrives. A chunk carrying `error` (OpenRouter and several hosts report mid-stream failures that way) ends the
 * stream with an error part.
 */
export class OpenAiStreamDecoder implements StreamDecoder {
  private readonly toolCalls = new OpenAiToolCallTracker();
  private emittedAny = false;
  private done = false;
  private failed = false;
  private finishReason: string | null | undefined;
  private nativeFinishReason: string | null | undefined;
  private sawFinish = false;
  private usage: OpenAiUsage | undefined;

  push(event: SseEvent): StreamPart[] {
    if (this.done || this.failed) return [];
    const data = event.data.trim();
    if (data === '') return [];
    if (data === '[DONE]') return this.flush();
    const parsed = parseJson(data, openAiChunkSchema);
    if (!parsed.success) return this.fail(invalidBodyError(parsed.error, data));
    const chunk = parsed.value;
    if (chunk.error) return this.fail({ type: 'error', error: openAiErrorFromObject(chunk.error, data) });

    const parts: StreamPart[] = [];
    if (!this.emittedAny) {
      const metadata = responseMetadata(chunk);
      if (metadata) parts.push(metadata);
    }
    if (chunk.usage) this.usage = chunk.usage;
    else if (chunk.x_groq?.usage) this.usage = chunk.x_groq.usage;

    const choice = firstChoice(chunk.choices);
    if (choice) {
      const delta = choice.delta;
      if (delta) {
        const reasoning = reasoningPart(delta.reasoning ?? delta.reasoning_content, delta.reasoning_details);
        if (reasoning) parts.push(reasoning);
        const text = contentText(delta.content);
        if (text) parts.push({ type: 'text-delta', text });
        if (delta.refusal) parts.push({ type: 'refusal-delta', text: delta.refusal });
        if (delta.tool_calls?.length && !this.sawFinish) parts.push(...this.toolCalls.process(delta.tool_calls));
      }
      if (choice.finish_reason) {
        this.sawFinish = true;
        this.finishReason = choice.finish_reason;
        this.nativeFinishReason = choice.native_finish_reason ?? choice.finish_reason;
        parts.push(...this.toolCalls.endAll());
      }
    }
    if (parts.length > 0) this.emittedAny = true;
    return parts;
  }

  end(): StreamPart[] {
    if (this.done || this.failed) return [];
    if (this.sawFinish) return this.flush();
    return this.fail(streamEndedError('a finish_reason or [DONE]'));
  }

  private flush(): StreamPart[] {
    this.done = true;
    const parts: StreamPart[] = [...this.toolCalls.endAll()];
    if (this.usage) parts.push({ type: 'usage', usage: convertOpenAiUsage(this.usage) });
    parts.push({
      type: 'finish',
      finishReason: mapOpenAiFinishReason(this.finishReason, this.toolCalls.hasToolCalls),
      nativeFinishReason: this.nativeFinishReason ?? null,
    });
    return parts;
  }

  private fail(part: StreamPart): StreamPart[] {
    this.failed = true;
    return [part];
  }
}

/** An OpenAI-style error body (also Groq, Mistral, DeepInfra's `detail`, OpenRouter's numeric codes) → typed. */
export function parseOpenAiError(status: number, headers: Record<string, string>, body: string): UpstreamError {
  const parsed = parseJson(body, openAiErrorBodySchema);
  const retryAfterMs = parseRetryAfter(headers);
  if (!parsed.success) {
    return makeUpstreamError({ status, message: body.trim().slice(0, 200) || `HTTP ${status}`, retryAfterMs, raw: body, phase: 'status' });
  }
  const value = parsed.value;
  const errorObject = typeof value.error === 'object' && value.error !== null ? value.error : undefined;
  const message =
    errorObject?.message ??
    (typeof value.error === 'string' ? value.error : undefined) ??
    detailMessage(value.message) ??
    detailMessage(value.detail) ??
    `HTTP ${status}`;
  const code = errorObject?.code ?? value.code;
  const providerCode = (typeof code === 'string' ? code : undefined) ?? errorObject?.type ?? value.type ?? undefined;
  const errorType = knownErrorType(errorObject?.metadata?.error_type);
  return makeUpstreamError({
    status,
    message,
    providerCode: providerCode ?? undefined,
    errorType,
    retryAfterMs: retryAfterMs ?? parseRetryHintInMessage(message),
    raw: body,
    phase: 'status',
  });
}

function openAiErrorFromObject(error: OpenAiErrorObject, raw: string): UpstreamError {
  const code = error.code;
  const providerCode = typeof code === 'string' ? code : (error.metadata?.provider_code ?? error.type ?? undefined);
  const status = typeof code === 'number' ? code : (statusForErrorCode(typeof code === 'string' ? code : undefined) ?? statusForErrorCode(error.type ?? undefined) ?? 500);
  const message = error.message ?? 'upstream error';
  return makeUpstreamError({
    status,
    message,
    providerCode: providerCode ?? undefined,
    errorType: knownErrorType(error.metadata?.error_type),
    retryAfterMs: parseRetryHintInMessage(message),
    raw,
    phase: 'body',
  });
}

function knownErrorType(value: string | null | undefined) {
  const parsed = errorTypeSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** A message that may be a string, `{error}` / `{message}`, or a validation structure (Mistral, FastAPI hosts). */
function detailMessage(detail: unknown): string | undefined {
  if (detail === undefined || detail === null) return undefined;
  if (typeof detail === 'string') return detail;
  if (typeof detail === 'object') {
    const record = detail as Record<string, unknown>;
    if (typeof record.error === 'string') return record.error;
    if (typeof record.message === 'string') return record.message;
  }
  return JSON.stringify(detail).slice(0, 500);
}

function firstChoice<Choice extends { index?: number | null }>(choices: ReadonlyArray<Choice> | null | undefined): Choice | undefined {
  if (!choices?.length) return undefined;
  return choices.find((choice) => (choice.index ?? 0) === 0) ?? choices[0];
}

function responseMetadata(value: { id?: string | null; model?: string | null; created?: number | null; system_fingerprint?: string | null }): StreamPart | undefined {
  if (!value.id && !value.model) return undefined;
  const part: StreamPart & { type: 'response-metadata' } = { type: 'response-metadata' };
  if (value.id) part.upstreamId = value.id;
  if (value.model) part.upstreamModel = value.model;
  if (value.system_fingerprint !== undefined) part.systemFingerprint = value.system_fingerprint;
  if (typeof value.created === 'number') part.created = value.created;
  return part;
}

function reasoningPart(text: string | null | undefined, rawDetails: ReadonlyArray<unknown> | null | undefined): StreamPart | undefined {
  const details: ReasoningDetail[] = [];
  for (const item of rawDetails ?? []) {
    const detail = reasoningDetailSchema.safeParse(item);
    if (detail.success) details.push(detail.data);
  }
  if (!text && details.length === 0) return undefined;
  return details.length > 0 ? { type: 'reasoning-delta', text: text ?? '', details } : { type: 'reasoning-delta', text: text ?? '' };
}

function contentText(content: string | ReadonlyArray<{ type?: string | null; text?: string | null }> | null | undefined): string {
  if (!content) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => (part.type === undefined || part.type === null || part.type === 'text' ? (part.text ?? '') : '')).join('');
}

// Wire schemas: lenient, only what the adapter reads (unknown fields pass, so upstream additions never break us).

const openAiUsageSchema = z.object({
  prompt_tokens: z.number().nullish(),
  completion_tokens: z.number().nullish(),
  total_tokens: z.number().nullish(),
  prompt_tokens_details: z.object({ cached_tokens: z.number().nullish(), cache_write_tokens: z.number().nullish() }).nullish(),
  completion_tokens_details: z.object({ reasoning_tokens: z.number().nullish() }).nullish(),
  prompt_cache_hit_tokens: z.number().nullish(),
});
type OpenAiUsage = z.infer<typeof openAiUsageSchema>;

const openAiErrorObjectSchema = z.object({
  message: z.string().nullish(),
  type: z.string().nullish(),
  code: z.union([z.string(), z.number()]).nullish(),
  metadata: z.object({ error_type: z.string().nullish(), provider_code: z.string().nullish() }).nullish(),
});
type OpenAiErrorObject = z.infer<typeof openAiErrorObjectSchema>;

const contentSchema = z.union([z.string(), z.array(z.object({ type: z.string().nullish(), text: z.string().nullish() }))]).nullish();

const openAiResponseSchema = z.object({
  id: z.string().nullish(),
  model: z.string().nullish(),
  created: z.number().nullish(),
  system_fingerprint: z.string().nullish(),
  choices: z
    .array(
      z.object({
        index: z.number().nullish(),
        message: z
          .looseObject({
            content: contentSchema,
            reasoning: z.string().nullish(),
            reasoning_content: z.string().nullish(),
            reasoning_details: z.array(z.unknown()).nullish(),
            refusal: z.string().nullish(),
            tool_calls: z
              .array(
                z.object({
                  id: z.string().nullish(),
                  function: z.object({ name: z.string(), arguments: z.union([z.string(), z.record(z.string(), z.unknown())]).nullish() }),
                }),
              )
              .nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
        native_finish_reason: z.string().nullish(),
        error: openAiErrorObjectSchema.nullish(),
      }),
    )
    .nullish(),
  usage: openAiUsageSchema.nullish(),
  error: openAiErrorObjectSchema.nullish(),
});

const openAiChunkSchema = z.object({
  id: z.string().nullish(),
  model: z.string().nullish(),
  created: z.number().nullish(),
  system_fingerprint: z.string().nullish(),
  choices: z
    .array(
      z.object({
        index: z.number().nullish(),
        delta: z
          .looseObject({
            content: contentSchema,
            reasoning: z.string().nullish(),
            reasoning_content: z.string().nullish(),
            reasoning_details: z.array(z.unknown()).nullish(),
            refusal: z.string().nullish(),
            tool_calls: z
              .array(
                z.object({
                  index: z.number().nullish(),
                  id: z.string().nullish(),
                  function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
                }),
              )
              .nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
        native_finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: openAiUsageSchema.nullish(),
  x_groq: z.object({ usage: openAiUsageSchema.nullish() }).nullish(),
  error: openAiErrorObjectSchema.nullish(),
});

const openAiErrorBodySchema = z.object({
  error: z.union([openAiErrorObjectSchema, z.string()]).nullish(),
  message: z.unknown().optional(),
  type: z.string().nullish(),
  code: z.union([z.string(), z.number()]).nullish(),
  detail: z.unknown().optional(),
});
