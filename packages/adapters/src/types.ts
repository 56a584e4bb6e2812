import type { CanonicalChatRequest, StreamPart, UpstreamError } from '@switchyard/llm-spec';

/** One HTTP call to an upstream, fully described; the providers service sends it as is. */
export interface UpstreamHttpRequest {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  stream: boolean;
}

/** What the catalog and the credential store know about the endpoint a request goes to. */
export interface AdapterContext {
  /** Provider base URL from the catalog, e.g. "https://api.openai.com/v1". Empty means the preset's default. */
  baseUrl: string;
  /** The provider's own model id, e.g. "gpt-4o-mini". */
  upstreamModelId: string;
  apiKey: string;
  /** OpenAI-compatible preset name ("openai", "groq", ...). */
  preset?: string;
  /** Azure `api-version` or `anthropic-version` override. */
  apiVersion?: string;
}

export interface BuildResult {
  request: UpstreamHttpRequest;
  /** Human-readable notes about what was adapted (downgraded, clamped, dropped extras). */
  warnings: string[];
  /** Requested parameters (in the `supported_parameters` vocabulary) the provider cannot take: never forwarded. */
  droppedParameters: string[];
}

/** One server-sent event, already framed (see `SseParser`). */
export interface SseEvent {
  event?: string;
  data: string;
}

/**
 * Turns a streaming 200 body, fed event by event, into canonical stream parts. `end()` flushes at EOF: it yields the
 * pending usage and finish, or an `error` part (phase `body`) when the upstream stopped without a terminal event.
 */
export interface StreamDecoder {
  push(event: SseEvent): StreamPart[];
  end(): StreamPart[];
}

export type WireFormatName = 'openai' | 'anthropic' | 'gemini' | 'azure';

export interface ProviderAdapter {
  /** "openai-compatible:groq", "anthropic", "gemini", "azure". */
  readonly id: string;
  readonly wireFormat: WireFormatName;
  /** OpenRouter's `supported_parameters` vocabulary. */
  readonly supportedParameters: readonly string[];
  /** Throws `AdapterRequestError` (400) for content the provider cannot take. */
  buildRequest(request: CanonicalChatRequest, context: AdapterContext): BuildResult;
  /** A non-streaming 200 body → the same canonical parts a stream of the same content gives. */
  parseResponse(body: string): StreamPart[];
  createStreamDecoder(): StreamDecoder;
  parseError(status: number, headers: Record<string, string>, body: string): UpstreamError;
}
