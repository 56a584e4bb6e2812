import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { AdapterRequestError } from '../shared/adapter-request-error.js';
import { decodeFloat32Base64, encodeFloat32Base64, estimateEmbeddingTokens, isFloat32Base64, toEncoding } from './embedding-encoding.js';
import { getEmbeddingsAdapter } from './embeddings-registry.js';
import type { CanonicalEmbeddingsRequest, EmbeddingsResult } from './embeddings-types.js';
import { geminiTaskType } from './gemini-embeddings-adapter.js';

const fixture = (name: string) => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
const sharedFixture = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

const two: CanonicalEmbeddingsRequest = { input: ['The food was delicious', 'and the waiter was friendly'], encodingFormat: 'float' };
const context = { baseUrl: '', upstreamModelId: 'text-embedding-3-small', apiKey: 'sk-test' };

function ok(result: EmbeddingsResult): Extract<EmbeddingsResult, { ok: true }> {
  if (!result.ok) throw new Error(`expected a result, got ${JSON.stringify(result.error)}`);
  return result;
}

function failed(result: EmbeddingsResult): Extract<EmbeddingsResult, { ok: false }> {
  if (result.ok) throw new Error('expected an error');
  return result;
}

describe('OpenAI-compatible embeddings', () => {
  const openai = getEmbeddingsAdapter('openai', 'openai');

  it('posts model, input, dimensions and base64 to {base}/embeddings with a bearer key', () => {
    const { request, warnings } = openai.buildRequest({ input: ['hello'], dimensions: 256, encodingFormat: 'base64' }, context);
    expect(request).toMatchObject({ url: 'https://api.openai.com/v1/embeddings', method: 'POST', stream: false });
    expect(request.headers).toEqual({ 'content-type': 'application/json', authorization: 'Bearer sk-test' });
    expect(JSON.parse(request.body)).toEqual({ model: 'text-embedding-3-small', input: ['hello'], encoding_format: 'base64', dimensions: 256 });
    expect(warnings).toEqual([]);
  });

  it('asks for floats by leaving encoding_format out, forwards token inputs, and drops input_type with a warning', () => {
    const { request, warnings } = openai.buildRequest({ input: [[9906, 1917], [15339]], encodingFormat: 'float', inputType: 'search_query' }, { ...context, baseUrl: 'http://127.0.0.1:8090/openai/v1/' });
    expect(request.url).toBe('http://127.0.0.1:8090/openai/v1/embeddings');
    expect(JSON.parse(request.body)).toEqual({ model: 'text-embedding-3-small', input: [[9906, 1917], [15339]] });
    expect(warnings).toEqual(['input_type "search_query" is not sent: OpenAI has no such field']);
  });

  it('uses each host\'s own field names: Mistral output_dimension and no base64, OpenRouter input_type', () => {
    const mistral = getEmbeddingsAdapter('openai', 'mistral').buildRequest({ input: ['x'], dimensions: 512, encodingFormat: 'base64' }, { ...context, upstreamModelId: 'codestral-embed' });
    expect(mistral.request.url).toBe('https://api.mistral.ai/v1/embeddings');
    expect(JSON.parse(mistral.request.body)).toEqual({ model: 'codestral-embed', input: ['x'], output_dimension: 512 });
    const openrouter = getEmbeddingsAdapter('openai', 'openrouter').buildRequest({ input: ['x'], encodingFormat: 'float', inputType: 'search_document' }, { ...context, upstreamModelId: 'openai/text-embedding-3-small' });
    expect(JSON.parse(openrouter.request.body)).toEqual({ model: 'openai/text-embedding-3-small', input: ['x'], input_type: 'search_document' });
  });

  it('orders embeddings by index and reports the provider usage', () => {
    const result = ok(openai.parseResponse(fixture('openai-embeddings.json'), two));
    const data = JSON.parse(fixture('openai-embeddings.json')).data as Array<{ index: number; embedding: number[] }>;
    expect(data.map((item) => item.index)).toEqual([1, 0]);
    expect(result.embeddings).toEqual([data[1]!.embedding, data[0]!.embedding]);
    expect(result.usage).toMatchObject({ promptTokens: 9, completionTokens: 0, totalTokens: 9, raw: { prompt_tokens: 9, total_tokens: 9 } });
    expect(result.usage.estimated).toBeUndefined();
    expect(result.upstreamModel).toBe('text-embedding-3-small');
  });

  it('keeps base64 as sent when base64 was asked, and decodes it to the same float32 values when floats were', () => {
    const base64 = ok(openai.parseResponse(fixture('openai-embeddings-base64.json'), { ...two, encodingFormat: 'base64' }));
    expect(base64.embeddings).toEqual(JSON.parse(fixture('openai-embeddings-base64.json')).data.map((item: { embedding: string }) => item.embedding));
    const floats = ok(openai.parseResponse(fixture('openai-embeddings-base64.json'), two));
    const expected = ok(openai.parseResponse(fixture('openai-embeddings.json'), two)).embeddings as number[][];
    expect(floats.embeddings).toEqual(expected);
  });

  it('encodes a float answer as base64 when the host cannot (Mistral)', () => {
    const mistral = getEmbeddingsAdapter('openai', 'mistral');
    const result = ok(mistral.parseResponse(fixture('mistral-embeddings.json'), { input: ['x'], encodingFormat: 'base64' }));
    expect(decodeFloat32Base64(result.embeddings[0] as string)).toEqual([-0.0165863037109375, 0.07012939453125, 0.031494140625, 0.013092041015625]);
    expect(result.upstreamId).toBe('a3f1c2e0b8d94f2e9d3c7b6a5e4f3d2c');
    expect(result.usage.promptTokens).toBe(6);
  });

  it('estimates usage (marked estimated) when the host reports none', () => {
    const body = JSON.stringify({ object: 'list', data: [{ index: 0, embedding: [0.5] }, { index: 1, embedding: [0.25] }] });
    const result = ok(openai.parseResponse(body, two));
    expect(result.usage).toMatchObject({ promptTokens: Math.ceil(22 / 4) + Math.ceil(27 / 4), completionTokens: 0, estimated: true });
  });

  it('turns an unusable 200 into a retryable 502 of phase body', () => {
    const cases = [
      'not json',
      JSON.stringify({ object: 'list', data: [{ index: 0, embedding: [0.1] }] }),
      JSON.stringify({ object: 'list', data: [{ index: 0, embedding: [0.1] }, { index: 0, embedding: [0.2] }] }),
      JSON.stringify({ object: 'list', data: [{ index: 0, embedding: [0.1] }, { index: 1, embedding: ['x'] }] }),
      JSON.stringify({ object: 'list', data: [{ index: 0, embedding: [0.1] }, { index: 1, embedding: 'not*base64' }] }),
      JSON.stringify({ object: 'list' }),
    ];
    for (const body of cases) {
      expect(failed(openai.parseResponse(body, two)).error).toMatchObject({ status: 502, errorType: 'provider_unavailable', retryable: true, phase: 'body' });
    }
  });

  it('reads an error object in a 200 body with its own status', () => {
    const body = JSON.stringify({ error: { code: 429, message: 'Rate limit exceeded upstream' } });
    expect(failed(openai.parseResponse(body, two)).error).toMatchObject({ status: 429, retryable: true, phase: 'body', message: 'Rate limit exceeded upstream' });
  });

  it('types upstream errors: rate limits with their wait, unsupported dimensions, inputs over the context', () => {
    expect(openai.parseError(429, { 'retry-after-ms': '230' }, sharedFixture('openai-compatible/__fixtures__/openai-429.json'))).toMatchObject({ status: 429, errorType: 'rate_limit_exceeded', retryable: true, retryAfterMs: 230 });
    expect(openai.parseError(400, {}, fixture('openai-400-dimensions.json'))).toMatchObject({ status: 400, errorType: 'invalid_request', retryable: false, message: 'This model does not support specifying dimensions.' });
    expect(openai.parseError(400, {}, fixture('openai-400-context-length.json'))).toMatchObject({ status: 400, errorType: 'context_length_exceeded', retryable: false });
  });
});

