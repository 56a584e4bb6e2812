/**
 * Postgres `text` and `jsonb` reject two things JavaScript strings (and JSON from upstreams) may hold: the NUL
 * character, and lone UTF-16 surrogates (`jsonb` refuses the `\ud800` escape JSON.stringify writes for them). One
 * such character in a model's output must never turn a whole batch of generations into a poison message, so every
 * string is cleaned before it is written: both become U+FFFD, the Unicode replacement character.
 */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const REPLACEMENT = '\uFFFD';

/** The string with NUL and lone surrogates replaced (the same string when there are none). */
export function storableText(value: string): string {
  UNSTORABLE.lastIndex = 0;
  return UNSTORABLE.test(value) ? value.replace(UNSTORABLE, REPLACEMENT) : value;
}

export function storableTextOrNull(value: string | null | undefined): string | null {
  return value === null || value === undefined ? null : storableText(value);
}

/** A deep copy of a JSON value with every string and key made storable. */
export function storableJsonValue(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storableJsonValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) out[storableText(key)] = storableJsonValue(item);
    return out;
  }
  return value;
}

/**
 * What JSON.stringify writes for the characters `jsonb` refuses: NUL as \u0000, a lone surrogate as \ud800–\udfff
 * (a valid pair is written as itself). A literal backslash before such text also matches: it only costs the slow path.
 */
const SUSPECT_ESCAPE = /\\u0000|\\ud[89a-f]/i;

/** JSON text for a `jsonb` column, or null for null/undefined. */
export function storableJson(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const text = JSON.stringify(value);
  if (text === undefined) return null;
  // Almost always clean: only a text that may hold a refused character pays for the deep copy.
  return SUSPECT_ESCAPE.test(text) ? JSON.stringify(storableJsonValue(value)) : text;
}
