import { baseConfigSchema, envPort } from '@switchyard/nest-kit';
import { z } from 'zod';
import { parseKnobsJson, type KnobsByModel } from '../knobs/knobs.schema.js';

export const simulatorConfigSchema = baseConfigSchema.extend({
  /** Admin HTTP port (health, metrics, knobs, usage). */
  PORT: envPort.default(9086),
  /** Port of the simulated upstream providers (plain node:http). */
  SIMULATOR_PORT: envPort.default(8090),
  SIMULATOR_HOST: z.string().default('0.0.0.0'),
  /** When set, upstream requests must present exactly this key; otherwise any non-empty key is accepted. */
  SIMULATOR_API_KEY: z
    .string()
    .optional()
    .transform((value) => (value === undefined || value === '' ? undefined : value)),
  /** Knobs per model at boot (and after POST /admin/reset), JSON: {"*": {...}, "<model>": {...}}. */
  SIMULATOR_KNOBS: z
    .string()
    .optional()
    .transform((value, context): KnobsByModel => {
      try {
        return parseKnobsJson(value);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  /** Largest accepted upstream request body. */
  SIMULATOR_BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(20 * 1024 * 1024),
  /** Words of a text answer when neither the knobs nor max_tokens say otherwise. */
  DEFAULT_COMPLETION_TOKENS: z.coerce.number().int().min(0).max(1_000_000).default(24),
  /** Words of a reasoning text when the knobs do not say otherwise. */
  DEFAULT_REASONING_TOKENS: z.coerce.number().int().min(0).max(1_000_000).default(16),
  /** Embedding dimension when the request gives none. */
  DEFAULT_EMBEDDING_DIMENSIONS: z.coerce.number().int().min(1).max(65_536).default(8),
});

export type SimulatorConfig = z.infer<typeof simulatorConfigSchema>;

export const SIMULATOR_CONFIG = Symbol('SIMULATOR_CONFIG');
