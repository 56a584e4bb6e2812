import { ConfigError, DEVELOPMENT_ADMIN_TOKEN, parseConfig } from '@switchyard/nest-kit';
import { routingConfigSchema } from './routing.config.js';

describe('routing config', () => {
  it('has production defaults: port 9081, schema routing, 5 s publications, 10 s cool-down', () => {
    const config = parseConfig(routingConfigSchema, {});
    expect(config).toMatchObject({
      PORT: 9081,
      DB_SCHEMA: 'routing',
      TABLE_PUBLISH_INTERVAL_MS: 5_000,
      BREAKER_MIN_FAILURES: 5,
      BREAKER_ERROR_RATE: 0.5,
      BREAKER_COOL_DOWN_MS: 10_000,
      PROBE_ENABLED: true,
      ADMIN_TOKEN: DEVELOPMENT_ADMIN_TOKEN,
    });
  });

  it('lists every bad key at once', () => {
    let error: unknown;
    try {
      parseConfig(routingConfigSchema, { BREAKER_ERROR_RATE: '2', DB_SCHEMA: 'Routing-1', PROBE_ENABLED: 'maybe', BREAKER_COOL_DOWN_MS: '5000', BREAKER_MAX_COOL_DOWN_MS: '1000' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((issue) => issue.key).sort()).toEqual(['BREAKER_ERROR_RATE', 'DB_SCHEMA', 'PROBE_ENABLED']);
  });

  it('rejects a maximum cool-down below the first one', () => {
    expect(() => parseConfig(routingConfigSchema, { BREAKER_COOL_DOWN_MS: '5000', BREAKER_MAX_COOL_DOWN_MS: '1000' })).toThrow(/BREAKER_MAX_COOL_DOWN_MS/);
  });

  it('requires an admin token in production', () => {
    expect(() => parseConfig(routingConfigSchema, { NODE_ENV: 'production' })).toThrow(/ADMIN_TOKEN/);
  });
});
