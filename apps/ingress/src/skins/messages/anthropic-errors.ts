import type { GatewayError } from '@switchyard/contracts';
import { sseEvent } from '../../chat/sse-writer.js';
import type { FamilyErrors } from '../shared/family-error.js';

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'billing_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'timeout_error'
  | 'overloaded_error'
  | 'api_error';

/** Anthropic's error `type` for a gateway status and error_type (reference §9.7). */
export function anthropicErrorType(status: number, errorType?: string): AnthropicErrorType {
  if (errorType === 'timeout') return 'timeout_error';
  if (errorType === 'provider_overloaded') return 'overloaded_error';
  if (errorType === 'rate_limit_exceeded') return 'rate_limit_error';
  switch (status) {
    case 400:
    case 413:
    case 415:
    case 422:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 408:
    case 504:
    case 524:
      return 'timeout_error';
    case 429:
      return 'rate_limit_error';
    case 503:
    case 529:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

/** `{type:"error", error:{type, message, error_type}, request_id}`; gateway metadata rides along under `error.metadata`. */
export function anthropicErrorBody(error: GatewayError, generationId?: string): Record<string, unknown> {
  const body: Record<string, unknown> = {
    type: 'error',
    error: { type: anthropicErrorType(error.status, error.errorType), message: error.message, error_type: error.errorType, ...(Object.keys(error.metadata).length > 0 ? { metadata: error.metadata } : {}) },
    request_id: generationId ?? null,
  };
  return body;
}

export const anthropicErrors: FamilyErrors = {
  error: (error, generationId) => ({
    status: error.status,
    body: anthropicErrorBody(error, generationId),
    headers: generationId ? { ...error.headers, 'request-id': generationId } : error.headers,
  }),
  streamError: (error) => sseEvent('error', JSON.stringify({ type: 'error', error: { type: anthropicErrorType(error.status, error.errorType), message: error.message, error_type: error.errorType } })),
};
