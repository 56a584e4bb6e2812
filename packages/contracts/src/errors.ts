import { errorTypeForStatus, type ErrorType } from '@switchyard/llm-spec';
import { z } from 'zod';

const GATEWAY_ERROR_MARKER = Symbol.for('switchyard.gateway-error');

export type ErrorMetadata = Record<string, unknown>;

/**
 * The one error hierarchy of Switchyard. Interiors throw these; edges render them: ingress as OpenRouter's
 * envelope `{"error":{"code":<status>,"message","metadata"}}` with that HTTP status, NATS handlers serialise them
 * (`toJSON`) and callers rehydrate them (`GatewayError.fromJSON`).
 */
export class GatewayError extends Error {
  readonly [GATEWAY_ERROR_MARKER] = true;
  readonly status: number;
  readonly errorType: ErrorType;
  readonly metadata: ErrorMetadata;
  readonly headers: Record<string, string>;
  /**
   * Fields of the response body beside `error` (OpenRouter's `openrouter_metadata` on a failed generation); every
   * API family's error renderer keeps them. Not sent over NATS.
   */
  bodyExtras: Record<string, unknown> | undefined;

  constructor(status: number, message: string, options: { errorType?: ErrorType; metadata?: ErrorMetadata; headers?: Record<string, string>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = status;
    this.errorType = options.errorType ?? errorTypeForStatus(status);
    this.metadata = options.metadata ?? {};
    this.headers = options.headers ?? {};
  }

  /** Marker-based check that survives duplicate module copies (as vercel/ai's APICallError.isInstance). */
  static isInstance(value: unknown): value is GatewayError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[GATEWAY_ERROR_MARKER] === true;
  }

  /** OpenRouter's error envelope. 5xx messages are masked unless marked safe. */
  toEnvelope(): { error: { code: number; message: string; metadata: ErrorMetadata } } {
    return { error: { code: this.status, message: this.message, metadata: { error_type: this.errorType, ...this.metadata } } };
  }

  toJSON(): SerializedGatewayError {
    return { status: this.status, message: this.message, errorType: this.errorType, metadata: this.metadata, headers: this.headers };
  }

  static fromJSON(value: SerializedGatewayError): GatewayError {
    return new GatewayError(value.status, value.message, { errorType: value.errorType as ErrorType, metadata: value.metadata, headers: value.headers });
  }
}

export const serializedGatewayErrorSchema = z.object({
  status: z.number().int(),
  message: z.string(),
  errorType: z.string(),
  metadata: z.record(z.string(), z.unknown()).default({}),
  headers: z.record(z.string(), z.string()).default({}),
});
export type SerializedGatewayError = z.input<typeof serializedGatewayErrorSchema>;

export class BadRequestError extends GatewayError {
  constructor(message: string, metadata?: ErrorMetadata, errorType: ErrorType = 'invalid_request') {
    super(400, message, { errorType, metadata });
  }
}

export class AuthenticationError extends GatewayError {
  constructor(message = 'Missing Authentication header or invalid API key', metadata?: ErrorMetadata) {
    super(401, message, { errorType: 'authentication', metadata });
  }
}

export class PaymentRequiredError extends GatewayError {
  constructor(message: string, metadata?: ErrorMetadata) {
    super(402, message, { errorType: 'payment_required', metadata });
  }
}

export class ForbiddenError extends GatewayError {
  constructor(message: string, metadata?: ErrorMetadata) {
    super(403, message, { errorType: 'permission_denied', metadata });
  }
}

export class NotFoundError extends GatewayError {
  constructor(message: string, metadata?: ErrorMetadata) {
    super(404, message, { errorType: 'not_found', metadata });
  }
}

export class PayloadTooLargeError extends GatewayError {
  constructor(limitBytes: number) {
    super(413, `Request body is larger than the limit of ${limitBytes} bytes`, { errorType: 'payload_too_large', metadata: { limit_bytes: limitBytes } });
  }
}

export class RateLimitError extends GatewayError {
  constructor(message: string, options: { retryAfterSeconds?: number; metadata?: ErrorMetadata; headers?: Record<string, string> } = {}) {
    const headers = { ...options.headers };
    if (options.retryAfterSeconds !== undefined) headers['Retry-After'] = String(Math.max(1, Math.ceil(options.retryAfterSeconds)));
    super(429, message, { errorType: 'rate_limit_exceeded', metadata: options.metadata, headers });
  }
}

/** A model-availability failure with OpenRouter's additive `error.availability` object (reference §9.5). */
export class AvailabilityError extends GatewayError {
  constructor(
    status: 400 | 404 | 429 | 503 | 403,
    readonly availabilityCode: string,
    message: string,
    availability: { requested_models: string[]; excluded_by?: string[]; constraint?: { field: string; detail: string }; retryable?: boolean },
  ) {
    super(status, message, { errorType: status === 400 ? 'invalid_request' : errorTypeForStatus(status), metadata: { availability_code: availabilityCode, availability: { code: availabilityCode, retryable: false, ...availability } } });
  }
}

export class ServiceUnavailableError extends GatewayError {
  constructor(message: string, metadata?: ErrorMetadata) {
    super(503, message, { errorType: 'provider_overloaded', metadata });
  }
}

/** An upstream provider's failure after every attempt, rendered with `provider_name`, `raw` and `previous_errors`. */
export class ProviderFailureError extends GatewayError {}

/** For unexpected failures: the message shown to clients is masked; the cause is logged. */
export class InternalError extends GatewayError {
  constructor(cause?: unknown) {
    super(500, 'Internal server error', { errorType: 'server', cause });
  }
}

/** Maps anything thrown to a GatewayError, never leaking internals. */
export function toGatewayError(error: unknown): GatewayError {
  if (GatewayError.isInstance(error)) return error;
  return new InternalError(error);
}
