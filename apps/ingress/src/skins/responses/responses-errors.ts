import type { GatewayError } from '@switchyard/contracts';
import { sseEvent } from '../../chat/sse-writer.js';
import type { FamilyErrors } from '../shared/family-error.js';

const errorCodes: Record<string, string> = {
  authentication: 'invalid_api_key',
  payment_required: 'insufficient_quota',
  rate_limit_exceeded: 'rate_limit_exceeded',
  unsupported_image_format: 'unsupported_image_media_type',
  image_download_failed: 'failed_to_download_image',
  image_not_found: 'image_file_not_found',
  server: 'server_error',
  unmapped: 'server_error',
  provider_unavailable: 'server_error',
  provider_overloaded: 'server_error',
  timeout: 'server_error',
};

/**
 * The error `code` of the Responses family: OpenAI's vocabulary where it has a word (server_error,
 * rate_limit_exceeded, invalid_prompt, image codes), the availability code for routing failures
 * (model_not_found, no_endpoints…), else the gateway's error_type. The error_type itself is top-level (§9.4).
 */
export function responsesErrorCode(errorType: string | undefined, metadata: Record<string, unknown> = {}): string {
  if (typeof metadata.availability_code === 'string') return metadata.availability_code;
  if (!errorType) return 'server_error';
  return errorCodes[errorType] ?? errorType;
}

/** OpenAI's error `type` for an HTTP status. */
export function openAiErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 402) return 'insufficient_quota';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  return status >= 500 ? 'server_error' : 'invalid_request_error';
}

export function responsesErrorObject(status: number, message: string, errorType: string | undefined, metadata: Record<string, unknown>): Record<string, unknown> {
  const error: Record<string, unknown> = { code: responsesErrorCode(errorType, metadata), message, type: openAiErrorType(status), param: null };
  if (Object.keys(metadata).length > 0) error.metadata = metadata;
  return error;
}

/** `{id, object, status:"failed", error:{code, message, type, param, metadata}, error_type}` (reference §9.7). */
export function responsesErrorBody(error: GatewayError, generationId?: string): Record<string, unknown> {
  return {
    ...(generationId ? { id: generationId, object: 'response' } : {}),
    status: 'failed',
    error: responsesErrorObject(error.status, error.message, error.errorType, error.metadata),
    error_type: error.errorType,
  };
}

export const responsesErrors: FamilyErrors = {
  error: (error, generationId) => ({ status: error.status, body: responsesErrorBody(error, generationId), headers: error.headers }),
  streamError: (error) => {
    const object = responsesErrorObject(error.status, error.message, error.errorType, {});
    return sseEvent('error', JSON.stringify({ type: 'error', code: object.code, message: error.message, param: null, error: object, error_type: error.errorType })) + 'data: [DONE]\n\n';
  },
};
