/**
 * The conformance suite every adapter runs: each `src/<adapter>/__fixtures__/cases.json` names recorded upstream
 * bodies (streams as the upstream sent them, non-streaming responses, error bodies) and what a client must get
 * from them. For every recording: the canonical parts obey the stream grammar and the part schema, the assembled
 * result is the expected one, a stream and a response of the same content agree, a stream cut short ends in an
 * error, and error bodies become the expected typed errors.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import {
  assembleResult,
  checkStreamGrammar,
  streamPartSchema,
  upstreamErrorSchema,
  type ChatResult,
  type StreamPart,
} from '@switchyard/llm-spec';
import { getAdapter } from '../registry.js';
import { rawErrorLimit } from '../shared/upstream-errors.js';
import { SseParser, parseSseText } from '../shared/sse-parser.js';
import type { ProviderAdapter } from '../types.js';
import { replayEvents, replaySse } from './replay.js';

interface ExpectedToolCall {
  id: string;
  name: string;
  arguments: unknown;
}

interface ExpectedResult {
  text?: string;
  /** For JSON answers whose whitespace differs between stream and response: compared parsed. */
  json?: unknown;
  reasoning?: string;
  reasoningDetails?: unknown[];
  toolCalls?: ExpectedToolCall[];
  usage?: Record<string, number> | null;
  finishReason?: string;
  nativeFinishReason?: string | null;
  upstreamId?: string;
  upstreamModel?: string;
  error?: Record<string, unknown>;
}

interface FixtureCase {
  name: string;
  source: string;
  preset?: string;
  stream?: string;
  response?: string;
  expect: ExpectedResult;
}

interface ErrorCase {
  name: string;
  preset?: string;
  status: number;
  headers?: Record<string, string>;
  body: string;
  expect: { errorType: string; retryable: boolean; retryAfterMs?: number; providerCode?: string; messageContains?: string };
}

interface Manifest {
  adapter: { wireFormat: string; preset?: string };
  cases: FixtureCase[];
  errors: ErrorCase[];
}

const sourceRoot = path.resolve(import.meta.dirname, '..');
const adapterFolders = readdirSync(sourceRoot).filter((folder) => existsSync(path.join(sourceRoot, folder, '__fixtures__', 'cases.json')));

function adapterFor(manifest: Manifest, preset: string | undefined): ProviderAdapter {
  return getAdapter(manifest.adapter.wireFormat, preset ?? manifest.adapter.preset);
}

function expectWellFormed(parts: StreamPart[]): void {
  expect(checkStreamGrammar(parts)).toEqual([]);
  for (const part of parts) expect(streamPartSchema.safeParse(part).success).toBe(true);
  const metadataIndex = parts.findIndex((part) => part.type === 'response-metadata');
  expect(metadataIndex === -1 || metadataIndex === 0).toBe(true);
  expect(parts.filter((part) => part.type === 'response-metadata').length).toBeLessThanOrEqual(1);
}

function parsedArguments(text: string): unknown {
  return JSON.parse(text) as unknown;
}

function expectResult(result: ChatResult, expected: ExpectedResult): void {
  if (expected.text !== undefined) expect(result.text).toBe(expected.text);
  if (expected.json !== undefined) expect(JSON.parse(result.text)).toEqual(expected.json);
  if (expected.reasoning !== undefined) expect(result.reasoning).toBe(expected.reasoning);
  if (expected.reasoningDetails !== undefined) expect(result.reasoningDetails).toEqual(expected.reasoningDetails);
  if (expected.toolCalls !== undefined) {
    expect(result.toolCalls.map((call) => ({ id: call.id, name: call.function.name, arguments: parsedArguments(call.function.arguments) }))).toEqual(expected.toolCalls);
  }
  if (expected.usage === null) expect(result.usage).toBeNull();
  else if (expected.usage !== undefined) {
    expect(result.usage).toMatchObject(expected.usage);
    expect(result.usage!.totalTokens).toBe(result.usage!.promptTokens + result.usage!.completionTokens);
    expect(result.usage!.raw).toBeDefined();
  }
  if (expected.finishReason !== undefined) expect(result.finishReason).toBe(expected.finishReason);
  if (expected.nativeFinishReason !== undefined) expect(result.nativeFinishReason).toBe(expected.nativeFinishReason);
  if (expected.upstreamId !== undefined) expect(result.upstreamId).toBe(expected.upstreamId);
  if (expected.upstreamModel !== undefined) expect(result.upstreamModel).toBe(expected.upstreamModel);
  if (expected.error !== undefined) expect(result.error).toMatchObject(expected.error);
  else expect(result.error).toBeUndefined();
}

