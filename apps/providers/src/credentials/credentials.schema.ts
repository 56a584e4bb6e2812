import { BadRequestError } from '@switchyard/contracts';
import { z } from 'zod';

export const providerSlugSchema = z.string().max(64).regex(/^[a-z0-9][a-z0-9-]*$/, 'a provider slug (lower-case letters, digits and dashes)');

/** Account ids are opaque to this service: printable ASCII without spaces. */
export const accountIdSchema = z.string().min(1).max(128).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

/** An API key goes into an HTTP header: printable ASCII without spaces or line breaks. */
export const apiKeySchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(8_192)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces or line breaks');

export const createCredentialSchema = z.strictObject({
  provider: providerSlugSchema,
  apiKey: apiKeySchema,
  /** Absent (or null) for a platform key; an account id for that account's own key (BYOK). */
  accountId: accountIdSchema.nullish(),
});
export type CreateCredential = z.infer<typeof createCredentialSchema>;

export const listCredentialsQuerySchema = z.object({
  provider: providerSlugSchema.optional(),
  accountId: accountIdSchema.optional(),
});

export const deleteCredentialQuerySchema = z.object({
  accountId: accountIdSchema.optional(),
});

/** Parses admin input; a bad one is a 400 naming every offending path, never a 500. */
export function parseInput<Schema extends z.ZodType>(schema: Schema, input: unknown, what: string): z.infer<Schema> {
  const result = schema.safeParse(input ?? {});
  if (!result.success) {
    const issues = result.error.issues.map((issue) => ({ path: issue.path.join('.') || '(root)', message: issue.message }));
    throw new BadRequestError(`Invalid ${what}: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`, { issues });
  }
  return result.data;
}
