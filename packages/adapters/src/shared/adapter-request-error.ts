import { errorTypeStatus, type ErrorType, type UpstreamError } from '@switchyard/llm-spec';

const marker = Symbol.for('switchyard.adapters.adapter-request-error');

/**
 * A request the provider cannot take as asked (an http image URL where only data URLs work, audio for a text-only
 * wire format, tool arguments that are not JSON...). Thrown by `buildRequest` before anything is sent: a 400 for
 * the client, not a provider failure, so never retried on another provider of the same wire format.
 */
export class AdapterRequestError extends Error {
  readonly [marker] = true;
  readonly status: number;
  readonly errorType: ErrorType;
  /** The request field at fault, e.g. "messages[2].content[1].image_url". */
  readonly param?: string;

  constructor(message: string, options: { errorType?: ErrorType; param?: string } = {}) {
    super(message);
    this.name = 'AdapterRequestError';
    this.errorType = options.errorType ?? 'invalid_request';
    this.status = errorTypeStatus[this.errorType];
    if (options.param !== undefined) this.param = options.param;
  }

  /** Works across copies of this package (a marker, not `instanceof`). */
  static isInstance(error: unknown): error is AdapterRequestError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[marker] === true;
  }

  toUpstreamError(): UpstreamError {
    return { status: this.status, errorType: this.errorType, message: this.message, retryable: false, phase: 'status' };
  }
}
