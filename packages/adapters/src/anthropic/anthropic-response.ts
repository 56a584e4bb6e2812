import type { ReasoningDetail, StreamPart, UpstreamError } from '@switchyard/llm-spec';
import { z } from 'zod';
import { parseJson } from '../shared/parse-json.js';
import { parseRetryAfter } from '../shared/parse-retry-after.js';
import { invalidBodyError, makeUpstreamError, statusForErrorCode, streamEndedError } from '../shared/upstream-errors.js';
import type { SseEvent, StreamDecoder } from '../types.js';
import { jsonResponseToolPrefix } from './anthropic-request.js';
import { convertAnthropicUsage, type AnthropicUsageWire } from './convert-anthropic-usage.js';
import { anthropicReasoningFormat } from './convert-to-anthropic-messages.js';
import { mapAnthropicStopReason } from './map-anthropic-stop-reason.js';

/** A Messages API response → canonical parts, block by block, in the order the stream would give them. */
export function parseAnthropicResponse(body: string): StreamPart[] {
  const parsed = parseJson(body, anthropicMessageSchema);
  if (!parsed.success) return [invalidBodyError(parsed.error, body)];
  const message = parsed.value;
  if (message.type === 'error' && message.error) return [{ type: 'error', error: anthropicErrorFromObject(message.error, body, 'body') }];
  if (!message.content) return [invalidBodyError('no content', body)];
  const parts: StreamPart[] = [];
  const metadata = responseMetadata(message);
  if (metadata) parts.push(metadata);
  let toolIndex = 0;
  let reasoningIndex = 0;
  for (const block of message.content) {
    switch (block.type) {
      case 'text':
        if (block.text) parts.push({ type: 'text-delta', text: block.text });
        break;
      case 'thinking': {
        const detail: ReasoningDetail = { type: 'reasoning.text', text: block.thinking ?? '', format: anthropicReasoningFormat, index: reasoningIndex++ };
        if (block.signature) detail.signature = block.signature;
        parts.push({ type: 'reasoning-delta', text: block.thinking ?? '', details: [detail] });
        break;
      }
      case 'redacted_thinking':
        parts.push({ type: 'reasoning-delta', text: '', details: [{ type: 'reasoning.encrypted', data: block.data ?? '', format: anthropicReasoningFormat, index: reasoningIndex++ }] });
        break;
      case 'tool_use': {
        const input = JSON.stringify(block.input ?? {});
        if (block.name?.startsWith(jsonResponseToolPrefix)) {
          parts.push({ type: 'text-delta', text: input });
          break;
        }
        const index = toolIndex++;
        parts.push({ type: 'tool-call-start', index, id: block.id ?? `toolu_${index}`, name: block.name ?? '' });
        parts.push({ type: 'tool-call-delta', index, argumentsDelta: input });
        parts.push({ type: 'tool-call-end', index });
        break;
      }
      default:
        break;
    }
  }
  if (message.usage) parts.push({ type: 'usage', usage: convertAnthropicUsage(message.usage) });
  parts.push({ type: 'finish', finishReason: mapAnthropicStopReason(message.stop_reason, toolIndex > 0), nativeFinishReason: message.stop_reason ?? null });
  return parts;
}

type BlockState =
  | { kind: 'text' }
  | { kind: 'thinking'; reasoningIndex: number }
  | { kind: 'tool'; toolIndex: number; emittedArguments: boolean; initialInput: unknown }
  | { kind: 'json'; emittedText: boolean; initialInput: unknown }
  | { kind: 'other' };

/**
 * Messages API SSE → canonical parts. Blocks are tracked by Anthropic's index: text and thinking deltas pass
 * through (thinking as reasoning with its signature in reasoning_details), tool_use blocks become tool calls
 * (the JSON response tool becomes text), usage is merged from message_start and the cumulative message_delta, and
 * the finish is emitted at message_stop.
 */
export class AnthropicStreamDecoder implements StreamDecoder {
  private readonly blocks = new Map<number, BlockState>();
  private usage: AnthropicUsageWire | undefined;
  private stopReason: string | null | undefined;
  private sawStopReason = false;
  private toolCount = 0;
  private reasoningCount = 0;
  private done = false;
  private startedMessage = false;

