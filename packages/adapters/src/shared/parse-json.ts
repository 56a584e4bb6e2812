import type { z } from 'zod';

export type ParseJsonResult<T> = { success: true; value: T } | { success: false; error: string };

/** Parses an upstream body with a (lenient) zod schema: never trust `JSON.parse` alone. */
export function parseJson<Schema extends z.ZodType>(text: string, schema: Schema): ParseJsonResult<z.infer<Schema>> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { success: false, error: `invalid JSON: ${(error as Error).message}` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { success: false, error: `unexpected shape at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}` };
  }
  return { success: true, value: parsed.data };
}

/** Parses JSON a client sent (tool call arguments); undefined when it is not JSON. */
export function tryParseClientJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
