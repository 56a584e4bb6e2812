import { contentText, type GenerationPlan, type PlanUsage } from '../../generation/generation-plan.js';
import { frame, jsonPieces, wordPieces, type Frame, type TextPiece } from '../frames.js';

export interface GeminiRenderContext {
  responseId: string;
  model: string;
  chunkCount: number;
  includeThoughts: boolean;
  /** `alt=sse`: server-sent events; otherwise one JSON array streamed element by element. */
  sse: boolean;
}

function usageMetadata(usage: PlanUsage, sent?: { candidates: number; thoughts: number }): Record<string, unknown> {
  const thoughts = sent ? sent.thoughts : usage.reasoningTokens;
  const candidates = sent ? sent.candidates : usage.completionTokens - usage.reasoningTokens;
  const metadata: Record<string, unknown> = { promptTokenCount: usage.promptTokens };
  // As the API does: candidatesTokenCount only once the answer is complete.
  if (!sent) metadata.candidatesTokenCount = candidates;
  metadata.totalTokenCount = usage.promptTokens + candidates + thoughts;
  if (usage.cachedTokens > 0) metadata.cachedContentTokenCount = usage.cachedTokens;
  if (thoughts > 0) metadata.thoughtsTokenCount = thoughts;
  metadata.promptTokensDetails = [{ modality: 'TEXT', tokenCount: usage.promptTokens }];
  if (usage.cachedTokens > 0) metadata.cacheTokensDetails = [{ modality: 'TEXT', tokenCount: usage.cachedTokens }];
  return metadata;
}

const FINISH_REASONS = { stop: 'STOP', length: 'MAX_TOKENS', tool_calls: 'STOP' } as const;

function functionArgs(argumentsText: string): unknown {
  try {
    return JSON.parse(argumentsText);
  } catch {
    return {};
  }
}

/** Parts of the whole answer: thoughts (when asked for), then text or function calls; the signature rides on the first answer part. */
function answerParts(plan: GenerationPlan, includeThoughts: boolean): Array<Record<string, unknown>> {
  const parts: Array<Record<string, unknown>> = [];
  if (plan.reasoning && includeThoughts) parts.push({ text: plan.reasoning.text, thought: true });
  if (plan.content.type === 'tool_calls') {
    for (const call of plan.content.calls) parts.push({ functionCall: { name: call.name, args: functionArgs(call.arguments) } });
  } else {
    parts.push({ text: contentText(plan) });
  }
  const signed = parts.find((part) => part.thought !== true);
  if (plan.reasoning && signed) signed.thoughtSignature = plan.reasoning.signature;
  return parts;
}

/** A non-streamed GenerateContentResponse. */
export function renderGeminiResponse(plan: GenerationPlan, context: Pick<GeminiRenderContext, 'responseId' | 'model' | 'includeThoughts'>): string {
  const candidate: Record<string, unknown> = { content: { parts: answerParts(plan, context.includeThoughts), role: 'model' }, finishReason: FINISH_REASONS[plan.finish], index: 0 };
  return JSON.stringify({ candidates: [candidate], usageMetadata: usageMetadata(plan.usage), modelVersion: context.model, responseId: context.responseId });
}

/**
 * A streamed answer: one GenerateContentResponse per piece (thought pieces, text pieces, or one whole function call
 * per chunk, as the API streams them), the last carrying finishReason and the complete usage.
 */
export function streamGeminiResponse(plan: GenerationPlan, context: GeminiRenderContext): Frame[] {
  interface Piece {
    part: Record<string, unknown>;
    tokens: number;
    reasoningTokens: number;
  }
  const pieces: Piece[] = [];
  if (plan.reasoning) {
    if (context.includeThoughts) {
      for (const piece of wordPieces(plan.reasoning.words, context.chunkCount)) pieces.push({ part: { text: piece.text, thought: true }, tokens: piece.tokens, reasoningTokens: piece.tokens });
    } else {
      // Hidden thoughts still take their time and tokens: they ride on the first answer chunk.
      pieces.push({ part: {}, tokens: plan.reasoning.words.length, reasoningTokens: plan.reasoning.words.length });
    }
  }
  const content = plan.content;
  if (content.type === 'tool_calls') {
    for (const call of content.calls) pieces.push({ part: { functionCall: { name: call.name, args: functionArgs(call.arguments) } }, tokens: call.tokens, reasoningTokens: 0 });
  } else {
    const textPieces: TextPiece[] = content.type === 'text' ? wordPieces(content.words, context.chunkCount) : jsonPieces(content.text, context.chunkCount);
    if (textPieces.length === 0) textPieces.push({ text: '', tokens: 0 });
    for (const piece of textPieces) pieces.push({ part: { text: piece.text }, tokens: piece.tokens, reasoningTokens: 0 });
  }
  // Hidden reasoning merges into the first answer piece; the signature goes on the first non-thought part.
  if (pieces.length > 1 && Object.keys(pieces[0].part).length === 0) {
    const hidden = pieces.shift()!;
    pieces[0] = { part: pieces[0].part, tokens: pieces[0].tokens + hidden.tokens, reasoningTokens: hidden.reasoningTokens };
  }
  const signed = pieces.find((piece) => piece.part.thought !== true);
  if (plan.reasoning && signed) signed.part.thoughtSignature = plan.reasoning.signature;

  const frames: Frame[] = [];
  let candidates = 0;
  let thoughts = 0;
  for (const [index, piece] of pieces.entries()) {
    candidates += piece.tokens - piece.reasoningTokens;
    thoughts += piece.reasoningTokens;
    const last = index === pieces.length - 1;
    const candidate: Record<string, unknown> = { content: { parts: [piece.part], role: 'model' }, index: 0 };
    if (last) candidate.finishReason = FINISH_REASONS[plan.finish];
    const payload = JSON.stringify({
      candidates: [candidate],
      usageMetadata: last ? usageMetadata(plan.usage) : usageMetadata(plan.usage, { candidates, thoughts }),
      modelVersion: context.model,
      responseId: context.responseId,
    });
    const data = context.sse ? `data: ${payload}\r\n\r\n` : `${index === 0 ? '[' : ',\r\n'}${payload}${last ? ']' : ''}`;
    frames.push(frame(data, piece.tokens, piece.reasoningTokens, last));
  }
  return frames;
}
