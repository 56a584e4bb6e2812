import type { ChatResult, ReasoningDetail, StreamPart } from '@switchyard/llm-spec';
import { sseEvent } from '../../chat/sse-writer.js';
import type { RouterMetadata } from '../../chat/router-metadata.js';
import type { BilledUsage, MidStreamFailure, ResponseIdentity, SkinStream } from '../../chat/skin.js';
import { ANTHROPIC_REASONING_FORMAT, detailText, encodeReasoningDetail, withoutText } from '../shared/reasoning-codec.js';
import { anthropicStopReason, anthropicUsage, detailsCarryText, foreignThinkingSignature } from './anthropic-content.js';
import { anthropicErrorType } from './anthropic-errors.js';
import { stopSequenceFor, type MessagesRenderContext } from './messages.renderer.js';

type Action =
  | { kind: 'text'; text: string }
  | { kind: 'thinking'; lane: string; text: string; foreign?: ReasoningDetail }
  | { kind: 'signature'; lane: string; signature: string }
  | { kind: 'redacted'; data: string }
  | { kind: 'tool-start'; index: number; id: string; name: string }
  | { kind: 'tool-delta'; index: number; json: string }
  | { kind: 'tool-end'; index: number };

interface OpenBlock {
  lane: string;
  index: number;
  /** A tool_use block: other content waits until it ends (Anthropic blocks cannot interleave). */
  holds: boolean;
  /** Another provider's reasoning detail, sent encoded as the block's signature when it closes. */
  foreign?: ReasoningDetail;
}

export interface MessagesStreamContext extends MessagesRenderContext {
  /** The gateway's prompt estimate, shown in message_start (the exact figures come in message_delta). */
  estimatedInputTokens: number;
}

function merge(target: ReasoningDetail | undefined, detail: ReasoningDetail): ReasoningDetail {
  const merged: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(withoutText(detail))) if (value !== undefined && value !== null) merged[key] = value;
  return merged as ReasoningDetail;
}

/**
 * Canonical parts → Anthropic's Messages SSE, the exact sequence the Anthropic SDKs accumulate: `message_start`,
 * then per content block `content_block_start` / `content_block_delta` (text_delta, thinking_delta,
 * signature_delta, input_json_delta) / `content_block_stop` with consecutive indexes, then `message_delta` (stop
 * reason, usage with cost) and `message_stop`. Keep-alives are `ping` events; a failure is an `error` event.
 *
 * Blocks never interleave: while a tool_use block is open, parts for anything else wait in order and follow
 * when it ends (OpenAI-style upstreams stream several tool calls at once and end them all at the finish).
 */
export class MessagesStream implements SkinStream {
  private identity: ResponseIdentity;
  private opened = false;
  private current: OpenBlock | undefined;
  private nextBlock = 0;
  private queue: Action[] = [];
  private redactedCount = 0;
  private hasToolUse = false;

  constructor(
    identity: ResponseIdentity,
    private readonly includeReasoning: boolean,
    private readonly context: MessagesStreamContext,
  ) {
    this.identity = identity;
  }

  reset(identity: ResponseIdentity): void {
    if (!this.opened) this.identity = identity;
  }

  open(): string {
    this.opened = true;
    const message = {
      id: this.identity.id,
      type: 'message',
      role: 'assistant',
      model: this.identity.model,
      provider: this.identity.provider,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      stop_details: null,
      container: null,
      usage: { input_tokens: this.context.estimatedInputTokens, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, server_tool_use: null, service_tier: 'standard' },
    };
    return sseEvent('message_start', JSON.stringify({ type: 'message_start', message }));
  }

  keepAlive(): string {
    return 'event: ping\ndata: {"type":"ping"}\n\n';
  }

  part(part: StreamPart): string {
    switch (part.type) {
      case 'text-delta':
      case 'refusal-delta':
        return part.text === '' ? '' : this.process({ kind: 'text', text: part.text });
      case 'reasoning-delta':
        return this.includeReasoning ? this.processAll(this.reasoningActions(part.text, part.details ?? [])) : '';
      case 'tool-call-start':
        this.hasToolUse = true;
        return this.process({ kind: 'tool-start', index: part.index, id: part.id, name: part.name });
      case 'tool-call-delta':
        return part.argumentsDelta === '' ? '' : this.process({ kind: 'tool-delta', index: part.index, json: part.argumentsDelta });
      case 'tool-call-end':
        return this.process({ kind: 'tool-end', index: part.index });
      default:
        return '';
    }
  }

