import type { CanonicalChatRequest, StreamPart, UpstreamError } from '@switchyard/llm-spec';
import { joinUrl } from '../shared/parameters.js';
import type { AdapterContext, BuildResult, ProviderAdapter, StreamDecoder, WireFormatName } from '../types.js';
import { openAiCompatiblePresets, type AuthStyle, type OpenAiCompatiblePreset } from './openai-compatible-presets.js';
import { buildOpenAiRequestBody } from './openai-compatible-request.js';
import { OpenAiStreamDecoder, parseOpenAiError, parseOpenAiResponse } from './openai-compatible-response.js';

/** Where and how an OpenAI-wire request goes: the one thing Azure does differently. */
export interface OpenAiEndpoint {
  url(context: AdapterContext, preset: OpenAiCompatiblePreset): string;
  /** Whether the body names the model (Azure's deployment URL already does). */
  modelInBody: boolean;
}

const chatCompletionsEndpoint: OpenAiEndpoint = {
  url: (context, preset) => joinUrl(context.baseUrl || preset.defaultBaseUrl, 'chat/completions'),
  modelInBody: true,
};

export function authHeaders(style: AuthStyle, apiKey: string): Record<string, string> {
  switch (style) {
    case 'bearer':
      return { authorization: `Bearer ${apiKey}` };
    case 'api-key':
      return { 'api-key': apiKey };
    case 'x-api-key':
      return { 'x-api-key': apiKey };
  }
}

/** One adapter over the OpenAI Chat Completions wire, configured by a preset (and an endpoint, for Azure). */
export class OpenAiCompatibleAdapter implements ProviderAdapter {
  readonly id: string;
  readonly wireFormat: WireFormatName;
  readonly supportedParameters: readonly string[];

  constructor(
    readonly preset: OpenAiCompatiblePreset,
    options: { id?: string; wireFormat?: WireFormatName; endpoint?: OpenAiEndpoint } = {},
  ) {
    this.id = options.id ?? `openai-compatible:${preset.name}`;
    this.wireFormat = options.wireFormat ?? 'openai';
    this.supportedParameters = preset.supportedParameters;
    this.endpoint = options.endpoint ?? chatCompletionsEndpoint;
  }

  private readonly endpoint: OpenAiEndpoint;

  buildRequest(request: CanonicalChatRequest, context: AdapterContext): BuildResult {
    const { body, warnings, droppedParameters } = buildOpenAiRequestBody(request, this.preset, this.endpoint.modelInBody ? context.upstreamModelId : undefined);
    const headers: Record<string, string> = { 'content-type': 'application/json', ...authHeaders(this.preset.auth, context.apiKey) };
    if (request.stream) headers.accept = 'text/event-stream';
    return {
      request: { url: this.endpoint.url(context, this.preset), method: 'POST', headers, body: JSON.stringify(body), stream: request.stream },
      warnings,
      droppedParameters,
    };
  }

  parseResponse(body: string): StreamPart[] {
    return parseOpenAiResponse(body);
  }

  createStreamDecoder(): StreamDecoder {
    return new OpenAiStreamDecoder();
  }

  parseError(status: number, headers: Record<string, string>, body: string): UpstreamError {
    return parseOpenAiError(status, headers, body);
  }
}

/** The adapter for a named preset; throws for an unknown one. */
export function createOpenAiCompatibleAdapter(presetName: string): OpenAiCompatibleAdapter {
  const preset = Object.hasOwn(openAiCompatiblePresets, presetName) ? openAiCompatiblePresets[presetName] : undefined;
  if (!preset) throw new Error(`unknown OpenAI-compatible preset "${presetName}" (known: ${Object.keys(openAiCompatiblePresets).join(', ')})`);
  return new OpenAiCompatibleAdapter(preset);
}
