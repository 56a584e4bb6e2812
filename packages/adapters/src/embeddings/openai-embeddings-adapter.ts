import { makeUsage, type UpstreamError } from '@switchyard/llm-spec';
import { z } from 'zod';
import { authHeaders } from '../openai-compatible/openai-compatible-adapter.js';
import { azurePreset, openAiCompatiblePresets, type OpenAiCompatiblePreset } from '../openai-compatible/openai-compatible-presets.js';
import { parseOpenAiError } from '../openai-compatible/openai-compatible-response.js';
import { parseJson } from '../shared/parse-json.js';
import { compact, joinUrl } from '../shared/parameters.js';
import type { AdapterContext, WireFormatName } from '../types.js';
import { defaultAzureApiVersion } from '../azure/azure-adapter.js';
import { estimateEmbeddingTokens, invalidEmbeddingsBody, toEncoding } from './embedding-encoding.js';
import type { CanonicalEmbeddingsRequest, EmbeddingsAdapter, EmbeddingsBuildResult, EmbeddingsResult, EmbeddingVector } from './embeddings-types.js';

/** What an OpenAI-compatible host's `/embeddings` takes beyond `model` and `input`. */
export interface OpenAiEmbeddingsOptions {
  /** Wire name of the output size (`dimensions`; Mistral's `output_dimension`). */
  dimensionsField: string;
  /** Answers `encoding_format: "base64"`; otherwise floats are asked for and encoded here when base64 is wanted. */
  base64: boolean;
  /** Takes OpenRouter's `input_type` as is (otherwise it is left out, with a warning). */
  inputType: boolean;
}

const defaultOptions: OpenAiEmbeddingsOptions = { dimensionsField: 'dimensions', base64: false, inputType: false };

/** Hosts whose embeddings endpoint differs from the plain OpenAI-compatible default. */
export const openAiEmbeddingsOptions: Readonly<Record<string, Partial<OpenAiEmbeddingsOptions>>> = Object.freeze({
  openai: { base64: true },
  azure: { base64: true },
  simulator: { base64: true },
  openrouter: { base64: true, inputType: true },
  mistral: { dimensionsField: 'output_dimension' },
});

export function embeddingsOptionsOf(presetName: string): OpenAiEmbeddingsOptions {
  return { ...defaultOptions, ...(Object.hasOwn(openAiEmbeddingsOptions, presetName) ? openAiEmbeddingsOptions[presetName] : {}) };
}

/** Where an OpenAI-wire embeddings request goes: `{base}/embeddings`, or Azure's deployment URL. */
interface EmbeddingsEndpoint {
  url(context: AdapterContext, preset: OpenAiCompatiblePreset): string;
  modelInBody: boolean;
}

const embeddingsEndpoint: EmbeddingsEndpoint = {
  url: (context, preset) => joinUrl(context.baseUrl || preset.defaultBaseUrl, 'embeddings'),
  modelInBody: true,
};

const azureEmbeddingsEndpoint: EmbeddingsEndpoint = {
  modelInBody: false,
  url: (context) => {
    if (!context.baseUrl) throw new Error('Azure OpenAI needs the resource base URL (https://{resource}.openai.azure.com) from the catalog');
    const base = context.baseUrl.replace(/\/+$/, '').replace(/\/openai$/, '');
    const path = `openai/deployments/${encodeURIComponent(context.upstreamModelId)}/embeddings`;
    return `${joinUrl(base, path)}?api-version=${encodeURIComponent(context.apiVersion ?? defaultAzureApiVersion)}`;
  },
};

/**
 * OpenAI's `POST /embeddings` (and every OpenAI-compatible host's, and Azure's deployment route): `input` as a list
 * of strings or token arrays, `dimensions`, `encoding_format`. The answer's `data[].index` orders the embeddings.
 */
export class OpenAiEmbeddingsAdapter implements EmbeddingsAdapter {
  readonly id: string;
  readonly wireFormat: WireFormatName;
  readonly acceptsTokenInputs = true;
  readonly options: OpenAiEmbeddingsOptions;

  constructor(
    readonly preset: OpenAiCompatiblePreset,
    private readonly endpoint: EmbeddingsEndpoint = embeddingsEndpoint,
    identity: { id?: string; wireFormat?: WireFormatName } = {},
  ) {
    this.id = identity.id ?? `openai-compatible:${preset.name}`;
    this.wireFormat = identity.wireFormat ?? 'openai';
    this.options = embeddingsOptionsOf(preset.name);
  }

