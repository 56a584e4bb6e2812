import { BadRequestError } from '@switchyard/contracts';
import type { z } from 'zod';

/** Parses with zod or throws a 400 (OpenRouter envelope at HTTP edges, a typed error over NATS) naming each bad field. */
export function parseOrBadRequest<Schema extends z.ZodType>(schema: Schema, value: unknown, what: string): z.infer<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  const first = issues[0];
  throw new BadRequestError(`Invalid ${what}: ${first.path ? `${first.path}: ` : ''}${first.message}`, { issues });
}