  push(event: SseEvent): StreamPart[] {
    if (this.done) return [];
    const parsed = parseJson(event.data, anthropicStreamEventSchema);
    if (!parsed.success) return this.finishWith([invalidBodyError(parsed.error, event.data)]);
    const value = parsed.value;
    switch (value.type) {
      case 'message_start': {
        const message = value.message;
        if (message?.usage) this.mergeUsage(message.usage);
        // Metadata goes first and once: a repeated message_start (seen in the wild) adds nothing.
        if (this.startedMessage) return [];
        this.startedMessage = true;
        const metadata = message ? responseMetadata(message) : undefined;
        return metadata ? [metadata] : [];
      }
      case 'content_block_start':
        return this.startBlock(value.index ?? 0, value.content_block ?? { type: 'unknown' });
      case 'content_block_delta':
        return this.blockDelta(value.index ?? 0, value.delta ?? {});
      case 'content_block_stop':
        return this.stopBlock(value.index ?? 0);
      case 'message_delta':
        if (value.usage) this.mergeUsage(value.usage);
        if (value.delta && value.delta.stop_reason !== undefined) {
          this.stopReason = value.delta.stop_reason;
          this.sawStopReason = true;
        }
        return [];
      case 'message_stop':
        return this.finishWith(this.terminalParts());
      case 'error':
        return this.finishWith([{ type: 'error', error: anthropicErrorFromObject(value.error ?? {}, event.data, 'body') }]);
      default:
        // ping, and event types added later.
        return [];
    }
  }

  end(): StreamPart[] {
    if (this.done) return [];
    // A message_delta with the stop reason is as good as message_stop for the content; only the marker is missing.
    if (this.sawStopReason) return this.finishWith(this.terminalParts());
    return this.finishWith([streamEndedError('message_stop')]);
  }

  private startBlock(index: number, block: AnthropicContentBlock): StreamPart[] {
    switch (block.type) {
      case 'text':
        this.blocks.set(index, { kind: 'text' });
        return block.text ? [{ type: 'text-delta', text: block.text }] : [];
      case 'thinking': {
        const reasoningIndex = this.reasoningCount++;
        this.blocks.set(index, { kind: 'thinking', reasoningIndex });
        return block.thinking ? [thinkingDelta(block.thinking, reasoningIndex)] : [];
      }
      case 'redacted_thinking': {
        const reasoningIndex = this.reasoningCount++;
        this.blocks.set(index, { kind: 'other' });
        return [{ type: 'reasoning-delta', text: '', details: [{ type: 'reasoning.encrypted', data: block.data ?? '', format: anthropicReasoningFormat, index: reasoningIndex }] }];
      }
      case 'tool_use': {
        if (block.name?.startsWith(jsonResponseToolPrefix)) {
          this.blocks.set(index, { kind: 'json', emittedText: false, initialInput: block.input });
          return [];
        }
        const toolIndex = this.toolCount++;
        this.blocks.set(index, { kind: 'tool', toolIndex, emittedArguments: false, initialInput: block.input });
        return [{ type: 'tool-call-start', index: toolIndex, id: block.id ?? `toolu_${toolIndex}`, name: block.name ?? '' }];
      }
      default:
        this.blocks.set(index, { kind: 'other' });
        return [];
    }
  }

  private blockDelta(index: number, delta: AnthropicDelta): StreamPart[] {
    const state = this.blocks.get(index);
    if (!state) return [];
    switch (delta.type) {
      case 'text_delta':
        return delta.text ? [{ type: 'text-delta', text: delta.text }] : [];
      case 'thinking_delta':
        return state.kind === 'thinking' && delta.thinking ? [thinkingDelta(delta.thinking, state.reasoningIndex)] : [];
      case 'signature_delta':
        if (state.kind !== 'thinking' || !delta.signature) return [];
        return [{ type: 'reasoning-delta', text: '', details: [{ type: 'reasoning.text', signature: delta.signature, format: anthropicReasoningFormat, index: state.reasoningIndex }] }];
      case 'input_json_delta': {
        const partial = delta.partial_json ?? '';
        if (partial === '') return [];
        if (state.kind === 'tool') {
          state.emittedArguments = true;
          return [{ type: 'tool-call-delta', index: state.toolIndex, argumentsDelta: partial }];
        }
        if (state.kind === 'json') {
          state.emittedText = true;
          return [{ type: 'text-delta', text: partial }];
        }
        return [];
      }
      default:
        return [];
    }
  }

  private stopBlock(index: number): StreamPart[] {
    const state = this.blocks.get(index);
    this.blocks.delete(index);
    if (state?.kind === 'tool') {
      const parts: StreamPart[] = [];
      // A tool without arguments streams none: give the same "{}" a non-streaming response shows.
      if (!state.emittedArguments) parts.push({ type: 'tool-call-delta', index: state.toolIndex, argumentsDelta: JSON.stringify(state.initialInput ?? {}) });
      parts.push({ type: 'tool-call-end', index: state.toolIndex });
      return parts;
    }
    if (state?.kind === 'json' && !state.emittedText) return [{ type: 'text-delta', text: JSON.stringify(state.initialInput ?? {}) }];
    return [];
  }

