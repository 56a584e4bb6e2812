import { limitResetSchema } from '@switchyard/contracts';
import { z } from 'zod';
import { nonNegativeMoneySchema } from '../common/money-input.js';
import { isoUtcSchema } from '../keys/key-body.schema.js';

const methodSchema = z.enum(['S256', 'plain']);
/** RFC 7636: a verifier (and so a plain challenge) is 43–128 characters of [A-Za-z0-9-._~]; an S256 challenge is 43. */
const pkceSchema = z.string().regex(/^[A-Za-z0-9\-._~]{43,128}$/, 'must be 43 to 128 characters of A-Z, a-z, 0-9, "-", ".", "_", "~" (RFC 7636)');

/** `POST /api/v1/auth/keys/code`: a code the account's app exchanges for a key, with that key's limits. */
export const authCodeCreateBodySchema = z
  .object({
    callback_url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    code_challenge: pkceSchema.optional(),
    code_challenge_method: methodSchema.optional(),
    limit: nonNegativeMoneySchema.nullable().optional(),
    usage_limit_type: limitResetSchema.nullable().optional(),
    expires_at: isoUtcSchema.nullable().optional(),
    key_label: z.string().trim().min(1).max(200).optional(),
    workspace_id: z.string().optional(),
  })
  .refine((body) => body.code_challenge_method === undefined || body.code_challenge !== undefined, { message: 'code_challenge_method needs a code_challenge', path: ['code_challenge'] });
export type AuthCodeCreateBody = z.infer<typeof authCodeCreateBodySchema>;

/** `POST /api/v1/auth/keys`: the code, and the verifier when the code was created with a challenge. */
export const authCodeExchangeBodySchema = z.object({
  code: z.string().min(1).max(200),
  code_verifier: z.string().min(1).max(200).optional(),
  code_challenge_method: methodSchema.optional(),
});
export type AuthCodeExchangeBody = z.infer<typeof authCodeExchangeBodySchema>;
