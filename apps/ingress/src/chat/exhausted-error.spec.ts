import type { PlannedAttempt } from '@switchyard/routing-policy';
import type { UpstreamError } from '@switchyard/llm-spec';
import { exhaustedError } from './generation-pipeline.service.js';

function failure(provider: string, error: Partial<UpstreamError> & { status: number }): { attempt: PlannedAttempt; error: UpstreamError } {
  return {
    attempt: { endpoint: { providerSlug: provider }, provider: { name: provider.toUpperCase() }, model: { id: 'm/x' }, isByok: false } as unknown as PlannedAttempt,
    error: { errorType: 'server', message: 'boom', retryable: true, ...error } as UpstreamError,
  };
}

describe('exhaustedError', () => {
  it('answers 429 with the smallest Retry-After when every provider rate-limited', () => {
    const error = exhaustedError([failure('a', { status: 429, errorType: 'rate_limit_exceeded', retryAfterMs: 9000 }), failure('b', { status: 429, errorType: 'rate_limit_exceeded', retryAfterMs: 2500 })]);
    expect(error.status).toBe(429);
    expect(error.headers['Retry-After']).toBe('3');
    expect(error.metadata.previous_errors).toHaveLength(2);
  });

  it('maps upstream 5xx to 502 with masked messages and lists every provider tried', () => {
    const error = exhaustedError([failure('a', { status: 503, errorType: 'provider_overloaded' }), failure('b', { status: 500, errorType: 'server', message: 'secret stack trace' })]);
    expect(error.status).toBe(502);
    expect(JSON.stringify(error.toEnvelope())).not.toContain('secret stack trace');
    expect(error.toEnvelope().error.metadata).toMatchObject({ provider_name: 'B', previous_errors: [{ provider: 'a', code: 503 }, { provider: 'b', code: 500 }] });
  });

  it('passes a request error (4xx) through with its message, and timeouts as 504', () => {
    expect(exhaustedError([failure('a', { status: 400, errorType: 'context_length_exceeded', message: 'prompt too long', retryable: false })]).toEnvelope().error).toMatchObject({ code: 400, message: 'prompt too long' });
    expect(exhaustedError([failure('a', { status: 504, errorType: 'timeout' })]).status).toBe(504);
  });
});
