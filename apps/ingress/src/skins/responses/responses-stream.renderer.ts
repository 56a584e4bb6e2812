import { ResultAssembler, type ChatResult, type StreamPart } from '@switchyard/llm-spec';
import { sseEvent } from '../../chat/sse-writer.js';
import type { RouterMetadata } from '../../chat/router-metadata.js';
import type { BilledUsage, MidStreamFailure, ResponseIdentity, SkinStream } from '../../chat/skin.js';
import { responsesErrorObject } from './responses-errors.js';
import {
  functionCallItem,
  itemId,
  messageItem,
  reasoningItem,
  responseObject,
  responseStatus,
  responsesUsage,
  type ResponseEcho,
} from './responses.renderer.js';

type ItemState =
  | { kind: 'reasoning'; index: number; id: string; reasoning: ResultAssembler; partAdded: boolean; done: boolean }
  | { kind: 'message'; index: number; id: string; text: string; refusal: string; textPart: number | undefined; refusalPart: number | undefined; parts: number; done: boolean }
  | { kind: 'function_call'; index: number; id: string; callId: string; name: string; arguments: string; done: boolean };

const DONE = 'data: [DONE]\n\n';

/**
 * Canonical parts → the Responses API's typed SSE events, in the order the `openai` SDK's ResponseStream
 * accumulates them: response.created and response.in_progress, then per output item output_item.added,
 * content_part.added / reasoning_summary_part.added, the deltas (output_text, refusal, reasoning_summary_text,
 * function_call_arguments), their .done events and output_item.done, and finally response.completed carrying
 * the whole Response with usage and cost. Every event has a sequence_number; item events carry output_index and
 * item_id, content events content_index (or summary_index).
 */
export class ResponsesStream implements SkinStream {
  private identity: ResponseIdentity;
  private opened = false;
  private sequence = 0;
  private readonly items: ItemState[] = [];
  private reasoning: Extract<ItemState, { kind: 'reasoning' }> | undefined;
  private message: Extract<ItemState, { kind: 'message' }> | undefined;
  private readonly calls = new Map<number, Extract<ItemState, { kind: 'function_call' }>>();

  constructor(
    identity: ResponseIdentity,
    private readonly includeReasoning: boolean,
    private readonly echo: ResponseEcho,
  ) {
    this.identity = identity;
  }

  reset(identity: ResponseIdentity): void {
    if (!this.opened) this.identity = identity;
  }

  open(): string {
    this.opened = true;
    const response = responseObject(this.identity, this.echo, { status: 'in_progress', output: [], usage: null });
    return this.event('response.created', { response }) + this.event('response.in_progress', { response });
  }

  keepAlive(): string {
    return ': SWITCHYARD PROCESSING\n\n';
  }

  part(part: StreamPart): string {
    switch (part.type) {
      case 'text-delta':
        return part.text === '' ? '' : this.textDelta(part.text);
      case 'refusal-delta':
        return part.text === '' ? '' : this.refusalDelta(part.text);
      case 'reasoning-delta':
        return this.includeReasoning ? this.reasoningDelta(part) : '';
      case 'tool-call-start':
        return this.callStart(part.index, part.id, part.name);
      case 'tool-call-delta': {
        const call = this.calls.get(part.index);
        if (!call || call.done || part.argumentsDelta === '') return '';
        call.arguments += part.argumentsDelta;
        return this.event('response.function_call_arguments.delta', { item_id: call.id, output_index: call.index, delta: part.argumentsDelta });
      }
      case 'tool-call-end': {
        const call = this.calls.get(part.index);
        return call ? this.closeCall(call, 'completed') : '';
      }
      default:
        return '';
    }
  }

