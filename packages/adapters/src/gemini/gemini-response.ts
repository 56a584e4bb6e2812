import { isRetryableStatus, type ErrorType, type StreamPart, type UpstreamError } from '@switchyard/llm-spec';
import { z } from 'zod';
import { parseJson } from '../shared/parse-json.js';
import { parseDuration, parseRetryAfter } from '../shared/parse-retry-after.js';
import { classifyError, invalidBodyError, makeUpstreamError, streamEndedError, truncateRaw } from '../shared/upstream-errors.js';
import type { SseEvent, StreamDecoder } from '../types.js';
import { convertGeminiUsage } from './convert-gemini-usage.js';
import { geminiReasoningFormat } from './convert-to-gemini-contents.js';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.js';

/**
 * Gemini parts → canonical parts, shared by responses and streams so both give the same result. Thought parts are
 * reasoning (a run of thought parts shares one reasoning_details index, so streamed pieces fold together); a
 * `thoughtSignature` becomes an encrypted reasoning detail (tied to the tool call it came with) for the replay;
 * function calls get synthesised ids, stable within a response.
 */
class GeminiPartConverter {
  private toolCount = 0;
  private detailCount = 0;
  private thoughtIndex: number | undefined;

  get hasToolCalls(): boolean {
    return this.toolCount > 0;
  }

  convert(parts: ReadonlyArray<GeminiWirePart>, responseId: string | null | undefined): StreamPart[] {
    const result: StreamPart[] = [];
    for (const part of parts) {
      if (part.thought === true) {
        if (part.text) {
          if (this.thoughtIndex === undefined) this.thoughtIndex = this.detailCount++;
          result.push({ type: 'reasoning-delta', text: part.text, details: [{ type: 'reasoning.text', text: part.text, format: geminiReasoningFormat, index: this.thoughtIndex }] });
        }
        if (part.thoughtSignature) result.push(this.signature(part.thoughtSignature));
        continue;
      }
      this.thoughtIndex = undefined;
      if (part.functionCall) {
        const index = this.toolCount++;
        const id = part.functionCall.id ?? (responseId ? `call_${responseId}_${index}` : `call_${index}`);
        if (part.thoughtSignature) result.push(this.signature(part.thoughtSignature, id));
        result.push({ type: 'tool-call-start', index, id, name: part.functionCall.name });
        result.push({ type: 'tool-call-delta', index, argumentsDelta: JSON.stringify(part.functionCall.args ?? {}) });
        result.push({ type: 'tool-call-end', index });
        continue;
      }
      if (part.thoughtSignature) result.push(this.signature(part.thoughtSignature));
      if (part.text) result.push({ type: 'text-delta', text: part.text });
    }
    return result;
  }

  private signature(data: string, id?: string): StreamPart {
    const detail = { type: 'reasoning.encrypted' as const, data, format: geminiReasoningFormat, index: this.detailCount++ };
    return { type: 'reasoning-delta', text: '', details: [id ? { ...detail, id } : detail] };
  }
}

/** A generateContent response → canonical parts. */
export function parseGeminiResponse(body: string): StreamPart[] {
  const parsed = parseJson(body, geminiResponseSchema);
  if (!parsed.success) return [invalidBodyError(parsed.error, body)];
  const response = parsed.value;
  if (response.error) return [{ type: 'error', error: geminiErrorFromObject(response.error, body, 'body') }];
  const converter = new GeminiPartConverter();
  const parts: StreamPart[] = [];
  const metadata = responseMetadata(response);
  if (metadata) parts.push(metadata);
  const candidate = response.candidates?.[0];
  if (!candidate && !response.promptFeedback?.blockReason) return [invalidBodyError('no candidates', body)];
  parts.push(...converter.convert(candidate?.content?.parts ?? [], response.responseId));
  if (response.usageMetadata) parts.push({ type: 'usage', usage: convertGeminiUsage(response.usageMetadata) });
  const native = candidate ? (candidate.finishReason ?? null) : (response.promptFeedback?.blockReason ?? null);
  const finishReason = candidate ? mapGeminiFinishReason(native, converter.hasToolCalls) : 'content_filter';
  parts.push({ type: 'finish', finishReason, nativeFinishReason: native });
  return parts;
}

