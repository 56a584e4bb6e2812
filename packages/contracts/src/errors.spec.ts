import { AvailabilityError, GatewayError, PaymentRequiredError, RateLimitError, toGatewayError } from './errors.js';
import { hashApiKey, maskApiKey, newApiKey, newGenerationId } from './ids.js';

describe('GatewayError', () => {
  it('renders the OpenRouter envelope with the status as code and the error_type in metadata', () => {
    const error = new PaymentRequiredError('Insufficient credits', { available: '0.01' });
    expect(error.toEnvelope()).toEqual({ error: { code: 402, message: 'Insufficient credits', metadata: { error_type: 'payment_required', available: '0.01' } } });
  });

  it('survives serialisation across NATS with its status, type, metadata and headers', () => {
    const original = new RateLimitError('Rate limit exceeded: free-models-per-minute', { retryAfterSeconds: 12.2, metadata: { limit: 20 } });
    const copy = GatewayError.fromJSON(JSON.parse(JSON.stringify(original.toJSON())));
    expect(GatewayError.isInstance(copy)).toBe(true);
    expect(copy.status).toBe(429);
    expect(copy.errorType).toBe('rate_limit_exceeded');
    expect(copy.metadata).toEqual({ limit: 20 });
    expect(copy.headers).toEqual({ 'Retry-After': '13' });
  });

  it('carries the availability object of model-availability failures', () => {
    const error = new AvailabilityError(404, 'privacy_restricted', 'No endpoints found matching your data policy', { requested_models: ['a/b'], excluded_by: ['data_policy:training'] });
    expect(error.toEnvelope().error.metadata).toMatchObject({ availability_code: 'privacy_restricted', availability: { code: 'privacy_restricted', requested_models: ['a/b'], excluded_by: ['data_policy:training'], retryable: false } });
  });

  it('masks anything that is not a GatewayError as a 500 without leaking its message', () => {
    const error = toGatewayError(new Error('database password is hunter2'));
    expect(error.status).toBe(500);
    expect(error.message).toBe('Internal server error');
  });
});

describe('ids and keys', () => {
  it('makes generation ids in OpenRouter\'s gen-<unix>-<20 alphanumerics> shape', () => {
    expect(newGenerationId(1_739_458_867_000)).toMatch(/^gen-1739458867-[A-Za-z0-9]{20}$/);
  });

  it('makes keys that are only ever stored as a stable SHA-256 hash, and masks them for display', () => {
    const key = newApiKey();
    expect(key).toMatch(/^sk-sy-v1-[0-9a-f]{64}$/);
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey(key)).toBe(hashApiKey(key));
    expect(hashApiKey(key)).not.toContain(key.slice(9));
    expect(maskApiKey(key)).toBe(`${key.slice(0, 12)}...${key.slice(-4)}`);
  });
});
