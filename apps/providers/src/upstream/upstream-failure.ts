import type { UpstreamError } from '@switchyard/llm-spec';
import type { TimeoutPhase } from '../attempts/attempt-timers.js';

/** Why this service itself ended an attempt early. */
export type InterruptCause = { kind: 'timeout'; phase: TimeoutPhase; limitMs: number } | { kind: 'cancelled'; reason: string } | { kind: 'shutdown' };

/** Gateway-side timeouts: retryable (another endpoint may answer), `timeout` (504), with the phase that ran out. */
export function timeoutError(phase: TimeoutPhase, limitMs: number): UpstreamError {
  const message =
    phase === 'connect'
      ? `The upstream did not send response headers within ${limitMs} ms`
      : phase === 'first-token'
        ? `The upstream sent no first token within ${limitMs} ms`
        : `The upstream stalled for more than ${limitMs} ms between tokens`;
  return { status: 504, errorType: 'timeout', retryable: true, phase, message };
}

/** An upstream answer larger than the configured limit: reading stopped there; another endpoint may do better. */
export function responseTooLargeError(limitBytes: number): UpstreamError {
  return { status: 502, errorType: 'provider_unavailable', retryable: true, phase: 'body', message: `The upstream response is larger than ${limitBytes} bytes` };
}

/** The caller cancelled (client went away, or its liveness check gave up): nothing to fail over to. */
export function cancelledError(reason: string): UpstreamError {
  return { status: 499, errorType: 'unmapped', retryable: false, phase: 'cancelled', message: `The attempt was cancelled (${reason})` };
}

/** This replica is shutting down and could not finish the attempt in time: another replica can run it. */
export function shutdownError(headersReceived: boolean): UpstreamError {
  return { status: 502, errorType: 'provider_unavailable', retryable: true, phase: headersReceived ? 'body' : 'connect', message: 'The providers replica running this attempt is shutting down' };
}

export function interruptError(cause: InterruptCause, headersReceived: boolean): UpstreamError {
  switch (cause.kind) {
    case 'timeout':
      return timeoutError(cause.phase, cause.limitMs);
    case 'cancelled':
      return cancelledError(cause.reason);
    case 'shutdown':
      return shutdownError(headersReceived);
  }
}

/** Error codes of a connection that failed or broke (Node's and undici's). */
const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPROTO',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_INFO',
  'UND_ERR_RESPONSE',
  'HPE_INVALID_CONSTANT',
  'HPE_INVALID_CHUNK_SIZE',
  'HPE_UNEXPECTED_CONTENT_LENGTH',
]);

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * An error thrown by the upstream call (not a status the upstream answered) → a typed upstream error.
 * `stage` is where the call was: before the response headers (`connect`) or reading the body (`body`, then
 * `content` says whether the first content part already came, to tell a first-token stall from an idle one).
 */
export function classifyTransportError(error: unknown, stage: { headersReceived: boolean; contentStarted: boolean; timeouts: { connectMs: number; firstTokenMs: number; idleMs: number } }): UpstreamError {
  const code = errorCode(error);
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return timeoutError('connect', stage.timeouts.connectMs);
  if (code === 'UND_ERR_BODY_TIMEOUT') {
    return stage.contentStarted ? timeoutError('idle', stage.timeouts.idleMs) : timeoutError('first-token', stage.timeouts.firstTokenMs);
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return timeoutError('connect', stage.timeouts.connectMs);
  const phase = stage.headersReceived ? 'body' : 'connect';
  const what = stage.headersReceived ? 'The upstream connection broke while reading the response' : 'Could not connect to the upstream';
  const known = code !== undefined && connectionCodes.has(code);
  return {
    status: 502,
    errorType: 'provider_unavailable',
    retryable: true,
    phase,
    message: known ? `${what} (${code})` : `${what}${code ? ` (${code})` : ''}: ${(error as Error)?.message ?? String(error)}`.slice(0, 300),
  };
}

/** undici's header record → the flat lower-case record adapters read (multi-valued headers joined). */
export function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
