import type { FinishReason } from './finish-reason.js';
import type { ReasoningDetail, ToolCall } from './messages.js';
import type { StreamPart } from './stream-part.js';
import type { UpstreamError } from './upstream-error.js';
import { emptyUsage, type Usage } from './usage.js';

/** A whole generation, folded from the canonical stream. */
export interface ChatResult {
  text: string;
  reasoning: string;
  reasoningDetails: ReasoningDetail[];
  refusal: string | null;
  toolCalls: ToolCall[];
  finishReason: FinishReason | null;
  nativeFinishReason: string | null;
  usage: Usage | null;
  upstreamId?: string;
  upstreamModel?: string;
  systemFingerprint?: string | null;
  error?: UpstreamError;
}

/** Folds stream parts into a result. Incremental: call `add` per part, then read `result`. */
export class ResultAssembler {
  readonly result: ChatResult = {
    text: '',
    reasoning: '',
    reasoningDetails: [],
    refusal: null,
    toolCalls: [],
    finishReason: null,
    nativeFinishReason: null,
    usage: null,
  };
  private readonly toolCallsByIndex = new Map<number, ToolCall>();

  add(part: StreamPart): void {
    const result = this.result;
    switch (part.type) {
      case 'response-metadata':
        if (part.upstreamId !== undefined) result.upstreamId = part.upstreamId;
        if (part.upstreamModel !== undefined) result.upstreamModel = part.upstreamModel;
        if (part.systemFingerprint !== undefined) result.systemFingerprint = part.systemFingerprint;
        break;
      case 'text-delta':
        result.text += part.text;
        break;
      case 'reasoning-delta':
        result.reasoning += part.text;
        if (part.details) mergeReasoningDetails(result.reasoningDetails, part.details);
        break;
      case 'refusal-delta':
        result.refusal = (result.refusal ?? '') + part.text;
        break;
      case 'tool-call-start': {
        const call: ToolCall = { id: part.id, type: 'function', function: { name: part.name, arguments: '' } };
        this.toolCallsByIndex.set(part.index, call);
        result.toolCalls.push(call);
        break;
      }
      case 'tool-call-delta': {
        const call = this.toolCallsByIndex.get(part.index);
        if (call) call.function.arguments += part.argumentsDelta;
        break;
      }
      case 'tool-call-end':
        break;
      case 'usage':
        result.usage = part.usage;
        break;
      case 'finish':
        result.finishReason = part.finishReason;
        result.nativeFinishReason = part.nativeFinishReason ?? null;
        break;
      case 'error':
        result.error = part.error;
        result.finishReason = 'error';
        break;
    }
  }
}

/**
 * Streamed reasoning details arrive in pieces that share an index (text deltas, then a signature); fold them into
 * one item per index so the replay on the next turn is what the provider sent.
 */
function mergeReasoningDetails(target: ReasoningDetail[], incoming: ReadonlyArray<ReasoningDetail>): void {
  for (const detail of incoming) {
    const index = detail.index ?? target.length;
    const existing = target.find((item) => (item.index ?? -1) === index && item.type === detail.type);
    if (!existing) {
      target.push({ ...detail, index });
      continue;
    }
    if (detail.text) existing.text = (existing.text ?? '') + detail.text;
    if (detail.summary) existing.summary = (existing.summary ?? '') + detail.summary;
    if (detail.data) existing.data = (existing.data ?? '') + detail.data;
    if (detail.signature) existing.signature = detail.signature;
    if (detail.id) existing.id = detail.id;
    if (detail.format) existing.format = detail.format;
  }
}

export function assembleResult(parts: Iterable<StreamPart>): ChatResult {
  const assembler = new ResultAssembler();
  for (const part of parts) assembler.add(part);
  return assembler.result;
}

export function usageOrEmpty(result: ChatResult): Usage {
  return result.usage ?? emptyUsage;
}
