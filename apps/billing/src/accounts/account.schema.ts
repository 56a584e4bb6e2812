import { z } from 'zod';
import { nonNegativeMoneySchema } from '../common/money-input.js';

const providerSlugSchema = z.string().trim().min(1).max(100);

const privacyPatchSchema = z
  .object({
    allowTraining: z.boolean().optional(),
    allowRetention: z.boolean().optional(),
    requireZdr: z.boolean().optional(),
    logPrompts: z.boolean().optional(),
  })
  .strict();

/** `POST /admin/accounts`. */
export const accountCreateBodySchema = z
  .object({
    name: z.string().trim().min(1, 'is required').max(200),
    overdraft: nonNegativeMoneySchema.optional(),
    privacy: privacyPatchSchema.optional(),
  })
  .strict();
export type AccountCreateBody = z.infer<typeof accountCreateBodySchema>;

/** `PATCH /admin/accounts/:id`. */
export const accountPatchBodySchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    overdraft: nonNegativeMoneySchema.optional(),
    privacy: privacyPatchSchema.optional(),
    allowedProviders: z.array(providerSlugSchema).max(500).nullable().optional(),
    ignoredProviders: z.array(providerSlugSchema).max(500).optional(),
    disabled: z.boolean().optional(),
  })
  .strict();
export type AccountPatchBody = z.infer<typeof accountPatchBodySchema>;
