/**
 * The only URLs this service calls: those on the origin of the provider's catalog `baseUrl`. Adapters build the
 * URL from that base; this check makes sure nothing else (a bug, a crafted model id, a redirect-shaped base) ever
 * leaves the process.
 */
export type UpstreamTarget = { ok: true; origin: string; path: string } | { ok: false; reason: string };

/** Parses a catalog base URL into the origin its calls are pinned to; null when it is not a plain http(s) URL. */
export function upstreamOrigin(baseUrl: string): { origin: string } | { problem: string } {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return { problem: `baseUrl "${baseUrl}" is not a URL` };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { problem: `baseUrl protocol ${url.protocol} is not http(s)` };
  if (url.username !== '' || url.password !== '') return { problem: 'baseUrl must not carry credentials' };
  if (url.hostname === '') return { problem: 'baseUrl has no host' };
  return { origin: url.origin };
}

/** Verdicts of recent checks: adapters build the same few URLs for every attempt, and parsing one is the costly part. */
const verdicts = new Map<string, UpstreamTarget>();
const VERDICTS_LIMIT = 1_024;

/**
 * Checks an adapter-built URL against the provider's pinned origin; returns the request path (+ query) to send.
 * Verdicts are remembered per (origin, URL), except for URLs with a query (which may carry a key).
 */
export function checkUpstreamUrl(url: string, allowedOrigin: string): UpstreamTarget {
  if (url.includes('?')) return parseUpstreamUrl(url, allowedOrigin);
  const key = `${allowedOrigin} ${url}`;
  let verdict = verdicts.get(key);
  if (!verdict) {
    verdict = parseUpstreamUrl(url, allowedOrigin);
    if (verdicts.size >= VERDICTS_LIMIT) verdicts.clear();
    verdicts.set(key, verdict);
  }
  return verdict;
}

function parseUpstreamUrl(url: string, allowedOrigin: string): UpstreamTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: 'the adapter built an invalid URL' };
  }
  if (parsed.username !== '' || parsed.password !== '') return { ok: false, reason: 'the upstream URL carries credentials' };
  if (parsed.origin !== allowedOrigin) return { ok: false, reason: `the upstream URL origin ${parsed.origin} is not the provider's configured origin ${allowedOrigin}` };
  return { ok: true, origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
}
