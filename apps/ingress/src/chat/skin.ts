import type { GatewayError } from '@switchyard/contracts';
import type { ChatResult, StreamPart, Usage } from '@switchyard/llm-spec';
import type { Charge } from '@switchyard/money';
import type { RouterMetadata } from './router-metadata.js';

export interface ResponseIdentity {
  id: string;
  /** Provider display name ("OpenAI"). */
  provider: string;
  /** The model that serves, with its variant ("meta-llama/llama-3.3-70b-instruct:free"). */
  model: string;
  created: number;
  systemFingerprint: string | null;
}

export interface BilledUsage {
  usage: Usage;
  charge: Charge;
  isByok: boolean;
}

export interface MidStreamFailure {
  code: number;
  message: string;
  metadata: Record<string, unknown>;
  nativeFinishReason: string | null;
}

/**
 * The streaming half of a skin: turns canonical parts into the API family's SSE text. Every method returns raw SSE
 * text to write ('' for nothing). Nothing is written before `open`.
 */
export interface SkinStream {
  /** The identity changed before any content went out (a fallback provider or model serves). */
  reset(identity: ResponseIdentity): void;
  /** Written once, just before the first event (Anthropic `message_start`, Responses `response.created`). */
  open(): string;
  part(part: StreamPart): string;
  /** A keep-alive while waiting for the first token (an SSE comment, or Anthropic's `ping`). */
  keepAlive(): string;
  /**
   * The stream succeeded: usage with cost, then the terminator. `metadata` (router metadata, when the request asked
   * for it) rides on the last event: the usage chunk, Responses' `response.completed`, Anthropic's `message_stop`.
   */
  complete(result: ChatResult, billed: BilledUsage, metadata?: RouterMetadata): string;
  /** The stream failed after it started: the family's error event (with usage when known), then the terminator. */
  fail(failure: MidStreamFailure, billed: BilledUsage | undefined, metadata?: RouterMetadata): string;
}

/**
 * One public API family ("skin") over the shared generation pipeline: chat completions, Anthropic messages,
 * OpenAI responses, legacy completions. A skin only maps shapes; routing, failover, admission, metering and
 * billing are the pipeline's.
 */
export interface Skin {
  readonly api: 'completions' | 'messages' | 'responses';
  stream(identity: ResponseIdentity, includeReasoning: boolean): SkinStream;
  body(identity: ResponseIdentity, result: ChatResult, billed: BilledUsage, includeReasoning: boolean): unknown;
  /** An error before any byte of the response: status, body in the family's error shape, headers. */
  error(error: GatewayError, generationId?: string): { status: number; body: unknown; headers: Record<string, string> };
  /** An error that ends a stream whose headers are already out: the family's error event and terminator. */
  streamError(error: GatewayError): string;
}
