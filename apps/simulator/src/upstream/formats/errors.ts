/** The wire formats the simulator speaks; each renders errors in its provider's real shape. */
export type WireFormat = 'openai' | 'azure' | 'anthropic' | 'gemini';

/** Bad input found while parsing a request: rendered as the format's 4xx. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param?: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface ErrorOptions {
  param?: string;
  model?: string;
  retryAfterSeconds?: number;
  requestId?: string;
  /** An authentication failure (the provider's own wording and code). */
  authentication?: 'missing' | 'invalid';
}

const RETRY_STATUSES = new Set([429, 503, 529]);

export function renderError(format: WireFormat, status: number, message: string | undefined, options: ErrorOptions = {}): ErrorResponse {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (RETRY_STATUSES.has(status) && options.retryAfterSeconds !== undefined && options.retryAfterSeconds > 0) {
    headers['retry-after'] = String(options.retryAfterSeconds);
  }
  let body: unknown;
  switch (format) {
    case 'openai':
      body = openAiError(status, message, options);
      break;
    case 'azure':
      body = azureError(status, message, options);
      break;
    case 'anthropic':
      body = anthropicError(status, message, options);
      if (options.requestId) headers['request-id'] = options.requestId;
      break;
    case 'gemini':
      body = geminiError(status, message, options);
      break;
  }
  return { status, headers, body: JSON.stringify(body) };
}

function openAiError(status: number, message: string | undefined, options: ErrorOptions): unknown {
  if (options.authentication) {
    return {
      error: {
        message:
          options.authentication === 'missing'
            ? "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
            : 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
        type: 'invalid_request_error',
        param: null,
        code: options.authentication === 'missing' ? null : 'invalid_api_key',
      },
    };
  }
  if (status === 429) {
    return {
      error: {
        message: message ?? `Rate limit reached for ${options.model ?? 'this model'} on requests per min (RPM): simulated. Please try again in ${options.retryAfterSeconds ?? 1}s.`,
        type: 'requests',
        param: null,
        code: 'rate_limit_exceeded',
      },
    };
  }
  if (status >= 500) {
    const text = status === 503 ? 'The server is overloaded or not ready yet.' : status === 529 ? 'Overloaded' : 'The server had an error while processing your request. Sorry about that!';
    return { error: { message: message ?? text, type: 'server_error', param: null, code: null } };
  }
  return { error: { message: message ?? `Request failed with status ${status}`, type: 'invalid_request_error', param: options.param ?? null, code: status === 404 ? 'model_not_found' : null } };
}

function azureError(status: number, message: string | undefined, options: ErrorOptions): unknown {
  if (options.authentication) {
    return {
      error: {
        code: '401',
        message: 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
      },
    };
  }
  if (status === 429) {
    return {
      error: {
        code: '429',
        message:
          message ??
          `Requests to the ChatCompletions_Create Operation under Azure OpenAI API have exceeded call rate limit of your current pricing tier (simulated). Please retry after ${options.retryAfterSeconds ?? 1} seconds.`,
      },
    };
  }
  if (status === 400 || status === 422) return openAiError(status, message, options);
  if (status === 404) return { error: { code: message ? '404' : 'DeploymentNotFound', message: message ?? 'The API deployment for this resource does not exist.' } };
  if (status >= 500) return { error: { code: status === 500 ? 'InternalServerError' : String(status), message: message ?? 'The service is temporarily unable to process your request. Please try again later.' } };
  return { error: { code: String(status), message: message ?? `Request failed with status ${status}` } };
}

function anthropicErrorType(status: number): string {
  switch (status) {
    case 400:
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
      return 'timeout_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
    case 529:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

function anthropicError(status: number, message: string | undefined, options: ErrorOptions): unknown {
  const type = anthropicErrorType(status);
  const fallback =
    options.authentication !== undefined
      ? options.authentication === 'missing'
        ? 'x-api-key header is required'
        : 'invalid x-api-key'
      : type === 'rate_limit_error'
        ? 'This request would exceed the rate limit for your organization (simulated).'
        : type === 'overloaded_error'
          ? 'Overloaded'
          : type === 'api_error'
            ? 'Internal server error'
            : `Request failed with status ${status}`;
  return { type: 'error', error: { type, message: message ?? fallback }, request_id: options.requestId ?? null };
}

function geminiStatus(status: number): string {
  switch (status) {
    case 400:
    case 422:
      return 'INVALID_ARGUMENT';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      return 'NOT_FOUND';
    case 408:
    case 504:
      return 'DEADLINE_EXCEEDED';
    case 409:
      return 'ABORTED';
    case 429:
      return 'RESOURCE_EXHAUSTED';
    case 501:
      return 'UNIMPLEMENTED';
    case 503:
    case 529:
      return 'UNAVAILABLE';
    default:
      return status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION';
  }
}

function geminiError(status: number, message: string | undefined, options: ErrorOptions): unknown {
  if (options.authentication === 'invalid') {
    return {
      error: {
        code: 400,
        message: 'API key not valid. Please pass a valid API key.',
        status: 'INVALID_ARGUMENT',
        details: [
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
        ],
      },
    };
  }
  if (options.authentication === 'missing') {
    return {
      error: {
        code: 403,
        message: "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
        status: 'PERMISSION_DENIED',
      },
    };
  }
  const text =
    status === 429
      ? 'You exceeded your current quota, please check your plan and billing details (simulated).'
      : status === 503 || status === 529
        ? 'The model is overloaded. Please try again later.'
        : status >= 500
          ? 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting'
          : `Request failed with status ${status}`;
  const error: Record<string, unknown> = { code: status, message: message ?? text, status: geminiStatus(status) };
  if (status === 429) {
    error.details = [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${options.retryAfterSeconds ?? 1}s` }];
  }
  return { error };
}

/** The status a failed authentication gets in each format (Gemini answers a bad key with 400, a missing one with 403). */
export function authenticationStatus(format: WireFormat, failure: 'missing' | 'invalid'): number {
  if (format === 'gemini') return failure === 'missing' ? 403 : 400;
  return 401;
}
