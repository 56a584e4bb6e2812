import { baseConfigSchema, envPort } from '@switchyard/nest-kit';
import { z } from 'zod';

/** Comma-separated host names ("openrouter.ai,models.example.com"), lower-cased, blanks dropped. */
const hostList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((host) => host.trim().toLowerCase())
      .filter((host) => host.length > 0),
  );

export const catalogConfigSchema = baseConfigSchema.extend({
  PORT: envPort.default(9085),
  DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'a lower-case Postgres identifier')
    .default('catalog'),
  /** The simulator provider's base URL, applied at seed time and on every start (the launcher moves its port). */
  SIMULATOR_BASE_URL: z.url().default('http://127.0.0.1:8090/openai/v1'),
  /** Hosts `POST /admin/import {"url"}` may fetch from. */
  CATALOG_IMPORT_ALLOWED_HOSTS: hostList.default(['openrouter.ai']),
  /** Time limit of an import URL fetch, ms. */
  CATALOG_IMPORT_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  /** Size limit of an imported model list (fetched or posted), bytes; also the admin HTTP body limit. */
  CATALOG_IMPORT_MAX_BYTES: z.coerce.number().int().positive().default(16 * 1024 * 1024),
  /** Safety net for multi-replica deployments: how often a replica compares its snapshot version with Postgres, ms. */
  CATALOG_VERSION_CHECK_INTERVAL_MS: z.coerce.number().int().positive().default(10_000),
  /** A different seed file (JSON in the shape of seed/market.json); the bundled one when unset. */
  CATALOG_SEED_FILE: z.string().optional(),
  /** Largest page of the snapshot RPC's answer, bytes of JSON (capped below NATS' max_payload; see SnapshotHandler). */
  CATALOG_SNAPSHOT_PAGE_BYTES: z.coerce.number().int().min(1_024).default(512 * 1024),
});

export type CatalogConfig = z.infer<typeof catalogConfigSchema>;

/** Injection token of the parsed config (tests provide their own). */
export const CATALOG_CONFIG = Symbol('CATALOG_CONFIG');
