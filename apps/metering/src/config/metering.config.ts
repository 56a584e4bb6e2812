import { baseConfigSchema, envPort } from '@switchyard/nest-kit';
import { z } from 'zod';

/** The metering service's environment, parsed once at boot (every bad key is listed at once). */
export const meteringConfigSchema = baseConfigSchema.extend({
  PORT: envPort.default(9083),
  DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'a lower-case Postgres identifier')
    .default('metering'),
  DB_POOL_SIZE: z.coerce.number().int().min(2).max(100).default(10),
  /** Events stored per database transaction (one multi-row insert). */
  CONSUMER_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(250),
  /** JetStream redelivers a message not acked within this time (applies when the durable consumer is created). */
  CONSUMER_ACK_WAIT_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  /** How often each consumer's lag is read from JetStream (and a lost stream re-created), ms. */
  CONSUMER_LAG_POLL_MS: z.coerce.number().int().min(100).default(5_000),
  /** An attempt's usage with no `generation-completed` after this long is reconciled into a placeholder record. */
  RECONCILE_AFTER_MS: z.coerce.number().int().min(0).default(120_000),
  /** How often the reconciler looks for orphaned attempt usage. */
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(50).default(15_000),
  /** Generations reconciled per pass (a full pass schedules the next one at once). */
  RECONCILE_BATCH_SIZE: z.coerce.number().int().min(1).max(5_000).default(500),
  /** Resolved attempt-usage rows are deleted after this many days (0 keeps them forever). */
  ATTEMPT_USAGE_RETENTION_DAYS: z.coerce.number().int().min(0).default(7),
});
export type MeteringConfig = z.infer<typeof meteringConfigSchema>;

export const METERING_CONFIG = Symbol('METERING_CONFIG');
