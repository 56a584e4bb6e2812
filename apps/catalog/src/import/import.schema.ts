import { z } from 'zod';

/** `POST /admin/import`: exactly one of `models` (a `/models` response or its data array) and `url`. */
export const importRequestSchema = z
  .object({
    models: z.unknown().optional(),
    url: z.string().min(1).optional(),
    /** The provider slug the imported endpoints belong to (must exist). */
    provider: z.string().min(1),
    upstreamModelIdFrom: z.enum(['id', 'canonical_slug']).default('id'),
    dryRun: z.boolean().default(false),
    /** Also disable the provider's active endpoints that the list no longer has. */
    disableMissing: z.boolean().default(false),
  })
  .strict()
  .refine((body) => (body.models === undefined) !== (body.url === undefined), {
    message: 'send exactly one of "models" (an OpenRouter /models response or its data array) and "url"',
    path: ['models'],
  });
export type ImportRequest = z.infer<typeof importRequestSchema>;
