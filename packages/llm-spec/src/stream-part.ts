import { z } from 'zod';
import { finishReasonSchema } from './finish-reason.js';
import { reasoningDetailSchema } from './messages.js';
import { upstreamErrorSchema } from './upstream-error.js';
import { usageSchema } from './usage.js';

/**
 * The canonical stream every adapter produces and every renderer consumes. Order: an optional `response-metadata`,
 * then deltas (tool-call deltas only between their start and end), then `usage`, then `finish` (last). An `error`
 * part ends a stream that failed after it started.
 */
export const streamPartSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('response-metadata'),
    upstreamId: z.string().optional(),
    upstreamModel: z.string().optional(),
    systemFingerprint: z.string().nullish(),
    created: z.number().optional(),
  }),
  z.object({ type: z.literal('text-delta'), text: z.string() }),
  z.object({ type: z.literal('reasoning-delta'), text: z.string(), details: z.array(reasoningDetailSchema).optional() }),
  z.object({ type: z.literal('refusal-delta'), text: z.string() }),
  z.object({ type: z.literal('tool-call-start'), index: z.number().int().nonnegative(), id: z.string(), name: z.string() }),
  z.object({ type: z.literal('tool-call-delta'), index: z.number().int().nonnegative(), argumentsDelta: z.string() }),
  z.object({ type: z.literal('tool-call-end'), index: z.number().int().nonnegative() }),
  z.object({ type: z.literal('usage'), usage: usageSchema }),
  z.object({ type: z.literal('finish'), finishReason: finishReasonSchema, nativeFinishReason: z.string().nullish() }),
  z.object({ type: z.literal('error'), error: upstreamErrorSchema }),
]);
export type StreamPart = z.infer<typeof streamPartSchema>;
export type StreamPartType = StreamPart['type'];
export type StreamPartOf<T extends StreamPartType> = Extract<StreamPart, { type: T }>;

/** Parts that carry generated content: once one reaches the client, failover is no longer possible. */
export function isContentPart(part: StreamPart): boolean {
  return (
    part.type === 'text-delta' ||
    part.type === 'reasoning-delta' ||
    part.type === 'refusal-delta' ||
    part.type === 'tool-call-start' ||
    part.type === 'tool-call-delta'
  );
}

export interface StreamGrammarViolation {
  index: number;
  message: string;
}

/**
 * Checks the stream grammar the conventions name: exactly one `finish`, last (unless the stream ended in an
 * `error`); `usage` at most once and before `finish`; tool-call deltas only between their start and end; every
 * started tool call ended before `finish`. Returns the violations (empty when the stream is well formed).
 */
export function checkStreamGrammar(parts: ReadonlyArray<StreamPart>): StreamGrammarViolation[] {
  const violations: StreamGrammarViolation[] = [];
  const open = new Set<number>();
  const ended = new Set<number>();
  let finishes = 0;
  let usages = 0;
  let errored = false;
  parts.forEach((part, index) => {
    if (finishes > 0) violations.push({ index, message: `${part.type} after finish` });
    if (errored) violations.push({ index, message: `${part.type} after error` });
    switch (part.type) {
      case 'tool-call-start':
        if (open.has(part.index) || ended.has(part.index)) violations.push({ index, message: `tool call ${part.index} started twice` });
        open.add(part.index);
        break;
      case 'tool-call-delta':
        if (!open.has(part.index)) violations.push({ index, message: `tool call ${part.index} delta outside its start/end` });
        break;
      case 'tool-call-end':
        if (!open.has(part.index)) violations.push({ index, message: `tool call ${part.index} ended without start` });
        open.delete(part.index);
        ended.add(part.index);
        break;
      case 'usage':
        usages += 1;
        if (usages > 1) violations.push({ index, message: 'usage reported twice' });
        break;
      case 'finish':
        finishes += 1;
        if (open.size > 0) violations.push({ index, message: `finish with open tool calls ${[...open].join(',')}` });
        break;
      case 'error':
        errored = true;
        break;
      default:
        break;
    }
  });
  if (finishes === 0 && !errored) violations.push({ index: parts.length, message: 'stream ended without finish' });
  if (finishes > 1) violations.push({ index: parts.length, message: `finish sent ${finishes} times` });
  return violations;
}
