import type { CanonicalChatRequest, StreamPart, UpstreamError } from '@switchyard/llm-spec';
import { joinUrl } from '../shared/parameters.js';
import type { AdapterContext, BuildResult, ProviderAdapter, StreamDecoder } from '../types.js';
import { buildGeminiRequestBody, geminiSupportedParameters } from './gemini-request.js';
import { GeminiStreamDecoder, parseGeminiError, parseGeminiResponse } from './gemini-response.js';

export const defaultGeminiBaseUrl = 'https://generativelanguage.googleapis.com/v1beta';

/**
 * Gemini API: `POST {baseUrl}/models/{model}:generateContent`, or `:streamGenerateContent?alt=sse` for streams,
 * authenticated with `x-goog-api-key`.
 */
export class GeminiAdapter implements ProviderAdapter {
  readonly id = 'gemini';
  readonly wireFormat = 'gemini' as const;
  readonly supportedParameters: readonly string[] = geminiSupportedParameters;

  buildRequest(request: CanonicalChatRequest, context: AdapterContext): BuildResult {
    const { body, warnings, droppedParameters } = buildGeminiRequestBody(request, context.upstreamModelId);
    const model = context.upstreamModelId.replace(/^models\//, '');
    const method = request.stream ? 'streamGenerateContent?alt=sse' : 'generateContent';
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-goog-api-key': context.apiKey };
    if (request.stream) headers.accept = 'text/event-stream';
    return {
      request: {
        url: joinUrl(context.baseUrl || defaultGeminiBaseUrl, `models/${encodeURIComponent(model)}:${method}`),
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        stream: request.stream,
      },
      warnings,
      droppedParameters,
    };
  }

  parseResponse(body: string): StreamPart[] {
    return parseGeminiResponse(body);
  }

  createStreamDecoder(): StreamDecoder {
    return new GeminiStreamDecoder();
  }

  parseError(status: number, headers: Record<string, string>, body: string): UpstreamError {
    return parseGeminiError(status, headers, body);
  }
}