/**
 * streamGenerateContent?alt=sse → canonical parts. Each event is a whole GenerateContentResponse holding new parts
 * and the usage so far (the last one wins); there is no [DONE]: the chunk with a finishReason (or a prompt
 * blockReason) is the terminal one, and the finish is emitted when the stream closes.
 */
export class GeminiStreamDecoder implements StreamDecoder {
  private readonly converter = new GeminiPartConverter();
  private emittedAny = false;
  private failed = false;
  private closed = false;
  private usage: GeminiUsage | undefined;
  private finishReason: string | null = null;
  private sawFinish = false;
  private blocked = false;

  push(event: SseEvent): StreamPart[] {
    if (this.failed || this.closed) return [];
    const data = event.data.trim();
    if (data === '' || data === '[DONE]') return [];
    const parsed = parseJson(data, geminiResponseSchema);
    if (!parsed.success) return this.fail(invalidBodyError(parsed.error, data));
    const chunk = parsed.value;
    if (chunk.error) return this.fail({ type: 'error', error: geminiErrorFromObject(chunk.error, data, 'body') });
    const parts: StreamPart[] = [];
    if (!this.emittedAny) {
      const metadata = responseMetadata(chunk);
      if (metadata) parts.push(metadata);
    }
    if (chunk.usageMetadata) this.usage = chunk.usageMetadata;
    const candidate = chunk.candidates?.[0];
    if (candidate) {
      parts.push(...this.converter.convert(candidate.content?.parts ?? [], chunk.responseId));
      if (candidate.finishReason) {
        this.finishReason = candidate.finishReason;
        this.sawFinish = true;
      }
    } else if (chunk.promptFeedback?.blockReason) {
      this.finishReason = chunk.promptFeedback.blockReason;
      this.blocked = true;
      this.sawFinish = true;
    }
    if (parts.length > 0) this.emittedAny = true;
    return parts;
  }

  end(): StreamPart[] {
    if (this.failed || this.closed) return [];
    this.closed = true;
    if (!this.sawFinish) return [streamEndedError('a finishReason')];
    const parts: StreamPart[] = [];
    if (this.usage) parts.push({ type: 'usage', usage: convertGeminiUsage(this.usage) });
    parts.push({
      type: 'finish',
      finishReason: this.blocked ? 'content_filter' : mapGeminiFinishReason(this.finishReason, this.converter.hasToolCalls),
      nativeFinishReason: this.finishReason,
    });
    return parts;
  }

  private fail(part: StreamPart): StreamPart[] {
    this.failed = true;
    return [part];
  }
}

const statusErrorTypes: Readonly<Record<string, ErrorType>> = {
  RESOURCE_EXHAUSTED: 'rate_limit_exceeded',
  UNAVAILABLE: 'provider_overloaded',
  DEADLINE_EXCEEDED: 'timeout',
  INTERNAL: 'server',
  UNAUTHENTICATED: 'authentication',
  PERMISSION_DENIED: 'permission_denied',
  NOT_FOUND: 'not_found',
};

const statusCodes: Readonly<Record<string, number>> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

/** `{error:{code, message, status, details}}` (sometimes wrapped in an array) → typed, with RetryInfo's delay. */
export function parseGeminiError(status: number, headers: Record<string, string>, body: string): UpstreamError {
  const parsed = parseJson(body, geminiErrorEnvelopeSchema);
  const retryAfterMs = parseRetryAfter(headers);
  const error = parsed.success ? (Array.isArray(parsed.value) ? parsed.value[0]?.error : parsed.value.error) : undefined;
  if (!error) return makeUpstreamError({ status, message: body.trim().slice(0, 200) || `HTTP ${status}`, retryAfterMs, raw: body, phase: 'status' });
  const typed = geminiErrorFromObject(error, body, 'status', status);
  if (retryAfterMs !== undefined) typed.retryAfterMs = retryAfterMs;
  return typed;
}

