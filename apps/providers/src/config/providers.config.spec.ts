import { ConfigError } from '@switchyard/nest-kit';
import { randomBytes } from 'node:crypto';
import { DEVELOPMENT_SECRETS_KEY, loadProvidersConfig, platformKeyEnvName, platformKeysFromEnv } from './providers.config.js';

describe('providers configuration', () => {
  it('reads platform keys from PROVIDER_API_KEY_<SLUG_IN_UPPER_SNAKE>', () => {
    expect(platformKeyEnvName('together-ai')).toBe('PROVIDER_API_KEY_TOGETHER_AI');
    expect(platformKeysFromEnv({ PROVIDER_API_KEY_GROQ: ' gsk_1 ', PROVIDER_API_KEY_TOGETHER_AI: 'tg', PROVIDER_API_KEY_EMPTY: '', OTHER: 'x' })).toEqual({ groq: 'gsk_1', 'together-ai': 'tg' });
  });

  it('decodes SECRETS_KEY (32 bytes, base64) and has defaults for the rest', () => {
    const key = randomBytes(32);
    const config = loadProvidersConfig({ SECRETS_KEY: key.toString('base64'), PROVIDER_API_KEY_GROQ: 'gsk' });
    expect(config.secretsKey.equals(key)).toBe(true);
    expect(config.usingDevelopmentSecretsKey).toBe(false);
    expect(config).toMatchObject({ PORT: 9082, DB_SCHEMA: 'providers', platformApiKeys: { groq: 'gsk' } });
    expect(config.SECRETS_KEY).toBeUndefined();
  });

  it('falls back to the development key outside production and requires SECRETS_KEY in production', () => {
    const development = loadProvidersConfig({});
    expect(development.usingDevelopmentSecretsKey).toBe(true);
    expect(development.secretsKey.equals(DEVELOPMENT_SECRETS_KEY)).toBe(true);
    expect(() => loadProvidersConfig({ NODE_ENV: 'production', ADMIN_TOKEN: 'admin-token-123' })).toThrow(/SECRETS_KEY: required in production/);
  });

  it('refuses a SECRETS_KEY of the wrong size or encoding', () => {
    expect(() => loadProvidersConfig({ SECRETS_KEY: randomBytes(16).toString('base64') })).toThrow(ConfigError);
    expect(() => loadProvidersConfig({ SECRETS_KEY: 'not base64 !!' })).toThrow(/base64/);
  });

  it('requires the drain window to fit inside the shutdown deadline', () => {
    expect(() => loadProvidersConfig({ SHUTDOWN_DRAIN_MS: '10000', SHUTDOWN_TIMEOUT_MS: '5000' })).toThrow(/SHUTDOWN_DRAIN_MS/);
  });
});