  complete(result: ChatResult, billed: BilledUsage, metadata?: RouterMetadata): string {
    const { status, incomplete_details } = responseStatus(result.finishReason);
    const itemStatus = status === 'completed' ? 'completed' : 'incomplete';
    let out = this.closeAll(itemStatus);
    if (this.items.length === 0) {
      // Nothing was generated: still one (empty) message, as the non-streaming body has.
      out += this.textDelta('');
      out += this.closeAll(itemStatus);
    }
    const response = responseObject(this.identity, this.echo, {
      status,
      incomplete_details,
      output: this.items.map((item) => this.itemObject(item, itemStatus)),
      usage: responsesUsage(billed),
      completed_at: Math.floor(Date.now() / 1000),
    });
    return out + this.event('response.completed', metadata === undefined ? { response } : { response, openrouter_metadata: metadata }) + DONE;
  }

  fail(failure: MidStreamFailure, billed: BilledUsage | undefined, metadata?: RouterMetadata): string {
    const errorType = typeof failure.metadata.error_type === 'string' ? failure.metadata.error_type : undefined;
    const error = responsesErrorObject(failure.code, failure.message, errorType, {});
    const response = responseObject(this.identity, this.echo, {
      status: 'failed',
      error: { code: error.code, message: failure.message },
      output: this.items.map((item) => this.itemObject(item, 'incomplete')),
      usage: billed ? responsesUsage(billed) : null,
    });
    let out = this.event('response.failed', metadata === undefined ? { response } : { response, openrouter_metadata: metadata });
    // The openai SDK raises an APIError on an event whose data has a top-level `error`: the client learns it failed.
    out += this.event('error', { code: error.code, message: failure.message, param: null, error, ...(errorType ? { error_type: errorType } : {}) });
    return out + DONE;
  }

  private event(type: string, payload: Record<string, unknown>): string {
    return sseEvent(type, JSON.stringify({ type, sequence_number: this.sequence++, ...payload }));
  }

  private addItem(item: ItemState, object: Record<string, unknown>): string {
    this.items.push(item);
    return this.event('response.output_item.added', { output_index: item.index, item: object });
  }

