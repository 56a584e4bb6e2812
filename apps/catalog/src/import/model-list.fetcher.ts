import { BadRequestError, GatewayError } from '@switchyard/contracts';

export interface FetchLimits {
  /** Lower-case host names (optionally "host:port") that may be fetched. */
  allowedHosts: readonly string[];
  timeoutMs: number;
  maxBytes: number;
}

/** The upstream list could not be fetched or read (502, as an unreachable upstream is). */
export class ImportFetchError extends GatewayError {
  constructor(message: string, metadata?: Record<string, unknown>) {
    super(502, message, { errorType: 'provider_unavailable', metadata });
  }
}

/** Checks a URL against the allowlist: http(s) only, no credentials, host (or host:port) listed. */
export function checkImportUrl(text: string, allowedHosts: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new BadRequestError(`url: not a valid URL: ${JSON.stringify(text)}`, { field: 'url' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new BadRequestError(`url: only http and https URLs can be imported, got ${url.protocol}`, { field: 'url' });
  if (url.username || url.password) throw new BadRequestError('url: credentials in the URL are not allowed', { field: 'url' });
  const hostname = url.hostname.toLowerCase();
  const host = url.host.toLowerCase();
  if (!allowedHosts.includes(hostname) && !allowedHosts.includes(host)) {
    throw new BadRequestError(`url: host "${hostname}" is not in CATALOG_IMPORT_ALLOWED_HOSTS (${allowedHosts.join(', ') || 'empty'})`, {
      field: 'url',
      allowed_hosts: [...allowedHosts],
    });
  }
  return url;
}

/**
 * Fetches a model list (JSON) from an allowed host: no redirects followed (a redirect could leave the allowlist),
 * a time limit for the whole exchange, and a size limit enforced while reading (not trusting Content-Length).
 */
export async function fetchModelList(text: string, limits: FetchLimits, fetchImpl: typeof fetch = fetch): Promise<unknown> {
  const url = checkImportUrl(text, limits.allowedHosts);
  const signal = AbortSignal.timeout(limits.timeoutMs);
  let response: Response;
  try {
    response = await fetchImpl(url, { method: 'GET', redirect: 'manual', signal, headers: { accept: 'application/json' } });
  } catch (error) {
    if (signal.aborted) throw new ImportFetchError(`fetching ${url.origin}${url.pathname} timed out after ${limits.timeoutMs} ms`);
    throw new ImportFetchError(`fetching ${url.origin}${url.pathname} failed: ${(error as Error).message}`);
  }
  if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
    await response.body?.cancel().catch(() => undefined);
    throw new ImportFetchError(`${url.origin}${url.pathname} answered with a redirect (${response.status}); redirects are not followed, import from the final URL`);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new ImportFetchError(`${url.origin}${url.pathname} answered ${response.status}`, { upstream_status: response.status });
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limits.maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(url, limits.maxBytes);
  }
  const body = await readLimited(response, limits.maxBytes, signal, url);
  try {
    return JSON.parse(body);
  } catch {
    throw new ImportFetchError(`${url.origin}${url.pathname} did not answer with JSON`);
  }
}

async function readLimited(response: Response, maxBytes: number, signal: AbortSignal, url: URL): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(url, maxBytes);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (GatewayError.isInstance(error)) throw error;
    if (signal.aborted) throw new ImportFetchError(`reading ${url.origin}${url.pathname} timed out`);
    throw new ImportFetchError(`reading ${url.origin}${url.pathname} failed: ${(error as Error).message}`);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge(url: URL, maxBytes: number): GatewayError {
  return new GatewayError(413, `The model list at ${url.origin}${url.pathname} is larger than CATALOG_IMPORT_MAX_BYTES (${maxBytes} bytes)`, {
    errorType: 'payload_too_large',
    metadata: { limit_bytes: maxBytes },
  });
}
