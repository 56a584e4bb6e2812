import { errorTypeForStatus, isRetryableStatus, type ErrorType, type StreamPart, type UpstreamError } from '@switchyard/llm-spec';

/** Upstream bodies kept in errors are cut to this many characters. */
export const rawErrorLimit = 2048;

export function truncateRaw(body: string): string {
  return body.length > rawErrorLimit ? body.slice(0, rawErrorLimit) : body;
}

/**
 * Refines the status-derived error type with what the provider's code or message says: context length, content
 * policy, authentication hidden behind a 400 (Gemini's "API key not valid").
 */
export function classifyError(status: number, providerCode: string | undefined, message: string): ErrorType {
  const code = (providerCode ?? '').toLowerCase();
  const text = message.toLowerCase();
  if (code === 'context_length_exceeded' || /context length|context window|prompt is too long|too many tokens|input token count .* exceeds|maximum context/.test(text)) {
    return 'context_length_exceeded';
  }
  if (code === 'content_filter' || code === 'content_policy_violation' || code === 'responsibleaipolicyviolation' || /content (management )?polic|content filter/.test(text)) {
    return 'content_policy_violation';
  }
  if (code === 'invalid_api_key' || code === 'api_key_invalid' || code === 'authentication_error' || /api key not valid|invalid api key|incorrect api key/.test(text)) {
    return 'authentication';
  }
  if (code === 'insufficient_quota' || code === 'billing_error') return 'payment_required';
  return errorTypeForStatus(status);
}

export interface UpstreamErrorInput {
  status: number;
  message: string;
  providerCode?: string;
  errorType?: ErrorType;
  retryAfterMs?: number;
  raw?: string;
  phase?: UpstreamError['phase'];
}

export function makeUpstreamError(input: UpstreamErrorInput): UpstreamError {
  const error: UpstreamError = {
    status: input.status,
    errorType: input.errorType ?? classifyError(input.status, input.providerCode, input.message),
    message: input.message,
    retryable: isRetryableStatus(input.status),
  };
  if (input.providerCode !== undefined) error.providerCode = input.providerCode;
  if (input.retryAfterMs !== undefined) error.retryAfterMs = input.retryAfterMs;
  if (input.raw !== undefined) error.raw = truncateRaw(input.raw);
  if (input.phase !== undefined) error.phase = input.phase;
  return error;
}

/** A 200 whose body we cannot read: the provider answered, but not with anything usable (OpenRouter's 502). */
export function invalidBodyError(reason: string, body: string): StreamPart {
  return {
    type: 'error',
    error: makeUpstreamError({ status: 502, errorType: 'provider_unavailable', message: `invalid response from upstream: ${reason}`, raw: body, phase: 'body' }),
  };
}

/** The stream stopped (EOF) before the provider's terminal event: a truncated generation. */
export function streamEndedError(detail: string): StreamPart {
  return {
    type: 'error',
    error: makeUpstreamError({ status: 502, errorType: 'provider_unavailable', message: `upstream stream ended without ${detail}`, phase: 'body' }),
  };
}

/** HTTP-like status for a provider error code that arrives without one (mid-stream errors). */
export function statusForErrorCode(code: string | undefined): number | undefined {
  switch ((code ?? '').toLowerCase()) {
    case 'invalid_request_error':
    case 'invalid_request':
    case 'context_length_exceeded':
    case 'bad_request':
    case 'invalid_argument':
    case 'failed_precondition':
      return 400;
    case 'authentication_error':
    case 'invalid_api_key':
    case 'unauthenticated':
      return 401;
    case 'billing_error':
    case 'insufficient_quota':
      return 402;
    case 'permission_error':
    case 'permission_denied':
      return 403;
    case 'not_found_error':
    case 'not_found':
    case 'model_not_found':
      return 404;
    case 'request_too_large':
      return 413;
    case 'rate_limit_error':
    case 'rate_limit_exceeded':
    case 'resource_exhausted':
      return 429;
    case 'api_error':
    case 'server_error':
    case 'internal_server_error':
    case 'internal':
      return 500;
    case 'unavailable':
    case 'service_unavailable':
      return 503;
    case 'timeout_error':
    case 'timeout':
    case 'deadline_exceeded':
      return 504;
    case 'overloaded_error':
      return 529;
    default:
      return undefined;
  }
}