describe('Azure OpenAI embeddings', () => {
  const azure = getEmbeddingsAdapter('azure');

  it('targets the deployment route with the api-version and api-key, without a model in the body', () => {
    const { request } = azure.buildRequest({ input: ['x'], encodingFormat: 'base64', dimensions: 64 }, { baseUrl: 'https://acme.openai.azure.com/openai', upstreamModelId: 'text-embedding-3-small', apiKey: 'az', apiVersion: '2024-10-21' });
    expect(request.url).toBe('https://acme.openai.azure.com/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-10-21');
    expect(request.headers).toEqual({ 'content-type': 'application/json', 'api-key': 'az' });
    expect(JSON.parse(request.body)).toEqual({ input: ['x'], encoding_format: 'base64', dimensions: 64 });
    expect(azure).toMatchObject({ id: 'azure', wireFormat: 'azure', acceptsTokenInputs: true });
  });

  it('needs the resource base URL', () => {
    expect(() => azure.buildRequest({ input: ['x'], encodingFormat: 'float' }, { baseUrl: '', upstreamModelId: 'd', apiKey: 'k' })).toThrow(/base URL/);
  });
});

describe('Gemini embeddings', () => {
  const gemini = getEmbeddingsAdapter('gemini');
  const geminiContext = { baseUrl: 'http://127.0.0.1:8090/gemini/v1beta', upstreamModelId: 'gemini-embedding-001', apiKey: 'g-key' };

  it('sends one input to :embedContent with taskType and outputDimensionality', () => {
    const { request, warnings } = gemini.buildRequest({ input: ['What is the meaning of life?'], encodingFormat: 'float', dimensions: 768, inputType: 'search_query' }, geminiContext);
    expect(request.url).toBe('http://127.0.0.1:8090/gemini/v1beta/models/gemini-embedding-001:embedContent');
    expect(request.headers).toEqual({ 'content-type': 'application/json', 'x-goog-api-key': 'g-key' });
    expect(JSON.parse(request.body)).toEqual({ content: { parts: [{ text: 'What is the meaning of life?' }] }, taskType: 'RETRIEVAL_QUERY', outputDimensionality: 768 });
    expect(warnings).toEqual([]);
  });

  it('sends several inputs to :batchEmbedContents, one request per input naming the model', () => {
    const { request, warnings } = gemini.buildRequest({ input: ['a', 'b'], encodingFormat: 'float', inputType: 'poetry' }, { ...geminiContext, baseUrl: '', upstreamModelId: 'models/gemini-embedding-001' });
    expect(request.url).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:batchEmbedContents');
    expect(JSON.parse(request.body)).toEqual({
      requests: [
        { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'a' }] } },
        { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'b' }] } },
      ],
    });
    expect(warnings).toEqual(['input_type "poetry" is not sent: Gemini has no such task type']);
  });

  it('refuses token-id inputs with a 400 that names the input (never a reason to fail over)', () => {
    let thrown: unknown;
    try {
      gemini.buildRequest({ input: [[1, 2, 3]], encodingFormat: 'float' }, geminiContext);
    } catch (error) {
      thrown = error;
    }
    expect(AdapterRequestError.isInstance(thrown)).toBe(true);
    expect(thrown).toMatchObject({ status: 400, errorType: 'invalid_request', param: 'input' });
    expect(gemini.acceptsTokenInputs).toBe(false);
  });

  it('reads single and batch answers, estimating usage the documented way (Gemini reports none)', () => {
    const single = ok(gemini.parseResponse(fixture('gemini-embed.json'), { input: ['What is the meaning of life?'], encodingFormat: 'float' }));
    expect(single.embeddings).toEqual([[0.008289937, -0.012946621, 0.0031270352, -0.052301504]]);
    expect(single.usage).toMatchObject({ promptTokens: 7, completionTokens: 0, estimated: true });
    const batch = ok(gemini.parseResponse(fixture('gemini-batch-embed.json'), { input: ['first input', 'second'], encodingFormat: 'float' }));
    expect(batch.embeddings).toHaveLength(2);
    expect(batch.usage.promptTokens).toBe(3 + 2);
  });

  it('encodes base64 as OpenAI does (float32 little-endian) and trusts usageMetadata when present', () => {
    const body = JSON.stringify({ embedding: { values: [0.5, -0.25] }, usageMetadata: { promptTokenCount: 11 } });
    const result = ok(gemini.parseResponse(body, { input: ['x'], encodingFormat: 'base64' }));
    expect(result.embeddings).toEqual([encodeFloat32Base64([0.5, -0.25])]);
    expect(result.usage).toMatchObject({ promptTokens: 11 });
    expect(result.usage.estimated).toBeUndefined();
  });

  it('refuses a count mismatch or empty values as a retryable 502', () => {
    expect(failed(gemini.parseResponse(fixture('gemini-batch-embed.json'), { input: ['one'], encodingFormat: 'float' })).error).toMatchObject({ status: 502, retryable: true });
    expect(failed(gemini.parseResponse(JSON.stringify({ embedding: { values: [] } }), { input: ['one'], encodingFormat: 'float' })).error).toMatchObject({ status: 502 });
  });

  it("types Gemini's errors: an invalid key hidden behind a 400", () => {
    expect(gemini.parseError(400, {}, sharedFixture('gemini/__fixtures__/gemini-400-api-key.json'))).toMatchObject({ status: 400, errorType: 'authentication', retryable: false });
  });

  it('maps input types to task types', () => {
    expect(geminiTaskType('search_document')).toBe('RETRIEVAL_DOCUMENT');
    expect(geminiTaskType('Semantic-Similarity')).toBe('SEMANTIC_SIMILARITY');
    expect(geminiTaskType('CLUSTERING')).toBe('CLUSTERING');
    expect(geminiTaskType('haiku')).toBeUndefined();
  });
});

