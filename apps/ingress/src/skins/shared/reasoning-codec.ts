import { reasoningDetailSchema, type ReasoningDetail } from '@switchyard/llm-spec';
import { z } from 'zod';

/** The `reasoning_details` format Anthropic thinking blocks travel under (as the Anthropic adapter writes them). */
export const ANTHROPIC_REASONING_FORMAT = 'anthropic-claude-v1';

/**
 * Reasoning that a family has no native slot for (Gemini thought signatures or OpenAI encrypted reasoning shown
 * to an Anthropic client; any provider's details shown to a Responses client) travels inside an opaque string the
 * client replays verbatim: a thinking block's `signature`, a `redacted_thinking` block's `data`, a reasoning item's
 * `encrypted_content`. The prefix holds a ':' that base64 never does, so it cannot be mistaken for a provider's own
 * signature, and a value without it is always the provider's own.
 */
const PREFIX = 'switchyard:v1:';

const detailListSchema = z.array(reasoningDetailSchema);

function encode(value: unknown): string {
  return PREFIX + Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function decode(value: string): unknown {
  if (!value.startsWith(PREFIX)) return undefined;
  try {
    return JSON.parse(Buffer.from(value.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

export function isEncodedReasoning(value: string | null | undefined): boolean {
  return typeof value === 'string' && value.startsWith(PREFIX);
}

export function encodeReasoningDetail(detail: ReasoningDetail): string {
  return encode(detail);
}

/** The detail an encoded string carries; undefined when the string is not ours or does not decode to a detail. */
export function decodeReasoningDetail(value: string): ReasoningDetail | undefined {
  const parsed = reasoningDetailSchema.safeParse(decode(value));
  return parsed.success ? parsed.data : undefined;
}

export function encodeReasoningDetails(details: ReadonlyArray<ReasoningDetail>): string {
  return encode(details);
}

export function decodeReasoningDetails(value: string): ReasoningDetail[] | undefined {
  const parsed = detailListSchema.safeParse(decode(value));
  return parsed.success ? parsed.data : undefined;
}

/** A detail without its readable text (the text travels in the block itself, so it is not carried twice). */
export function withoutText(detail: ReasoningDetail): ReasoningDetail {
  const { text: _text, summary: _summary, ...rest } = detail;
  return rest as ReasoningDetail;
}

/** The readable text of a detail: `text` for reasoning.text, `summary` for reasoning.summary. */
export function detailText(detail: ReasoningDetail): string {
  return detail.type === 'reasoning.summary' ? (detail.summary ?? detail.text ?? '') : (detail.text ?? detail.summary ?? '');
}

/** Puts readable text back into a decoded detail, in the field its type keeps it in. */
export function withText(detail: ReasoningDetail, text: string): ReasoningDetail {
  return detail.type === 'reasoning.summary' ? { ...detail, summary: text } : { ...detail, text };
}
