const compiled = new WeakMap<readonly string[], RegExp>();

/** One expression for model patterns ("anthropic/*", "openai/gpt-4o*"): `*` is any run of characters, case-insensitive. */
function matcherOf(patterns: readonly string[]): RegExp {
  let matcher = compiled.get(patterns);
  if (!matcher) {
    const alternatives = patterns.map((pattern) => pattern.trim().split('*').map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*'));
    matcher = new RegExp(`^(?:${alternatives.join('|')})$`, 'i');
    compiled.set(patterns, matcher);
  }
  return matcher;
}

/**
 * Whether `modelId` (without its variant) matches one of `patterns` (a key's `allowed_models`, the auto router's
 * `allowed_models` / `excluded_models`). The compiled expression is remembered per patterns array.
 */
export function matchesModelPattern(patterns: readonly string[], modelId: string): boolean {
  return patterns.length > 0 && matcherOf(patterns).test(modelId);
}
