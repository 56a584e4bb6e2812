import { createHash } from 'node:crypto';
import { DEFAULT_CACHE_TTL_SECONDS, httpHeaders, MAX_CACHE_TTL_SECONDS, type Preset, rerankScoreSchema } from '@switchyard/contracts';
import { chargeFor, type Charge } from '@switchyard/money';
import { streamPartSchema, type StreamPart } from '@switchyard/llm-spec';
import { z } from 'zod';

/** What a request asked of the response cache. */
export interface CacheDirective {
  ttlSeconds: number;
  /** Skip the lookup, call the provider and store the new response in place of the old one. */
  clear: boolean;
}

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return (Array.isArray(value) ? value[0] : value)?.trim();
}

const yes = (value: string | undefined) => value !== undefined && ['true', '1', 'yes'].includes(value.toLowerCase());

/** What a preset the request uses says of caching (null fields: nothing). */
export type PresetCaching = Pick<Preset, 'cache_enabled' | 'cache_ttl_seconds'>;

/**
 * The request's caching headers, as OpenRouter reads them: `X-OpenRouter-Cache: true` turns caching on (null
 * otherwise); `X-OpenRouter-Cache-TTL` in seconds, clamped to 1..86400, a value that is not a number meaning the
 * default; `X-OpenRouter-Cache-Clear: true` forces a fresh response that replaces the stored one. A preset the
 * request uses may turn caching on without the header (`cache_enabled: true`, its `cache_ttl_seconds` the default
 * TTL), or off whatever the header says (`cache_enabled: false`: the preset wins, as at OpenRouter).
 */
export function cacheDirective(headers: Headers, preset?: PresetCaching): CacheDirective | null {
  if (preset?.cache_enabled === false) return null;
  if (preset?.cache_enabled !== true && !yes(header(headers, httpHeaders.responseCache))) return null;
  const ttl = Number.parseInt(header(headers, httpHeaders.responseCacheTtl) ?? '', 10);
  const ttlSeconds = Number.isFinite(ttl) ? Math.min(MAX_CACHE_TTL_SECONDS, Math.max(1, ttl)) : (preset?.cache_ttl_seconds ?? DEFAULT_CACHE_TTL_SECONDS);
  return { ttlSeconds, clear: yes(header(headers, httpHeaders.responseCacheClear)) };
}

/**
 * Two requests share a stored response when they come with the same API key, to the same route (chat, messages,
 * responses, completions), in the same streaming mode, with the same body: the body as parsed and serialised again,
 * so whitespace does not matter and the order of its properties does (as at OpenRouter). SHA-256, hex.
 */
export function responseCacheKey(input: { keyId: string; route: string; stream: boolean; body: unknown; context?: string | undefined }): string {
  return createHash('sha256')
    .update(`${input.keyId}\n${input.route}\n${input.stream ? 'stream' : 'json'}\n${input.context === undefined ? '' : `${input.context}\n`}`)
    .update(JSON.stringify(input.body ?? null))
    .digest('hex');
}

const cachedBase = {
  v: z.literal(1),
  /** The generation whose response this is (a hit's `response_cache_source_id`). */
  generationId: z.string().regex(/^gen-/),
  servedBy: z.object({ model: z.string(), endpointId: z.string(), providerSlug: z.string(), providerName: z.string() }),
  /** Unix ms. */
  storedAt: z.number(),
  expiresAt: z.number(),
};

/**
 * One stored response: who served it and what replays it. A generation (chat, messages, responses, completions)
 * keeps its canonical parts, which replay through any skin, stream or not; an embeddings or rerank call keeps its
 * vectors or scores.
 */
export const cachedResponseSchema = z.discriminatedUnion('kind', [
  z.object({ ...cachedBase, kind: z.literal('generation'), systemFingerprint: z.string().nullable().default(null), parts: z.array(streamPartSchema) }),
  z.object({ ...cachedBase, kind: z.literal('unary'), embeddings: z.array(z.union([z.array(z.number()), z.string()])), results: z.array(rerankScoreSchema) }),
]);
export type CachedResponse = z.infer<typeof cachedResponseSchema>;
export type CachedResponseOf<K extends CachedResponse['kind']> = Extract<CachedResponse, { kind: K }>;

/** What a response-cache hit costs: nothing (no tokens, no request, no price). */
export const NO_CHARGE: Charge = chargeFor({ usage: { promptTokens: 0, completionTokens: 0, requests: 0 }, pricing: { prompt: '0', completion: '0' }, finishReason: 'stop' });

/** A request that asked for caching: its key and what it asked. */
export interface CacheRequest {
  key: string;
  directive: CacheDirective;
}

/**
 * The parts worth replaying: content, tool calls, finish and response metadata. Usage is left out (a hit reports
 * zero usage and is not charged), and so are error parts (a response with one is never stored).
 */
export function replayableParts(parts: readonly StreamPart[]): StreamPart[] {
  return parts.filter((part) => part.type !== 'usage' && part.type !== 'error');
}

/** The response headers of a cached request: a miss says for how long it is stored; a hit how old it is and how long it stays. */
export function cacheHeaders(result: { hit: CachedResponse; now: number } | { ttlSeconds: number }): Record<string, string> {
  if ('ttlSeconds' in result) return { [httpHeaders.responseCacheStatus]: 'MISS', [httpHeaders.responseCacheTtl]: String(result.ttlSeconds) };
  const { hit, now } = result;
  return {
    [httpHeaders.responseCacheStatus]: 'HIT',
    [httpHeaders.responseCacheAge]: String(Math.max(0, Math.floor((now - hit.storedAt) / 1000))),
    [httpHeaders.responseCacheTtl]: String(Math.max(0, Math.ceil((hit.expiresAt - now) / 1000))),
  };
}
