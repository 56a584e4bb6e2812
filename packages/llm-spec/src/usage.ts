import { z } from 'zod';

/**
 * Token usage of one generation, as the provider reported it (normalised). Cached and cache-write tokens are
 * part of `promptTokens`; reasoning tokens are part of `completionTokens` (OpenAI's convention, which every
 * adapter normalises to).
 */
export const usageSchema = z.object({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  totalTokens: z.number().int().nonnegative(),
  cachedTokens: z.number().int().nonnegative().default(0),
  cacheWriteTokens: z.number().int().nonnegative().default(0),
  reasoningTokens: z.number().int().nonnegative().default(0),
  /** Images in the prompt, when the provider bills them per image. */
  images: z.number().int().nonnegative().optional(),
  /** True when the gateway estimated the usage because the provider reported none (a cancelled stream). */
  estimated: z.boolean().optional(),
  /** The provider's usage object, untouched, for debugging. */
  raw: z.unknown().optional(),
});
export type Usage = z.infer<typeof usageSchema>;
export type UsageInput = z.input<typeof usageSchema>;

export function makeUsage(input: Omit<UsageInput, 'totalTokens'> & { totalTokens?: number }): Usage {
  return usageSchema.parse({ ...input, totalTokens: input.totalTokens ?? input.promptTokens + input.completionTokens });
}

export const emptyUsage: Usage = Object.freeze(makeUsage({ promptTokens: 0, completionTokens: 0 })) as Usage;
