export type { AdapterContext, BuildResult, ProviderAdapter, SseEvent, StreamDecoder, UpstreamHttpRequest, WireFormatName } from './types.js';
export { getAdapter } from './registry.js';
export { AdapterRequestError } from './shared/adapter-request-error.js';
export { parseRetryAfter, parseDuration, parseRetryHintInMessage } from './shared/parse-retry-after.js';
export { SseParser, parseSseText } from './shared/sse-parser.js';
export { effortBudgetShare, budgetForEffort, effortForBudget, clampEffort, reasoningIntent, type ReasoningIntent } from './shared/reasoning-effort.js';
export { replayEvents, replaySse } from './conformance/replay.js';

export {
  openAiCompatiblePresets,
  openAiBaseParameters,
  defineOpenAiCompatiblePreset,
  type OpenAiCompatiblePreset,
  type OpenAiReasoningStyle,
  type AuthStyle,
  type PassthroughField,
} from './openai-compatible/openai-compatible-presets.js';
export { OpenAiCompatibleAdapter, createOpenAiCompatibleAdapter, type OpenAiEndpoint } from './openai-compatible/openai-compatible-adapter.js';
export { mapOpenAiFinishReason } from './openai-compatible/map-openai-finish-reason.js';
export { convertOpenAiUsage } from './openai-compatible/convert-openai-usage.js';

export { AnthropicAdapter, defaultAnthropicVersion, defaultAnthropicBaseUrl } from './anthropic/anthropic-adapter.js';
export { mapAnthropicStopReason } from './anthropic/map-anthropic-stop-reason.js';
export { convertAnthropicUsage } from './anthropic/convert-anthropic-usage.js';
export { jsonResponseToolPrefix, anthropicDefaultMaxTokens } from './anthropic/anthropic-request.js';

export { GeminiAdapter, defaultGeminiBaseUrl } from './gemini/gemini-adapter.js';
export { mapGeminiFinishReason } from './gemini/map-gemini-finish-reason.js';
export { convertGeminiUsage } from './gemini/convert-gemini-usage.js';

export { createAzureAdapter, defaultAzureApiVersion } from './azure/azure-adapter.js';

export type { CanonicalEmbeddingsRequest, EmbeddingEncoding, EmbeddingVector, EmbeddingsAdapter, EmbeddingsBuildResult, EmbeddingsResult } from './embeddings/embeddings-types.js';
export { getEmbeddingsAdapter } from './embeddings/embeddings-registry.js';
export { OpenAiEmbeddingsAdapter, createOpenAiEmbeddingsAdapter, createAzureEmbeddingsAdapter, embeddingsOptionsOf, openAiEmbeddingsOptions, type OpenAiEmbeddingsOptions } from './embeddings/openai-embeddings-adapter.js';
export { GeminiEmbeddingsAdapter, geminiTaskType } from './embeddings/gemini-embeddings-adapter.js';
export { encodeFloat32Base64, decodeFloat32Base64, isFloat32Base64, toEncoding, estimateEmbeddingTokens, isTokenInput } from './embeddings/embedding-encoding.js';

export type { CanonicalRerankRequest, RerankAdapter, RerankBuildResult, RerankResult, RerankScore } from './rerank/rerank-types.js';
export { getRerankAdapter, rerankPresets } from './rerank/rerank-registry.js';
export { RerankApiAdapter, type RerankDialectName } from './rerank/rerank-adapter.js';
export { estimateRerankTokens } from './rerank/rerank-results.js';