  complete(result: ChatResult, billed: BilledUsage, metadata?: RouterMetadata): string {
    let out = this.finishBlocks();
    const stopReason = anthropicStopReason(result.finishReason, result.nativeFinishReason, this.hasToolUse || result.toolCalls.length > 0);
    const delta = { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: stopSequenceFor(stopReason, this.context), stop_details: null }, usage: anthropicUsage(billed) };
    out += sseEvent('message_delta', JSON.stringify(delta));
    out += sseEvent('message_stop', JSON.stringify(metadata === undefined ? { type: 'message_stop' } : { type: 'message_stop', openrouter_metadata: metadata }));
    return out;
  }

  fail(failure: MidStreamFailure, billed: BilledUsage | undefined, metadata?: RouterMetadata): string {
    const errorType = typeof failure.metadata.error_type === 'string' ? failure.metadata.error_type : undefined;
    const payload: Record<string, unknown> = {
      type: 'error',
      error: { type: anthropicErrorType(failure.code, errorType), message: failure.message, ...(errorType ? { error_type: errorType } : {}) },
    };
    if (billed) payload.usage = anthropicUsage(billed);
    if (metadata) payload.openrouter_metadata = metadata;
    return sseEvent('error', JSON.stringify(payload));
  }

  private reasoningActions(text: string, details: ReadonlyArray<ReasoningDetail>): Action[] {
    const actions: Action[] = [];
    if (!detailsCarryText(details) && text !== '') actions.push({ kind: 'thinking', lane: 'thinking:plain', text });
    for (const detail of details) {
      if (detail.type === 'reasoning.encrypted') {
        actions.push({ kind: 'redacted', data: detail.format === ANTHROPIC_REASONING_FORMAT ? (detail.data ?? '') : encodeReasoningDetail(detail) });
        continue;
      }
      const lane = `thinking:${detail.format ?? ''}:${detail.type}:${detail.index ?? 0}`;
      const detailTextValue = detailText(detail);
      if (detail.format === ANTHROPIC_REASONING_FORMAT) {
        if (detailTextValue !== '' || !detail.signature) actions.push({ kind: 'thinking', lane, text: detailTextValue });
        if (detail.signature) actions.push({ kind: 'signature', lane, signature: detail.signature });
      } else {
        actions.push({ kind: 'thinking', lane, text: detailTextValue, foreign: detail });
      }
    }
    return actions;
  }

  private laneOf(action: Action): string {
    switch (action.kind) {
      case 'text':
        return 'text';
      case 'thinking':
      case 'signature':
        return action.lane;
      case 'redacted':
        return `redacted:${this.redactedCount}`;
      default:
        return `tool:${action.index}`;
    }
  }

  private processAll(actions: Action[]): string {
    let out = '';
    for (const action of actions) out += this.process(action);
    return out;
  }

  private process(action: Action): string {
    const lane = this.laneOf(action);
    if (this.current && this.current.holds && this.current.lane !== lane) {
      this.queue.push(action);
      return '';
    }
    if (action.kind === 'tool-end') {
      if (this.current?.lane !== lane) return '';
      return this.closeOpen() + this.drain();
    }
    let out = '';
    if (this.current?.lane !== lane) {
      // A tool's deltas only ever follow its start; nothing to attach them to otherwise.
      if (action.kind === 'tool-delta') return '';
      out += this.closeOpen();
      out += this.startBlock(action, lane);
    }
    out += this.delta(action);
    if (action.kind === 'redacted') {
      this.redactedCount += 1;
      out += this.closeOpen();
    }
    return out;
  }

  private drain(): string {
    const waiting = this.queue;
    this.queue = [];
    return this.processAll(waiting);
  }

  /** Ends every block, letting waiting parts through (a tool that never ended is closed where it stands). */
  private finishBlocks(): string {
    let out = '';
    for (;;) {
      out += this.closeOpen();
      if (this.queue.length === 0) return out;
      out += this.drain();
    }
  }

  private startBlock(action: Action, lane: string): string {
    const index = this.nextBlock++;
    let block: Record<string, unknown>;
    switch (action.kind) {
      case 'text':
        block = { type: 'text', text: '' };
        break;
      case 'thinking':
      case 'signature':
        block = { type: 'thinking', thinking: '', signature: '' };
        break;
      case 'redacted':
        block = { type: 'redacted_thinking', data: action.data };
        break;
      case 'tool-start':
        block = { type: 'tool_use', id: action.id, name: action.name, input: {} };
        break;
      default:
        block = { type: 'text', text: '' };
    }
    this.current = { lane, index, holds: action.kind === 'tool-start' };
    return sseEvent('content_block_start', `{"type":"content_block_start","index":${index},"content_block":${JSON.stringify(block)}}`);
  }

  private delta(action: Action): string {
    const index = this.current!.index;
    switch (action.kind) {
      case 'text':
        return sseEvent('content_block_delta', `{"type":"content_block_delta","index":${index},"delta":{"type":"text_delta","text":${JSON.stringify(action.text)}}}`);
      case 'thinking': {
        if (action.foreign) this.current!.foreign = merge(this.current!.foreign, action.foreign);
        if (action.text === '') return '';
        return sseEvent('content_block_delta', `{"type":"content_block_delta","index":${index},"delta":{"type":"thinking_delta","thinking":${JSON.stringify(action.text)}}}`);
      }
      case 'signature':
        return this.signatureDelta(index, action.signature);
      case 'tool-delta':
        return sseEvent('content_block_delta', `{"type":"content_block_delta","index":${index},"delta":{"type":"input_json_delta","partial_json":${JSON.stringify(action.json)}}}`);
      default:
        return '';
    }
  }

  private signatureDelta(index: number, signature: string): string {
    return sseEvent('content_block_delta', `{"type":"content_block_delta","index":${index},"delta":{"type":"signature_delta","signature":${JSON.stringify(signature)}}}`);
  }

  private closeOpen(): string {
    const open = this.current;
    if (!open) return '';
    this.current = undefined;
    const signature = open.foreign ? this.signatureDelta(open.index, foreignThinkingSignature(open.foreign)) : '';
    return signature + sseEvent('content_block_stop', `{"type":"content_block_stop","index":${open.index}}`);
  }
}