  buildRequest(request: CanonicalEmbeddingsRequest, context: AdapterContext): EmbeddingsBuildResult {
    const warnings: string[] = [];
    const body: Record<string, unknown> = compact({
      model: this.endpoint.modelInBody ? context.upstreamModelId : undefined,
      input: request.input,
      encoding_format: request.encodingFormat === 'base64' && this.options.base64 ? 'base64' : undefined,
    });
    if (request.dimensions !== undefined) body[this.options.dimensionsField] = request.dimensions;
    if (request.inputType !== undefined) {
      if (this.options.inputType) body.input_type = request.inputType;
      else warnings.push(`input_type "${request.inputType}" is not sent: ${this.preset.displayName} has no such field`);
    }
    return {
      request: {
        url: this.endpoint.url(context, this.preset),
        method: 'POST',
        headers: { 'content-type': 'application/json', ...authHeaders(this.preset.auth, context.apiKey) },
        body: JSON.stringify(body),
        stream: false,
      },
      warnings,
    };
  }

  parseResponse(body: string, request: CanonicalEmbeddingsRequest): EmbeddingsResult {
    return parseOpenAiEmbeddingsResponse(body, request);
  }

  parseError(status: number, headers: Record<string, string>, body: string): UpstreamError {
    return parseOpenAiError(status, headers, body);
  }
}

/** An OpenAI-style embeddings list → the embeddings in input order and the encoding asked for. */
export function parseOpenAiEmbeddingsResponse(body: string, request: CanonicalEmbeddingsRequest): EmbeddingsResult {
  const parsed = parseJson(body, openAiEmbeddingsResponseSchema);
  if (!parsed.success) return invalidEmbeddingsBody(parsed.error, body);
  const response = parsed.value;
  if (response.error) {
    const code = response.error.code;
    const error = parseOpenAiError(typeof code === 'number' && code >= 400 ? code : 502, {}, body);
    return { ok: false, error: { ...error, phase: 'body' } };
  }
  if (!response.data) return invalidEmbeddingsBody('no data', body);
  const expected = request.input.length;
  if (response.data.length !== expected) return invalidEmbeddingsBody(`${response.data.length} embeddings for ${expected} inputs`, body);
  const embeddings: Array<EmbeddingVector | undefined> = Array.from({ length: expected });
  for (let position = 0; position < response.data.length; position++) {
    const item: { index?: number | null; embedding?: unknown } = response.data[position]!;
    const index = item.index ?? position;
    if (index >= expected || embeddings[index] !== undefined) return invalidEmbeddingsBody(`embedding index ${index} is out of range or repeated`, body);
    const vector = toEncoding(item.embedding, request.encodingFormat);
    if (vector === undefined) return invalidEmbeddingsBody(`embedding ${index} is neither numbers nor base64 float32`, body);
    embeddings[index] = vector;
  }
  const reported = response.usage?.prompt_tokens;
  const usage =
    typeof reported === 'number' && Number.isFinite(reported) && reported >= 0
      ? makeUsage({ promptTokens: Math.round(reported), completionTokens: 0, raw: response.usage })
      : makeUsage({ promptTokens: estimateEmbeddingTokens(request.input), completionTokens: 0, estimated: true });
  return { ok: true, embeddings: embeddings as EmbeddingVector[], usage, upstreamId: response.id ?? null, upstreamModel: response.model ?? null };
}


/** The adapter of an OpenAI-compatible preset; throws for an unknown one. */
export function createOpenAiEmbeddingsAdapter(presetName: string): OpenAiEmbeddingsAdapter {
  const preset = Object.hasOwn(openAiCompatiblePresets, presetName) ? openAiCompatiblePresets[presetName] : undefined;
  if (!preset) throw new Error(`unknown OpenAI-compatible preset "${presetName}" (known: ${Object.keys(openAiCompatiblePresets).join(', ')})`);
  return new OpenAiEmbeddingsAdapter(preset);
}

/** Azure OpenAI: the OpenAI embeddings body at `{resource}/openai/deployments/{deployment}/embeddings?api-version=`. */
export function createAzureEmbeddingsAdapter(): OpenAiEmbeddingsAdapter {
  return new OpenAiEmbeddingsAdapter(azurePreset, azureEmbeddingsEndpoint, { id: 'azure', wireFormat: 'azure' });
}

// Wire schema: lenient, only what the adapter reads. Embeddings are checked by `toEncoding` (a zod pass over
// thousands of numbers per input costs more than the check itself).
const openAiEmbeddingsResponseSchema = z.looseObject({
  id: z.string().nullish(),
  model: z.string().nullish(),
  data: z.array(z.looseObject({ index: z.number().int().nonnegative().nullish(), embedding: z.unknown() })).nullish(),
  usage: z.looseObject({ prompt_tokens: z.number().nullish(), total_tokens: z.number().nullish() }).nullish(),
  error: z
    .looseObject({ message: z.string().nullish(), type: z.string().nullish(), code: z.union([z.string(), z.number()]).nullish() })
    .nullish(),
});
