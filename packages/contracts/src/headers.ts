/** HTTP headers Switchyard reads or writes. */
export const httpHeaders = {
  generationId: 'X-Generation-Id',
  /** The gateway's own time for this request (total minus upstream), milliseconds. */
  overheadMs: 'X-Switchyard-Overhead-Ms',
  sessionId: 'x-session-id',
  title: 'X-OpenRouter-Title',
  legacyTitle: 'X-Title',
  referer: 'HTTP-Referer',
  retryAfter: 'Retry-After',
  rateLimitLimit: 'X-RateLimit-Limit',
  rateLimitRemaining: 'X-RateLimit-Remaining',
  rateLimitReset: 'X-RateLimit-Reset',
  /** Response caching (OpenRouter's): `true` asks for it; the TTL in seconds; `true` replaces a stored response. */
  responseCache: 'X-OpenRouter-Cache',
  responseCacheTtl: 'X-OpenRouter-Cache-TTL',
  responseCacheClear: 'X-OpenRouter-Cache-Clear',
  /** On the response: `HIT` or `MISS`, and on a hit the stored response's age in seconds. */
  responseCacheStatus: 'X-OpenRouter-Cache-Status',
  responseCacheAge: 'X-OpenRouter-Cache-Age',
} as const;

/** NATS message headers. */
export const natsHeaders = {
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  /** JetStream de-duplication id: a republished event with the same id is stored once. */
  messageId: 'Nats-Msg-Id',
} as const;