/** What a client reads from a result, with JSON compared by value (a stream's whitespace may differ). */
function clientView(result: ChatResult) {
  let text: unknown = result.text;
  try {
    if (result.text.trim().startsWith('{')) text = JSON.parse(result.text);
  } catch {
    // plain text
  }
  return {
    text,
    reasoning: result.reasoning,
    reasoningDetails: result.reasoningDetails,
    refusal: result.refusal,
    toolCalls: result.toolCalls.map((call) => ({ id: call.id, name: call.function.name, arguments: parsedArguments(call.function.arguments) })),
    usage: result.usage && { ...result.usage, raw: undefined },
    finishReason: result.finishReason,
    nativeFinishReason: result.nativeFinishReason,
    upstreamId: result.upstreamId,
    upstreamModel: result.upstreamModel,
  };
}

describe.each(adapterFolders)('conformance: %s', (folder) => {
  const fixtures = path.join(sourceRoot, folder, '__fixtures__');
  const manifest = JSON.parse(readFileSync(path.join(fixtures, 'cases.json'), 'utf8')) as Manifest;
  const read = (file: string) => readFileSync(path.join(fixtures, file), 'utf8');

  it('has cases for streams, responses and errors', () => {
    expect(manifest.cases.some((fixture) => fixture.stream)).toBe(true);
    expect(manifest.cases.some((fixture) => fixture.response)).toBe(true);
    expect(manifest.errors.length).toBeGreaterThan(0);
  });

  describe.each(manifest.cases.map((fixture) => [fixture.name, fixture] as const))('%s', (_name, fixture) => {
    const adapter = adapterFor(manifest, fixture.preset);

    if (fixture.stream) {
      const body = read(fixture.stream);

      it('stream: well-formed parts with the expected result', () => {
        const parts = replaySse(adapter, body);
        expectWellFormed(parts);
        expectResult(assembleResult(parts), fixture.expect);
      });

      it('stream: the same parts whether the body arrives whole or byte by byte', () => {
        const whole = replaySse(adapter, body);
        const decoder = adapter.createStreamDecoder();
        const parts: StreamPart[] = [];
        const sse = new SseParser();
        for (const character of body) for (const event of sse.push(character)) parts.push(...decoder.push(event));
        for (const event of sse.end()) parts.push(...decoder.push(event));
        parts.push(...decoder.end());
        expect(parts).toEqual(whole);
      });

      const events = parseSseText(body);
      // A one-event stream (a blocked prompt) has no shorter prefix worth replaying.
      if (events.length >= 2) it('stream: cut short before its terminal event, it ends in an error', () => {
        const parts = replayEvents(adapter, events.slice(0, Math.floor(events.length / 2)));
        expectWellFormed(parts);
        const last = parts.at(-1);
        expect(last?.type).toBe('error');
        if (last?.type === 'error') {
          expect(last.error.phase).toBe('body');
          expect(last.error.retryable).toBe(true);
        }
      });
    }

    if (fixture.response) {
      const body = read(fixture.response);

      it('response: well-formed parts with the expected result', () => {
        const parts = adapter.parseResponse(body);
        expectWellFormed(parts);
        expectResult(assembleResult(parts), fixture.expect);
      });
    }

    if (fixture.stream && fixture.response) {
      it('stream and response of the same content agree', () => {
        const streamed = assembleResult(replaySse(adapter, read(fixture.stream!)));
        const whole = assembleResult(adapter.parseResponse(read(fixture.response!)));
        expect(clientView(streamed)).toEqual(clientView(whole));
      });
    }
  });

  describe.each(manifest.errors.map((errorCase) => [errorCase.name, errorCase] as const))('error %s', (_name, errorCase) => {
    it('becomes the expected typed upstream error', () => {
      const body = read(errorCase.body);
      const error = adapterFor(manifest, errorCase.preset).parseError(errorCase.status, errorCase.headers ?? {}, body);
      expect(upstreamErrorSchema.safeParse(error).success).toBe(true);
      expect(error.status).toBe(errorCase.status);
      expect(error.errorType).toBe(errorCase.expect.errorType);
      expect(error.retryable).toBe(errorCase.expect.retryable);
      expect(error.retryAfterMs).toBe(errorCase.expect.retryAfterMs);
      if (errorCase.expect.providerCode !== undefined) expect(error.providerCode).toBe(errorCase.expect.providerCode);
      if (errorCase.expect.messageContains !== undefined) expect(error.message).toContain(errorCase.expect.messageContains);
      expect(error.raw).toBe(body.slice(0, rawErrorLimit));
    });
  });
});
