import { baseConfigSchema, ConfigError, envPort, parseConfig } from '@switchyard/nest-kit';
import { createHash } from 'node:crypto';
import { z } from 'zod';

/** Platform keys come from `PROVIDER_API_KEY_<SLUG_IN_UPPER_SNAKE>` (e.g. `PROVIDER_API_KEY_TOGETHER_AI`). */
export const PLATFORM_KEY_ENV_PREFIX = 'PROVIDER_API_KEY_';

export const providersConfigSchema = baseConfigSchema.extend({
  PORT: envPort.default(9082),
  DB_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'a lower-case Postgres identifier').default('providers'),
  /** AES-256-GCM key for stored provider credentials: base64 of exactly 32 bytes. Required in production. */
  SECRETS_KEY: z.string().optional(),
  /** Upper bound of keep-alive connections to one upstream origin. */
  UPSTREAM_CONNECTIONS_PER_ORIGIN: z.coerce.number().int().positive().max(10_000).default(256),
  /** How long an idle keep-alive connection to an upstream is kept, ms (the upstream's own hint wins when shorter). */
  UPSTREAM_KEEPALIVE_MS: z.coerce.number().int().positive().default(30_000),
  /** TCP + TLS connect bound of the connection pool, ms (the attempt's `connectMs` usually fires first). */
  UPSTREAM_SOCKET_CONNECT_MS: z.coerce.number().int().positive().default(10_000),
  /** Largest non-streaming upstream body read, bytes. */
  UPSTREAM_MAX_RESPONSE_BYTES: z.coerce.number().int().positive().default(32 * 1024 * 1024),
  /** Largest frame published to a caller's inbox, bytes (capped by the NATS server's max_payload). */
  FRAME_MAX_BYTES: z.coerce.number().int().min(4_096).default(256 * 1024),
  /** On shutdown, how long in-flight attempts may run to completion before they are aborted, ms. */
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().nonnegative().default(8_000),
  /** Safety-net reload of the credential cache, ms (invalidation events are the primary path). */
  CREDENTIALS_REFRESH_MS: z.coerce.number().int().positive().default(60_000),
});

export type ProvidersEnvConfig = z.infer<typeof providersConfigSchema>;

export interface ProvidersConfig extends ProvidersEnvConfig {
  ADMIN_TOKEN: string;
  /** The 32-byte credential encryption key (decoded). */
  secretsKey: Buffer;
  /** True when no SECRETS_KEY was given and the fixed development key is in use. */
  usingDevelopmentSecretsKey: boolean;
  /** Platform keys from the environment, by provider slug. */
  platformApiKeys: Record<string, string>;
}

/** The fixed development key used when SECRETS_KEY is absent outside production. Never for real secrets. */
export const DEVELOPMENT_SECRETS_KEY = createHash('sha256').update('switchyard-development-secrets-key').digest();

/** `together-ai` → `PROVIDER_API_KEY_TOGETHER_AI`. */
export function platformKeyEnvName(providerSlug: string): string {
  return PLATFORM_KEY_ENV_PREFIX + providerSlug.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** Every `PROVIDER_API_KEY_<SLUG>` of the environment, keyed by slug (`TOGETHER_AI` → `together-ai`). */
export function platformKeysFromEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(PLATFORM_KEY_ENV_PREFIX) || value === undefined) continue;
    const key = value.trim();
    const suffix = name.slice(PLATFORM_KEY_ENV_PREFIX.length);
    if (key === '' || !/^[A-Z0-9][A-Z0-9_]*$/.test(suffix)) continue;
    keys[suffix.toLowerCase().replace(/_/g, '-')] = key;
  }
  return keys;
}

function decodeSecretsKey(raw: string): Buffer {
  const trimmed = raw.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) throw new ConfigError([{ key: 'SECRETS_KEY', message: 'must be base64 (32 random bytes, e.g. `openssl rand -base64 32`)' }]);
  const key = Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64');
  if (key.length !== 32) throw new ConfigError([{ key: 'SECRETS_KEY', message: `must decode to exactly 32 bytes (got ${key.length})` }]);
  return key;
}

/**
 * Parses the environment once at boot (fail fast, every bad key listed): the shared keys, this service's own, the
 * credential encryption key (required in production) and the platform keys named by `PROVIDER_API_KEY_*`.
 */
export function loadProvidersConfig(env: NodeJS.ProcessEnv = process.env): ProvidersConfig {
  const parsed = parseConfig(providersConfigSchema, env) as ProvidersEnvConfig;
  if (parsed.SHUTDOWN_DRAIN_MS >= parsed.SHUTDOWN_TIMEOUT_MS) {
    throw new ConfigError([{ key: 'SHUTDOWN_DRAIN_MS', message: `must be shorter than SHUTDOWN_TIMEOUT_MS (${parsed.SHUTDOWN_TIMEOUT_MS})` }]);
  }
  let secretsKey: Buffer;
  let usingDevelopmentSecretsKey = false;
  if (parsed.SECRETS_KEY && parsed.SECRETS_KEY.trim() !== '') {
    secretsKey = decodeSecretsKey(parsed.SECRETS_KEY);
  } else if (parsed.NODE_ENV === 'production') {
    throw new ConfigError([{ key: 'SECRETS_KEY', message: 'required in production (base64 of 32 random bytes)' }]);
  } else {
    secretsKey = DEVELOPMENT_SECRETS_KEY;
    usingDevelopmentSecretsKey = true;
  }
  return {
    ...parsed,
    ADMIN_TOKEN: parsed.ADMIN_TOKEN!,
    SECRETS_KEY: undefined,
    secretsKey,
    usingDevelopmentSecretsKey,
    platformApiKeys: platformKeysFromEnv(env),
  };
}

/** Injection token of the parsed configuration (tests pass their own). */
export const PROVIDERS_CONFIG = Symbol('PROVIDERS_CONFIG');