describe('the embeddings registry', () => {
  it('shares one adapter per wire format and preset, and refuses Anthropic and unknown presets', () => {
    expect(getEmbeddingsAdapter('openai')).toBe(getEmbeddingsAdapter('openai', 'openai'));
    expect(getEmbeddingsAdapter('openai', 'simulator').id).toBe('openai-compatible:simulator');
    expect(() => getEmbeddingsAdapter('anthropic')).toThrow(/no embeddings/);
    expect(() => getEmbeddingsAdapter('openai', 'nobody')).toThrow(/unknown OpenAI-compatible preset/);
    expect(() => getEmbeddingsAdapter('telnet')).toThrow(/unknown wire format/);
  });
});

describe('embedding encodings', () => {
  const float32 = fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { maxLength: 64 });

  it('round-trips float32 values through base64', () => {
    fc.assert(
      fc.property(float32, (values) => {
        const encoded = encodeFloat32Base64(values);
        expect(isFloat32Base64(encoded)).toBe(true);
        expect(decodeFloat32Base64(encoded)).toEqual(values);
        expect(toEncoding(toEncoding(encoded, 'float'), 'base64')).toBe(encoded);
      }),
    );
  });

  it('refuses base64 that is not whole float32 values, and non-numeric vectors', () => {
    expect(isFloat32Base64('AAAA')).toBe(false); // 3 bytes
    expect(isFloat32Base64('AAAAAA==')).toBe(true); // 4 bytes
    expect(toEncoding('AAAA', 'float')).toBeUndefined();
    expect(toEncoding([1, Number.NaN], 'float')).toBeUndefined();
    expect(toEncoding({ values: [1] }, 'base64')).toBeUndefined();
  });

  it('estimates a quarter token per character per string, one per token id', () => {
    expect(estimateEmbeddingTokens(['hello there', 'x'])).toBe(3 + 1);
    expect(estimateEmbeddingTokens([[1, 2, 3], [4]])).toBe(4);
  });
});
