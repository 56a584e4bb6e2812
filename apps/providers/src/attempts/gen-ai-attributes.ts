import type { CanonicalChatRequest, StreamPartOf, Usage } from '@switchyard/llm-spec';

type Attributes = Record<string, string | number | boolean | string[]>;

/**
 * The OpenTelemetry GenAI semantic conventions (`gen_ai.*`) of an upstream chat call's request, for the upstream
 * span of a sampled trace: what a tracing back end shows as an LLM call (provider, model, the sampling parameters
 * that were set). `gen_ai.system` is the older name of `gen_ai.provider.name`, kept for back ends that read it.
 */
export function genAiRequestAttributes(provider: string, upstreamModel: string, request: CanonicalChatRequest): Attributes {
  const attributes: Attributes = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': provider, 'gen_ai.system': provider, 'gen_ai.request.model': upstreamModel };
  const numbers: Array<[string, number | null | undefined]> = [
    ['gen_ai.request.max_tokens', request.max_tokens],
    ['gen_ai.request.temperature', request.temperature],
    ['gen_ai.request.top_p', request.top_p],
    ['gen_ai.request.frequency_penalty', request.frequency_penalty],
    ['gen_ai.request.presence_penalty', request.presence_penalty],
    ['gen_ai.request.seed', request.seed],
  ];
  for (const [name, value] of numbers) if (typeof value === 'number') attributes[name] = value;
  if (request.stop) attributes['gen_ai.request.stop_sequences'] = Array.isArray(request.stop) ? request.stop : [request.stop];
  return attributes;
}

/** The response side: the upstream's id and model, why it finished, and the tokens it counted. */
export function genAiResponseAttributes(response: { metadata: StreamPartOf<'response-metadata'> | undefined; finishReason: string | null; usage: Usage | null }): Attributes {
  const attributes: Attributes = {};
  if (response.metadata?.upstreamId) attributes['gen_ai.response.id'] = response.metadata.upstreamId;
  if (response.metadata?.upstreamModel) attributes['gen_ai.response.model'] = response.metadata.upstreamModel;
  if (response.finishReason) attributes['gen_ai.response.finish_reasons'] = [response.finishReason];
  if (response.usage) {
    attributes['gen_ai.usage.input_tokens'] = response.usage.promptTokens;
    attributes['gen_ai.usage.output_tokens'] = response.usage.completionTokens;
  }
  return attributes;
}

/** The request side of an embeddings or rerank call (`gen_ai.operation.name` "embeddings", or "rerank"). */
export function genAiUnaryRequestAttributes(provider: string, upstreamModel: string, operation: 'embeddings' | 'rerank'): Attributes {
  return { 'gen_ai.operation.name': operation, 'gen_ai.provider.name': provider, 'gen_ai.system': provider, 'gen_ai.request.model': upstreamModel };
}
