import { catalogSnapshotSchema } from '@switchyard/llm-spec';
import { z } from 'zod';

export const catalogSnapshotReplySchema = catalogSnapshotSchema;

/** `sy.catalog.changed.v1` (core NATS): the catalog moved to `version`; caches fetch a new snapshot. */
export const catalogChangedSchema = z.object({
  version: z.number().int().nonnegative(),
  at: z.string(),
  changes: z.array(z.object({ kind: z.enum(['provider', 'model', 'endpoint', 'alias', 'import']), id: z.string(), action: z.enum(['created', 'updated', 'disabled', 'deleted']) })).default([]),
});
export type CatalogChanged = z.input<typeof catalogChangedSchema>;
