/**
 * Anthropic's own model names ("claude-sonnet-4-5-20250929", "claude-3-5-haiku-latest"), as Claude Code and the
 * Anthropic SDK examples send them, → the OpenRouter-style id ("anthropic/claude-sonnet-4.5",
 * "anthropic/claude-3.5-haiku"): the date or -latest suffix dropped, version digits joined by a dot, the
 * "anthropic/" author added. Undefined for names that are not bare Claude names.
 */
export function openRouterIdForAnthropicName(name: string): string | undefined {
  const trimmed = name.trim();
  if (trimmed.includes('/') || !/^claude-/i.test(trimmed)) return undefined;
  let variant = '';
  let base = trimmed;
  const colon = base.indexOf(':');
  if (colon > 0) {
    variant = base.slice(colon);
    base = base.slice(0, colon);
  }
  base = base.replace(/-(\d{8}|latest)$/i, '');
  base = base.replace(/(\d+)-(\d+)(?=$|-)/g, '$1.$2');
  return `anthropic/${base.toLowerCase()}${variant}`;
}
