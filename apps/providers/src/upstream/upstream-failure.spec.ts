import { classifyTransportError, flattenHeaders, interruptError } from './upstream-failure.js';

const timeouts = { connectMs: 1_000, firstTokenMs: 2_000, idleMs: 300 };

function codeError(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

describe('classifyTransportError', () => {
  it('maps a refused or reset connection before headers to a retryable 502 in the connect phase', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'ENOTFOUND']) {
      expect(classifyTransportError(codeError(code), { headersReceived: false, contentStarted: false, timeouts })).toEqual({
        status: 502,
        errorType: 'provider_unavailable',
        retryable: true,
        phase: 'connect',
        message: `Could not connect to the upstream (${code})`,
      });
    }
  });

  it('reports a connection that broke mid-body in the body phase', () => {
    expect(classifyTransportError(codeError('UND_ERR_SOCKET', 'other side closed'), { headersReceived: true, contentStarted: true, timeouts })).toMatchObject({ status: 502, phase: 'body', retryable: true });
  });

  it('finds the code on a wrapped cause (fetch-style errors)', () => {
    const wrapped = Object.assign(new TypeError('fetch failed'), { cause: codeError('ECONNREFUSED') });
    expect(classifyTransportError(wrapped, { headersReceived: false, contentStarted: false, timeouts })).toMatchObject({ message: 'Could not connect to the upstream (ECONNREFUSED)' });
  });

  it("maps undici's own timeouts to the attempt's phases", () => {
    expect(classifyTransportError(codeError('UND_ERR_HEADERS_TIMEOUT'), { headersReceived: false, contentStarted: false, timeouts })).toMatchObject({ status: 504, errorType: 'timeout', phase: 'connect', retryable: true });
    expect(classifyTransportError(codeError('UND_ERR_CONNECT_TIMEOUT'), { headersReceived: false, contentStarted: false, timeouts })).toMatchObject({ errorType: 'timeout', phase: 'connect' });
    expect(classifyTransportError(codeError('UND_ERR_BODY_TIMEOUT'), { headersReceived: true, contentStarted: false, timeouts })).toMatchObject({ errorType: 'timeout', phase: 'first-token' });
    expect(classifyTransportError(codeError('UND_ERR_BODY_TIMEOUT'), { headersReceived: true, contentStarted: true, timeouts })).toMatchObject({ errorType: 'timeout', phase: 'idle' });
  });

  it('keeps an unknown error retryable and bounded in length', () => {
    const error = classifyTransportError(new Error('x'.repeat(1_000)), { headersReceived: false, contentStarted: false, timeouts });
    expect(error).toMatchObject({ status: 502, retryable: true });
    expect(error.message.length).toBeLessThanOrEqual(300);
  });
});

describe('interruptError', () => {
  it('classifies timeouts, cancels and shutdowns', () => {
    expect(interruptError({ kind: 'timeout', phase: 'idle', limitMs: 300 }, true)).toEqual({ status: 504, errorType: 'timeout', retryable: true, phase: 'idle', message: 'The upstream stalled for more than 300 ms between tokens' });
    expect(interruptError({ kind: 'cancelled', reason: 'client-cancelled' }, true)).toMatchObject({ status: 499, retryable: false, phase: 'cancelled' });
    expect(interruptError({ kind: 'shutdown' }, false)).toMatchObject({ status: 502, errorType: 'provider_unavailable', retryable: true, phase: 'connect' });
    expect(interruptError({ kind: 'shutdown' }, true)).toMatchObject({ phase: 'body' });
  });
});

describe('flattenHeaders', () => {
  it('lower-cases names and joins repeated values', () => {
    expect(flattenHeaders({ 'Retry-After': '3', 'set-cookie': ['a', 'b'], missing: undefined })).toEqual({ 'retry-after': '3', 'set-cookie': 'a, b' });
  });
});