function geminiErrorFromObject(error: GeminiErrorObject, raw: string, phase: 'status' | 'body', httpStatus?: number): UpstreamError {
  const providerCode = error.status ?? undefined;
  const status = httpStatus ?? error.code ?? (providerCode ? statusCodes[providerCode] : undefined) ?? 500;
  const message = error.message ?? providerCode ?? 'upstream error';
  let retryDelay: number | undefined;
  let reason: string | undefined;
  for (const detail of error.details ?? []) {
    if (detail.retryDelay) retryDelay = parseDuration(detail.retryDelay);
    if (detail.reason) reason = detail.reason;
  }
  const errorType: ErrorType =
    reason === 'API_KEY_INVALID' ? 'authentication' : ((providerCode ? statusErrorTypes[providerCode] : undefined) ?? classifyError(status, reason ?? providerCode, message));
  const typed: UpstreamError = { status, errorType, message, retryable: isRetryableStatus(status), raw: truncateRaw(raw), phase };
  if (providerCode) typed.providerCode = providerCode;
  if (retryDelay !== undefined) typed.retryAfterMs = retryDelay;
  return typed;
}

function responseMetadata(response: { responseId?: string | null; modelVersion?: string | null }): StreamPart | undefined {
  if (!response.responseId && !response.modelVersion) return undefined;
  const part: StreamPart & { type: 'response-metadata' } = { type: 'response-metadata' };
  if (response.responseId) part.upstreamId = response.responseId;
  if (response.modelVersion) part.upstreamModel = response.modelVersion;
  return part;
}

// Wire schemas: lenient, only what the adapter reads.

const geminiPartSchema = z.object({
  text: z.string().nullish(),
  thought: z.boolean().nullish(),
  thoughtSignature: z.string().nullish(),
  functionCall: z.object({ name: z.string(), args: z.unknown().optional(), id: z.string().nullish() }).nullish(),
});
type GeminiWirePart = z.infer<typeof geminiPartSchema>;

const geminiUsageSchema = z.object({
  promptTokenCount: z.number().nullish(),
  candidatesTokenCount: z.number().nullish(),
  thoughtsTokenCount: z.number().nullish(),
  cachedContentTokenCount: z.number().nullish(),
  toolUsePromptTokenCount: z.number().nullish(),
  totalTokenCount: z.number().nullish(),
});
type GeminiUsage = z.infer<typeof geminiUsageSchema>;

const geminiErrorObjectSchema = z.object({
  code: z.number().nullish(),
  message: z.string().nullish(),
  status: z.string().nullish(),
  details: z.array(z.object({ retryDelay: z.string().nullish(), reason: z.string().nullish() })).nullish(),
});
type GeminiErrorObject = z.infer<typeof geminiErrorObjectSchema>;

const geminiResponseSchema = z.object({
  candidates: z
    .array(
      z.object({
        content: z.object({ parts: z.array(geminiPartSchema).nullish() }).nullish(),
        finishReason: z.string().nullish(),
      }),
    )
    .nullish(),
  promptFeedback: z.object({ blockReason: z.string().nullish() }).nullish(),
  usageMetadata: geminiUsageSchema.nullish(),
  modelVersion: z.string().nullish(),
  responseId: z.string().nullish(),
  error: geminiErrorObjectSchema.nullish(),
});

const geminiErrorEnvelopeSchema = z.union([
  z.object({ error: geminiErrorObjectSchema.nullish() }),
  z.array(z.object({ error: geminiErrorObjectSchema.nullish() })),
]);
