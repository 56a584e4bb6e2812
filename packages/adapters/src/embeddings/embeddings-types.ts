import type { UpstreamError, Usage } from '@switchyard/llm-spec';
import type { AdapterContext, UpstreamHttpRequest, WireFormatName } from '../types.js';

/** How embeddings travel back to the client: JSON numbers, or OpenAI's base64 of little-endian float32 bytes. */
export type EmbeddingEncoding = 'float' | 'base64';

/** One embedding in the encoding the caller asked for. */
export type EmbeddingVector = number[] | string;

/**
 * The canonical embeddings request every embeddings adapter reads: the inputs as a list (several strings, or
 * several token-id arrays), the output size, the encoding the caller wants back and the retrieval role of the
 * inputs. The model is the endpoint's (`AdapterContext.upstreamModelId`); `user` is never forwarded.
 */
export interface CanonicalEmbeddingsRequest {
  input: string[] | number[][];
  /** Output dimensions (OpenAI `dimensions`, Gemini `outputDimensionality`, Mistral `output_dimension`). */
  dimensions?: number;
  encodingFormat: EmbeddingEncoding;
  /** The retrieval role of the inputs ("search_query", "search_document", "classification", ...). */
  inputType?: string;
}

export interface EmbeddingsBuildResult {
  request: UpstreamHttpRequest;
  /** Human-readable notes about what was adapted or left out (an input type the provider has no word for). */
  warnings: string[];
}

/** A 200 body read: one embedding per input, in input order, and the usage (estimated when the provider reports none). */
export type EmbeddingsResult =
  | { ok: true; embeddings: EmbeddingVector[]; usage: Usage; upstreamId: string | null; upstreamModel: string | null }
  | { ok: false; error: UpstreamError };

/** One provider wire format's embeddings endpoint: pure transforms, no I/O (as `ProviderAdapter` for chat). */
export interface EmbeddingsAdapter {
  /** "openai-compatible:openai", "gemini", "azure". */
  readonly id: string;
  readonly wireFormat: WireFormatName;
  /** Whether token-id inputs can be sent (Gemini takes text only). */
  readonly acceptsTokenInputs: boolean;
  /** Throws `AdapterRequestError` (400) for input the provider cannot take. */
  buildRequest(request: CanonicalEmbeddingsRequest, context: AdapterContext): EmbeddingsBuildResult;
  /** A 200 body → the embeddings in `request.encodingFormat`, or a typed error when the body is unusable. */
  parseResponse(body: string, request: CanonicalEmbeddingsRequest): EmbeddingsResult;
  parseError(status: number, headers: Record<string, string>, body: string): UpstreamError;
}
