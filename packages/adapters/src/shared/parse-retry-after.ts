/**
 * How long the provider asks us to wait, in milliseconds, from the response headers: `retry-after-ms` (Azure,
 * OpenAI), then `Retry-After` as delta-seconds or an HTTP date (RFC 9110 §10.2.3). Header names are matched
 * case-insensitively. Undefined when absent or unparseable; a date in the past gives 0.
 */
export function parseRetryAfter(headers: Readonly<Record<string, string | undefined>>, now: number = Date.now()): number | undefined {
  const milliseconds = headerValue(headers, 'retry-after-ms');
  if (milliseconds !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(milliseconds)) return Math.round(Number(milliseconds));
  const value = headerValue(headers, 'retry-after');
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  // An HTTP date names a weekday or month; refuse bare numbers with signs and the like, which Date.parse accepts.
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** A duration field such as Gemini's `retryDelay` ("34.4s") or OpenAI's reset headers ("250ms", "6m0s", "20 seconds"). */
export function parseDuration(text: string | undefined | null): number | undefined {
  if (!text) return undefined;
  const compound = /^\s*(\d+)m(\d+(?:\.\d+)?)s\s*$/i.exec(text);
  if (compound) return Math.round((Number(compound[1]) * 60 + Number(compound[2])) * 1000);
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?)\s*$/i.exec(text);
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = match[2].toLowerCase();
  if (unit === 'ms' || unit.startsWith('millisecond')) return Math.round(amount);
  if (unit === 'm' || unit.startsWith('min')) return Math.round(amount * 60_000);
  return Math.round(amount * 1000);
}

export function headerValue(headers: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/** The wait a provider names in its error message: "Please try again in 20s.", "Please retry after 6 seconds." */
export function parseRetryHintInMessage(message: string | undefined | null): number | undefined {
  if (!message) return undefined;
  const match = /(?:try again|retry)\s+(?:in|after)\s+(\d+(?:\.\d+)?\s*(?:ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?)|\d+m\d+(?:\.\d+)?s)\b/i.exec(message);
  return match ? parseDuration(match[1]) : undefined;
}