  private terminalParts(): StreamPart[] {
    const parts: StreamPart[] = [];
    for (const index of [...this.blocks.keys()]) parts.push(...this.stopBlock(index));
    if (this.usage) parts.push({ type: 'usage', usage: convertAnthropicUsage(this.usage) });
    parts.push({ type: 'finish', finishReason: mapAnthropicStopReason(this.stopReason, this.toolCount > 0), nativeFinishReason: this.stopReason ?? null });
    return parts;
  }

  private mergeUsage(usage: AnthropicUsageWire): void {
    const merged: AnthropicUsageWire = { ...this.usage };
    for (const key of ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'] as const) {
      const value = usage[key];
      if (value !== undefined && value !== null) merged[key] = value;
    }
    this.usage = merged;
  }

  private finishWith(parts: StreamPart[]): StreamPart[] {
    this.done = true;
    return parts;
  }
}

/** `{type:"error", error:{type, message}}` → typed; overloaded_error is Anthropic's 529. */
export function parseAnthropicError(status: number, headers: Record<string, string>, body: string): UpstreamError {
  const parsed = parseJson(body, anthropicErrorBodySchema);
  const retryAfterMs = parseRetryAfter(headers);
  if (!parsed.success || !parsed.value.error) {
    return makeUpstreamError({ status, message: body.trim().slice(0, 200) || `HTTP ${status}`, retryAfterMs, raw: body, phase: 'status' });
  }
  return { ...anthropicErrorFromObject(parsed.value.error, body, 'status', status), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}

function anthropicErrorFromObject(error: { type?: string | null; message?: string | null }, raw: string, phase: 'status' | 'body', status?: number): UpstreamError {
  const providerCode = error.type ?? undefined;
  return makeUpstreamError({
    status: status ?? statusForErrorCode(providerCode) ?? 500,
    message: error.message ?? providerCode ?? 'upstream error',
    providerCode,
    raw,
    phase,
  });
}

function thinkingDelta(text: string, index: number): StreamPart {
  return { type: 'reasoning-delta', text, details: [{ type: 'reasoning.text', text, format: anthropicReasoningFormat, index }] };
}

function responseMetadata(message: { id?: string | null; model?: string | null }): StreamPart | undefined {
  if (!message.id && !message.model) return undefined;
  const part: StreamPart & { type: 'response-metadata' } = { type: 'response-metadata' };
  if (message.id) part.upstreamId = message.id;
  if (message.model) part.upstreamModel = message.model;
  return part;
}

// Wire schemas: lenient, only what the adapter reads.

const anthropicUsageSchema = z.object({
  input_tokens: z.number().nullish(),
  output_tokens: z.number().nullish(),
  cache_creation_input_tokens: z.number().nullish(),
  cache_read_input_tokens: z.number().nullish(),
});

const anthropicContentBlockSchema = z.object({
  type: z.string(),
  text: z.string().nullish(),
  thinking: z.string().nullish(),
  signature: z.string().nullish(),
  data: z.string().nullish(),
  id: z.string().nullish(),
  name: z.string().nullish(),
  input: z.unknown().optional(),
});
type AnthropicContentBlock = z.infer<typeof anthropicContentBlockSchema>;

const anthropicErrorObjectSchema = z.object({ type: z.string().nullish(), message: z.string().nullish() });

const anthropicMessageSchema = z.object({
  type: z.string().nullish(),
  id: z.string().nullish(),
  model: z.string().nullish(),
  content: z.array(anthropicContentBlockSchema).nullish(),
  stop_reason: z.string().nullish(),
  usage: anthropicUsageSchema.nullish(),
  error: anthropicErrorObjectSchema.nullish(),
});

const anthropicDeltaSchema = z.object({
  type: z.string().nullish(),
  text: z.string().nullish(),
  partial_json: z.string().nullish(),
  thinking: z.string().nullish(),
  signature: z.string().nullish(),
  stop_reason: z.string().nullish(),
});
type AnthropicDelta = z.infer<typeof anthropicDeltaSchema>;

const anthropicStreamEventSchema = z.object({
  type: z.string(),
  message: z.object({ id: z.string().nullish(), model: z.string().nullish(), usage: anthropicUsageSchema.nullish() }).nullish(),
  index: z.number().nullish(),
  content_block: anthropicContentBlockSchema.nullish(),
  delta: anthropicDeltaSchema.nullish(),
  usage: anthropicUsageSchema.nullish(),
  error: anthropicErrorObjectSchema.nullish(),
});

const anthropicErrorBodySchema = z.object({ type: z.string().nullish(), error: anthropicErrorObjectSchema.nullish() });
