import { limitResetSchema } from '@switchyard/contracts';
import { z } from 'zod';
import { keyGuardrailsSchema } from '../accounts/account.schema.js';
import { nonNegativeMoneySchema } from '../common/money-input.js';

/**
 * ISO 8601 in UTC only, as OpenRouter's `expires_at`: "2030-01-01T00:00:00Z" (or an explicit +00:00 offset).
 * Any other offset is rejected rather than silently converted.
 */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]00:?00)$/i;

export const isoUtcSchema = z
  .string()
  .trim()
  .refine((value) => ISO_UTC.test(value), { message: 'must be an ISO 8601 UTC timestamp such as "2030-01-01T00:00:00Z"; other time zones are rejected' })
  .refine((value) => !Number.isNaN(Date.parse(value)), { message: 'is not a valid date' })
  .transform((value) => new Date(Date.parse(value)).toISOString());

const nameSchema = z.string().trim().min(1, 'is required').max(200);

/** A model pattern: `author/slug` with `*` wildcards ("anthropic/*", "openai/gpt-4o*", "*"), case-insensitive. */
const modelPatternSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[a-zA-Z0-9*~][a-zA-Z0-9._:*~/-]*$/, 'must be a model id or a pattern with * wildcards, such as "anthropic/*"');
/** The models a key may use; null (or absent) = every model. */
const allowedModelsSchema = z.array(modelPatternSchema).min(1, 'must name at least one model (null allows every model)').max(100).nullable();
const limitSchema = nonNegativeMoneySchema.nullable();
/** A user limit of 0 would refuse every identified user: at least a hundredth of a cent. */
const userLimitSchema = nonNegativeMoneySchema.refine((value) => Number(value) > 0, 'must be more than 0 (null removes the limit)').nullable();

/** `POST /api/v1/keys` (and the admin key creation, which adds `kind`). */
export const keyCreateBodySchema = z.object({
  name: nameSchema,
  limit: limitSchema.optional(),
  limit_reset: limitResetSchema.nullable().optional(),
  include_byok_in_limit: z.boolean().optional(),
  expires_at: isoUtcSchema.nullable().optional(),
  creator_user_id: z.string().trim().min(1).max(200).nullable().optional(),
  /** The runaway stop: billing disables the key when it spends more than this in any trailing hour (USD; null = none). */
  max_spend_per_hour: limitSchema.optional(),
  /** Switchyard's model allowlist: the key may only use models matching one of these patterns (null = all). */
  allowed_models: allowedModelsSchema.optional(),
  /** The key's own guardrails, applied with the account's (null = none). */
  guardrails: keyGuardrailsSchema.optional(),
  /** Per-end-user budget: what each `user` of the requests may spend through the key per window (USD; null = none). */
  user_limit: userLimitSchema.optional(),
  /** The user limit's window (daily, weekly, monthly UTC); null = it never resets. */
  user_limit_reset: limitResetSchema.nullable().optional(),
});
export type KeyCreateBody = z.infer<typeof keyCreateBodySchema>;

export const adminKeyCreateBodySchema = keyCreateBodySchema.extend({
  kind: z.enum(['inference', 'management']).default('inference'),
});
export type AdminKeyCreateBody = z.infer<typeof adminKeyCreateBodySchema>;

/** `PATCH /api/v1/keys/{hash}`. */
export const keyUpdateBodySchema = z.object({
  name: nameSchema.optional(),
  disabled: z.boolean().optional(),
  limit: limitSchema.optional(),
  limit_reset: limitResetSchema.nullable().optional(),
  include_byok_in_limit: z.boolean().optional(),
  max_spend_per_hour: limitSchema.optional(),
  allowed_models: allowedModelsSchema.optional(),
  guardrails: keyGuardrailsSchema.optional(),
  user_limit: userLimitSchema.optional(),
  user_limit_reset: limitResetSchema.nullable().optional(),
});
export type KeyUpdateBody = z.infer<typeof keyUpdateBodySchema>;
