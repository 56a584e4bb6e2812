import { requestedParameters, type CanonicalChatRequest } from '@switchyard/llm-spec';

/**
 * The request's parameters the provider does not support. `structured_outputs` is asked implicitly by a
 * json_schema response_format; an adapter that can still honour JSON mode downgrades rather than drops
 * (see each adapter), so this only lists what is missing from the provider's vocabulary.
 */
export function unsupportedParameters(request: CanonicalChatRequest, supported: readonly string[]): string[] {
  return requestedParameters(request).filter((name) => !supported.includes(name));
}

/** Drops undefined values so request bodies stay minimal and snapshots readable. */
export function compact<T extends Record<string, unknown>>(object: T): T {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) if (value !== undefined) result[key] = value;
  return result as T;
}

export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
