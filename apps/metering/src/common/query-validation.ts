import { BadRequestError } from '@switchyard/contracts';
import type { z } from 'zod';
import { describeIssues } from '../generations/generation-row.js';

/** Validates query parameters (or a route parameter object) with zod; bad input is a 400 in the OpenRouter envelope. */
export function parseParameters<Schema extends z.ZodType>(schema: Schema, input: unknown, what = 'query parameters'): z.infer<Schema> {
  const result = schema.safeParse(input ?? {});
  if (!result.success) {
    throw new BadRequestError(`Invalid ${what}: ${describeIssues(result.error.issues)}`, {
      issues: result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
    });
  }
  return result.data;
}
