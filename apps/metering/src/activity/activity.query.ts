import { z } from 'zod';

/** A calendar date "YYYY-MM-DD" (UTC day), rejecting impossible dates such as 2025-02-30. */
export const isoDateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD')
  .refine((value) => {
    const date = new Date(`${value}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
  }, 'not a calendar date');

const identifier = z.string().min(1).max(256);

export const DEFAULT_WINDOW_DAYS = 30;

/** `from`/`to` (inclusive UTC days); by default the last 30 days up to today. */
export function resolveWindow(from: string | undefined, to: string | undefined, today = new Date()): { from: string; to: string } {
  const end = to ?? today.toISOString().slice(0, 10);
  const start = from ?? new Date(Date.parse(`${end}T00:00:00Z`) - (DEFAULT_WINDOW_DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
  return { from: start, to: end };
}

const windowRefinement = <T extends { from?: string; to?: string }>(value: T) => !value.from || !value.to || value.from <= value.to;

export const groupBySchema = z.enum(['key', 'model', 'provider', 'day']);
export type GroupBy = z.infer<typeof groupBySchema>;

export const activityQuerySchema = z
  .object({
    group_by: groupBySchema.default('day'),
    from: isoDateSchema.optional(),
    to: isoDateSchema.optional(),
    account_id: identifier.optional(),
    key_id: identifier.optional(),
  })
  .strict()
  .refine(windowRefinement, { message: '`from` must not be after `to`', path: ['from'] });
export type ActivityQuery = z.infer<typeof activityQuerySchema>;

export const usageExportQuerySchema = z
  .object({
    from: isoDateSchema.optional(),
    to: isoDateSchema.optional(),
    account_id: identifier.optional(),
  })
  .strict()
  .refine(windowRefinement, { message: '`from` must not be after `to`', path: ['from'] });
export type UsageExportQuery = z.infer<typeof usageExportQuerySchema>;
