import { guardrailActionSchema, guardrailDetectorSchema } from '@switchyard/contracts';
import { z } from 'zod';
import { nonNegativeMoneySchema, signedMoneySchema } from '../common/money-input.js';

const providerSlugSchema = z.string().trim().min(1).max(100);

const privacyPatchSchema = z
  .object({
    allowTraining: z.boolean().optional(),
    allowRetention: z.boolean().optional(),
    requireZdr: z.boolean().optional(),
    logPrompts: z.boolean().optional(),
  })
  .strict();

/** Spend alerts: raised when the balance drops below `balanceBelow`, or the spend of a UTC day passes `dailySpendAbove`. */
const alertsSchema = z
  .object({
    balanceBelow: signedMoneySchema.nullable().optional(),
    dailySpendAbove: nonNegativeMoneySchema.nullable().optional(),
  })
  .strict();

const unique = <T>(values: T[]) => [...new Set(values)];

/** Guardrails: each list given replaces the account's (an empty list clears it); `action` block or redact. */
export const guardrailsPatchSchema = z
  .object({
    detectors: z.array(guardrailDetectorSchema).max(20).transform(unique).optional(),
    keywords: z.array(z.string().trim().min(1, 'must not be empty').max(200)).max(100).transform(unique).optional(),
    action: guardrailActionSchema.optional(),
  })
  .strict();

/** A key's own guardrails (`guardrails` on `/keys`): the lists and action given, the rest empty / block; null removes them. */
export const keyGuardrailsSchema = guardrailsPatchSchema
  .transform((guardrails) => ({ detectors: guardrails.detectors ?? [], keywords: guardrails.keywords ?? [], action: guardrails.action ?? ('block' as const) }))
  .refine((guardrails) => guardrails.detectors.length + guardrails.keywords.length > 0, { message: 'must name a detector or a keyword (null removes the key\'s guardrails)' })
  .nullable();

/** `POST /admin/accounts`. */
export const accountCreateBodySchema = z
  .object({
    name: z.string().trim().min(1, 'is required').max(200),
    overdraft: nonNegativeMoneySchema.optional(),
    privacy: privacyPatchSchema.optional(),
    alerts: alertsSchema.optional(),
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
    alerts: alertsSchema.optional(),
    guardrails: guardrailsPatchSchema.optional(),
  })
  .strict();
export type AccountPatchBody = z.infer<typeof accountPatchBodySchema>;
