import { BadRequestError } from '@switchyard/contracts';
import type { z } from 'zod';

/** Parses input with a zod schema; a failure is a 400 naming every bad field (never a 500). */
export function parseOrBadRequest<Schema extends z.ZodType>(schema: Schema, value: unknown, what: string): z.infer<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(body)', message: issue.message }));
  throw new BadRequestError(`Invalid ${what}: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`, { issues });
}
