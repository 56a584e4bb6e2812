import { BadRequestError } from '@switchyard/contracts';
import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

/**
 * zod issues with unions opened up: for `string | Block[]` a wrong block otherwise reads "Invalid input"; when
 * exactly one branch of a union matched the value's type, its own issues (with their full paths) say what is wrong.
 */
export function flattenIssues(issues: ReadonlyArray<Issue>, prefix: PropertyKey[] = []): Array<{ path: PropertyKey[]; message: string }> {
  const out: Array<{ path: PropertyKey[]; message: string }> = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const plausible = issue.errors.filter((branch) => !(branch.length === 1 && branch[0]!.code === 'invalid_type' && branch[0]!.path.length === 0));
      if (plausible.length === 1) {
        out.push(...flattenIssues(plausible[0]!, path));
        continue;
      }
    }
    out.push({ path, message: issue.message });
  }
  return out;
}

/** A readable 400 for a skin's request body, in the same form as chat completions' (`Invalid request: path: message`). */
export function invalidSkinRequest(error: z.ZodError): BadRequestError {
  const issues = flattenIssues(error.issues)
    .slice(0, 10)
    .map((issue) => ({ path: issue.path.map(String).join('.') || '(body)', message: issue.message }));
  const summary = issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
  return new BadRequestError(`Invalid request: ${summary}`, { issues });
}
