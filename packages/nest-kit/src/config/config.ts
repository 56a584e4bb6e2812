import { z } from 'zod';

/** Thrown at boot when the environment is invalid; lists every bad key at once (fail fast). */
export class ConfigError extends Error {
  constructor(readonly issues: Array<{ key: string; message: string }>) {
    super(`Invalid configuration:\n${issues.map((issue) => `  - ${issue.key}: ${issue.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Environment booleans: "true"/"1"/"yes" and "false"/"0"/"no". */
export const envBoolean = z
  .union([z.boolean(), z.string()])
  .transform((value, context) => {
    if (typeof value === 'boolean') return value;
    const normalised = value.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(normalised)) return true;
    if (['false', '0', 'no', 'off', ''].includes(normalised)) return false;
    context.addIssue({ code: 'custom', message: `expected a boolean, got "${value}"` });
    return z.NEVER;
  });

export const envPort = z.coerce.number().int().min(0).max(65535);

/** What every service reads. Apps extend it with their own keys. */
export const baseConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/switchyard'),
  /** Bearer token of every admin endpoint. Required in production; a fixed development token otherwise. */
  ADMIN_TOKEN: z.string().min(8).optional(),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
  LOG_FORMAT: z.enum(['text', 'json']).default('text'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().optional(),
  /** Parent-based ratio sampler for new traces, 0..1. */
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(1),
  /** How long a graceful shutdown may take before the process exits anyway, ms. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
});
export type BaseConfig = z.infer<typeof baseConfigSchema>;

export const DEVELOPMENT_ADMIN_TOKEN = 'switchyard-dev-admin-token';

/**
 * Parses the environment once at boot into typed config. Every problem is reported together; nothing reads
 * process.env after this.
 */
export function parseConfig<Schema extends z.ZodType>(schema: Schema, env: NodeJS.ProcessEnv = process.env): z.infer<Schema> {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => ({ key: issue.path.join('.') || '(root)', message: issue.message })));
  }
  const config = result.data as z.infer<Schema> & Partial<BaseConfig>;
  if ('ADMIN_TOKEN' in (schema as unknown as z.ZodObject).shape && !config.ADMIN_TOKEN) {
    if (config.NODE_ENV === 'production') throw new ConfigError([{ key: 'ADMIN_TOKEN', message: 'required in production' }]);
    (config as Partial<BaseConfig>).ADMIN_TOKEN = DEVELOPMENT_ADMIN_TOKEN;
  }
  return config;
}
