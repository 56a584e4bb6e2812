import { z } from 'zod';
import { positiveMoneySchema, signedMoneySchema } from '../common/money-input.js';

export const topUpBodySchema = z
  .object({
    amount: positiveMoneySchema,
    method: z.enum(['card', 'crypto', 'grant']),
    /** Retrying a top-up with the same key returns the first one instead of crediting twice. */
    idempotencyKey: z.string().trim().min(1).max(200).optional(),
  })
  .strict();

export const refundBodySchema = z.object({ purchaseId: z.string().trim().min(1).max(200) }).strict();

export const adjustmentBodySchema = z
  .object({
    amount: signedMoneySchema.refine((value) => value !== '0', { message: 'must not be 0' }),
    reason: z.string().trim().min(1, 'is required').max(500),
  })
  .strict();

export const ledgerQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z
    .string()
    .regex(/^\d{1,18}$/, 'must be a ledger entry id')
    .optional(),
});

export const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

export const accountIdSchema = z.string().trim().min(1).max(200);
