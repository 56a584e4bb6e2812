import type { CanonicalChatRequest, StreamPart, UpstreamError } from '@switchyard/llm-spec';
import { joinUrl } from '../shared/parameters.js';
import type { AdapterContext, BuildResult, ProviderAdapter, StreamDecoder } from '../types.js';
import { anthropicSupportedParameters, buildAnthropicRequestBody } from './anthropic-request.js';
import { AnthropicStreamDecoder, parseAnthropicError, parseAnthropicResponse } from './anthropic-response.js';

export const defaultAnthropicVersion = '2023-06-01';
export const defaultAnthropicBaseUrl = 'https://api.anthropic.com/v1';

/** Anthropic Messages API: `POST {baseUrl}/messages` with `x-api-key` and `anthropic-version`. */
export class AnthropicAdapter implements ProviderAdapter {
  readonly id = 'anthropic';
  readonly wireFormat = 'anthropic' as const;
  readonly supportedParameters: readonly string[] = anthropicSupportedParameters;

  buildRequest(request: CanonicalChatRequest, context: AdapterContext): BuildResult {
    const { body, warnings, droppedParameters } = buildAnthropicRequestBody(request, context.upstreamModelId);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-api-key': context.apiKey,
      'anthropic-version': context.apiVersion ?? defaultAnthropicVersion,
    };
    if (request.stream) headers.accept = 'text/event-stream';
    return {
      request: { url: joinUrl(context.baseUrl || defaultAnthropicBaseUrl, 'messages'), method: 'POST', headers, body: JSON.stringify(body), stream: request.stream },
      warnings,
      droppedParameters,
    };
  }

  parseResponse(body: string): StreamPart[] {
    return parseAnthropicResponse(body);
  }

  createStreamDecoder(): StreamDecoder {
    return new AnthropicStreamDecoder();
  }

  parseError(status: number, headers: Record<string, string>, body: string): UpstreamError {
    return parseAnthropicError(status, headers, body);
  }
}
