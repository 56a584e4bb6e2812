import { keyCreateBodySchema, keyUpdateBodySchema } from './key-body.schema.js';

describe('key bodies', () => {
  it('requires a name and normalises limits to exact decimal strings', () => {
    expect(keyCreateBodySchema.safeParse({}).success).toBe(false);
    expect(keyCreateBodySchema.safeParse({ name: '  ' }).success).toBe(false);
    expect(keyCreateBodySchema.parse({ name: 'ci', limit: 0.1, limit_reset: 'weekly' })).toEqual({ name: 'ci', limit: '0.1', limit_reset: 'weekly' });
    expect(keyCreateBodySchema.parse({ name: 'ci', limit: '12.50' }).limit).toBe('12.5');
    expect(keyCreateBodySchema.parse({ name: 'ci', limit: null }).limit).toBeNull();
    expect(keyCreateBodySchema.safeParse({ name: 'ci', limit: -1 }).success).toBe(false);
    expect(keyCreateBodySchema.safeParse({ name: 'ci', limit: 'lots' }).success).toBe(false);
    expect(keyCreateBodySchema.safeParse({ name: 'ci', limit_reset: 'yearly' }).success).toBe(false);
  });

  it('accepts expires_at only in UTC', () => {
    expect(keyCreateBodySchema.parse({ name: 'a', expires_at: '2030-01-01T00:00:00Z' }).expires_at).toBe('2030-01-01T00:00:00.000Z');
    expect(keyCreateBodySchema.parse({ name: 'a', expires_at: '2030-01-01T10:30:00.123+00:00' }).expires_at).toBe('2030-01-01T10:30:00.123Z');
    for (const value of ['2030-01-01T00:00:00+02:00', '2030-01-01T00:00:00-05:00', '2030-01-01', '2030-01-01T00:00:00', 'tomorrow', '2030-13-45T00:00:00Z']) {
      expect(keyCreateBodySchema.safeParse({ name: 'a', expires_at: value }).success).toBe(false);
    }
  });

  it('updates only the documented fields', () => {
    expect(keyUpdateBodySchema.parse({ disabled: true, limit: 5, ignored: 'x' })).toEqual({ disabled: true, limit: '5' });
    expect(keyUpdateBodySchema.safeParse({ disabled: 'yes' }).success).toBe(false);
  });
});