  private textDelta(text: string): string {
    let out = this.ensureMessage();
    const message = this.message!;
    if (message.textPart === undefined) {
      message.textPart = message.parts++;
      out += this.event('response.content_part.added', { item_id: message.id, output_index: message.index, content_index: message.textPart, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } });
    }
    if (text === '') return out;
    message.text += text;
    return out + this.event('response.output_text.delta', { item_id: message.id, output_index: message.index, content_index: message.textPart, delta: text, logprobs: [] });
  }

  private refusalDelta(text: string): string {
    let out = this.ensureMessage();
    const message = this.message!;
    if (message.refusalPart === undefined) {
      message.refusalPart = message.parts++;
      out += this.event('response.content_part.added', { item_id: message.id, output_index: message.index, content_index: message.refusalPart, part: { type: 'refusal', refusal: '' } });
    }
    message.refusal += text;
    return out + this.event('response.refusal.delta', { item_id: message.id, output_index: message.index, content_index: message.refusalPart, delta: text });
  }

  private ensureMessage(): string {
    if (this.message) return '';
    const out = this.closeReasoning();
    const index = this.items.length;
    const message: Extract<ItemState, { kind: 'message' }> = { kind: 'message', index, id: itemId(this.identity, 'msg', index), text: '', refusal: '', textPart: undefined, refusalPart: undefined, parts: 0, done: false };
    this.message = message;
    return out + this.addItem(message, messageItem(message.id, 'in_progress', null, null));
  }

  private reasoningDelta(part: Extract<StreamPart, { type: 'reasoning-delta' }>): string {
    let out = '';
    if (!this.reasoning) {
      out += this.closeMessage('completed');
      const index = this.items.length;
      const reasoning: Extract<ItemState, { kind: 'reasoning' }> = { kind: 'reasoning', index, id: itemId(this.identity, 'rs', index), reasoning: new ResultAssembler(), partAdded: false, done: false };
      this.reasoning = reasoning;
      out += this.addItem(reasoning, reasoningItem(reasoning.id, '', []));
    }
    const reasoning = this.reasoning;
    reasoning.reasoning.add(part);
    if (part.text === '') return out;
    if (!reasoning.partAdded) {
      reasoning.partAdded = true;
      out += this.event('response.reasoning_summary_part.added', { item_id: reasoning.id, output_index: reasoning.index, summary_index: 0, part: { type: 'summary_text', text: '' } });
    }
    return out + this.event('response.reasoning_summary_text.delta', { item_id: reasoning.id, output_index: reasoning.index, summary_index: 0, delta: part.text });
  }

  private callStart(canonicalIndex: number, callId: string, name: string): string {
    let out = this.closeReasoning() + this.closeMessage('completed');
    const index = this.items.length;
    const call: Extract<ItemState, { kind: 'function_call' }> = { kind: 'function_call', index, id: itemId(this.identity, 'fc', index), callId, name, arguments: '', done: false };
    this.calls.set(canonicalIndex, call);
    out += this.addItem(call, functionCallItem(call.id, callId, name, '', 'in_progress'));
    return out;
  }

  private closeCall(call: Extract<ItemState, { kind: 'function_call' }>, status: 'completed' | 'incomplete'): string {
    if (call.done) return '';
    call.done = true;
    return (
      this.event('response.function_call_arguments.done', { item_id: call.id, output_index: call.index, name: call.name, arguments: call.arguments }) +
      this.event('response.output_item.done', { output_index: call.index, item: this.itemObject(call, status) })
    );
  }

  private closeReasoning(): string {
    const reasoning = this.reasoning;
    if (!reasoning) return '';
    this.reasoning = undefined;
    reasoning.done = true;
    let out = '';
    const text = reasoning.reasoning.result.reasoning;
    if (reasoning.partAdded) {
      out += this.event('response.reasoning_summary_text.done', { item_id: reasoning.id, output_index: reasoning.index, summary_index: 0, text });
      out += this.event('response.reasoning_summary_part.done', { item_id: reasoning.id, output_index: reasoning.index, summary_index: 0, part: { type: 'summary_text', text } });
    }
    return out + this.event('response.output_item.done', { output_index: reasoning.index, item: this.itemObject(reasoning, 'completed') });
  }

  private closeMessage(status: 'completed' | 'incomplete'): string {
    const message = this.message;
    if (!message) return '';
    this.message = undefined;
    message.done = true;
    let out = '';
    if (message.textPart !== undefined) {
      out += this.event('response.output_text.done', { item_id: message.id, output_index: message.index, content_index: message.textPart, text: message.text, logprobs: [] });
      out += this.event('response.content_part.done', { item_id: message.id, output_index: message.index, content_index: message.textPart, part: { type: 'output_text', text: message.text, annotations: [], logprobs: [] } });
    }
    if (message.refusalPart !== undefined) {
      out += this.event('response.refusal.done', { item_id: message.id, output_index: message.index, content_index: message.refusalPart, refusal: message.refusal });
      out += this.event('response.content_part.done', { item_id: message.id, output_index: message.index, content_index: message.refusalPart, part: { type: 'refusal', refusal: message.refusal } });
    }
    return out + this.event('response.output_item.done', { output_index: message.index, item: this.itemObject(message, status) });
  }

  private closeAll(status: 'completed' | 'incomplete'): string {
    let out = this.closeReasoning() + this.closeMessage(status);
    for (const call of this.calls.values()) out += this.closeCall(call, status);
    return out;
  }

  private itemObject(item: ItemState, status: 'completed' | 'incomplete'): Record<string, unknown> {
    switch (item.kind) {
      case 'reasoning':
        return reasoningItem(item.id, item.reasoning.result.reasoning, item.reasoning.result.reasoningDetails);
      case 'message': {
        const text = item.textPart !== undefined ? item.text : null;
        const refusal = item.refusalPart !== undefined ? item.refusal : null;
        // Parts in the order they were added (content_index), as the SDK's snapshot has them.
        const object = messageItem(item.id, status, text, refusal);
        if (item.textPart !== undefined && item.refusalPart !== undefined && item.refusalPart < item.textPart) (object.content as unknown[]).reverse();
        return object;
      }
      case 'function_call':
        return functionCallItem(item.id, item.callId, item.name, item.arguments, status);
    }
  }
}
