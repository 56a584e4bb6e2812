import { jest } from '@jest/globals';
import { AdapterRequestError, defaultAzureApiVersion, getAdapter, type ProviderAdapter } from '@switchyard/adapters';
import { providerChatRequestSchema, providerFrameSchema, type ProviderFrame } from '@switchyard/contracts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool, type Dispatcher } from 'undici';
import type { ResolvedProvider } from '../catalog/resolved-provider.js';
import { AttemptExecution, ERROR_BODY_LIMIT_BYTES, type AttemptDependencies } from './attempt-execution.js';

const request = providerChatRequestSchema.parse({
  attemptId: 'att-1',
  generationId: 'gen-1',
  accountId: 'acct-1',
  endpoint: { id: 'm/x@fake', modelId: 'm/x', providerSlug: 'fake', upstreamModelId: 'x' },
  request: { model: 'm/x', messages: [{ role: 'user', content: 'hi' }], stream: false },
  timeouts: { connectMs: 1_000, firstTokenMs: 1_000, idleMs: 1_000 },
});

function provider(adapter: ProviderAdapter, overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return { slug: 'fake', name: 'Fake', active: true, wireFormat: 'openai', preset: 'openai', baseUrl: 'https://api.fake.test/v1', apiVersion: undefined, origin: 'https://api.fake.test', adapter, problem: null, simulator: false, ...overrides };
}

function harness(resolved: ResolvedProvider | undefined, options: { maxResponseBytes?: number; stream?: boolean } = {}) {
  const attempt = options.stream ? providerChatRequestSchema.parse({ ...request, request: { ...request.request, stream: true } }) : request;
  const frames: ProviderFrame[] = [];
  const dispatcher = jest.fn<(origin: string) => Dispatcher>();
  const warnings: string[] = [];
  const dependencies: AttemptDependencies = {
    publishFrame: (subject, frame) => {
      expect(subject).toBe('_INBOX.test');
      frames.push(providerFrameSchema.parse(JSON.parse(frame)));
    },
    resolveProvider: () => resolved,
    resolveKey: () => ({ ok: true, apiKey: 'k', source: 'env' }),
    dispatcher,
    maxFrameBytes: 64 * 1024,
    maxResponseBytes: options.maxResponseBytes ?? 1024 * 1024,
    onWarning: (message) => warnings.push(message),
  };
  return { frames, dispatcher, warnings, run: () => new AttemptExecution(attempt, '_INBOX.test', dependencies).run() };
}

describe('AttemptExecution before the upstream call', () => {
  it('never calls a URL outside the provider origin, whatever the adapter built', async () => {
    const openai = getAdapter('openai', 'openai');
    const rogue: ProviderAdapter = {
      ...openai,
      buildRequest: (canonical, context) => {
        const built = openai.buildRequest(canonical, context);
        return { ...built, request: { ...built.request, url: 'https://collector.evil.test/steal' } };
      },
      parseResponse: openai.parseResponse.bind(openai),
      parseError: openai.parseError.bind(openai),
      createStreamDecoder: openai.createStreamDecoder.bind(openai),
    };
    const { frames, dispatcher, warnings, run } = harness(provider(rogue));
    const result = await run();
    expect(dispatcher).not.toHaveBeenCalled();
    expect(frames).toEqual([
      { k: 'failed', contentSent: false, upstreamMs: 0, ttftMs: null, error: expect.objectContaining({ status: 502, errorType: 'provider_unavailable', retryable: false, message: expect.stringContaining('https://collector.evil.test') }) },
    ]);
    expect(result).toMatchObject({ ok: false, upstreamMs: null });
    expect(warnings[0]).toContain('refused an upstream call');
  });

  it('fails over (retryable 502) for a provider this replica does not know, or one that is disabled', async () => {
    const unknown = harness(undefined);
    await unknown.run();
    expect(unknown.frames[0]).toMatchObject({ k: 'failed', error: { status: 502, retryable: true, message: expect.stringContaining('Unknown provider fake') } });
    const disabled = harness(provider(getAdapter('openai', 'openai'), { active: false }));
    await disabled.run();
    expect(disabled.frames[0]).toMatchObject({ k: 'failed', error: { status: 502, retryable: true, message: 'Provider fake is disabled' } });
    expect(disabled.dispatcher).not.toHaveBeenCalled();
  });

  it("answers the adapter's 400 for input the provider cannot take, not retryable", async () => {
    const openai = getAdapter('openai', 'openai');
    const refusing: ProviderAdapter = {
      ...openai,
      buildRequest: () => {
        throw new AdapterRequestError('image URLs must be data URLs for this provider', { errorType: 'invalid_image', param: 'messages[0].content[1]' });
      },
      parseResponse: openai.parseResponse.bind(openai),
      parseError: openai.parseError.bind(openai),
      createStreamDecoder: openai.createStreamDecoder.bind(openai),
    };
    const { frames, dispatcher, run } = harness(provider(refusing));
    await run();
    expect(dispatcher).not.toHaveBeenCalled();
    expect(frames).toEqual([{ k: 'failed', contentSent: false, upstreamMs: 0, ttftMs: null, error: expect.objectContaining({ status: 400, errorType: 'invalid_image', retryable: false }) }]);
  });
});

describe('AttemptExecution reading the upstream answer', () => {
  let server: Server;
  let origin: string;
  let pool: Pool;
  let answer: { status: number; body: string; contentType?: string } = { status: 200, body: '' };
  /** The path and query of every request the upstream received. */
  const received: string[] = [];

  beforeAll(async () => {
    server = createServer((incoming, response) => {
      received.push(incoming.url ?? '');
      incoming.resume();
      incoming.on('end', () => {
        response.writeHead(answer.status, { 'content-type': answer.contentType ?? 'application/json' });
        response.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    pool = new Pool(origin, { connections: 1 });
  });

  afterAll(async () => {
    await pool.close();
    await new Promise((resolve) => server.close(resolve));
  });

  function local(maxResponseBytes?: number, stream = false) {
    const setup = harness(provider(getAdapter('openai', 'openai'), { baseUrl: `${origin}/v1`, origin }), { maxResponseBytes, stream });
    setup.dispatcher.mockReturnValue(pool);
    return setup;
  }

  const completion = (text: string) =>
    JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'x', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: text } }], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } });

  it('relays a JSON answer as one parts frame ending the attempt', async () => {
    answer = { status: 200, body: completion('hello there') };
    const { frames, run } = local();
    const result = await run();
    expect(result).toMatchObject({ ok: true, status: 200, usage: { promptTokens: 3, completionTokens: 2 }, finishReason: 'stop' });
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ k: 'parts', parts: expect.arrayContaining([{ type: 'text-delta', text: 'hello there' }]), end: { upstreamStatus: 200 } });
  });

  it("calls an Azure deployment with the catalog provider's api-version, and the adapter's default without one", async () => {
    answer = { status: 200, body: completion('from azure') };
    for (const [apiVersion, expected] of [['2025-04-01-preview', '2025-04-01-preview'], [undefined, defaultAzureApiVersion]] as const) {
      const setup = harness(provider(getAdapter('azure'), { wireFormat: 'azure', preset: undefined, baseUrl: origin, origin, apiVersion }));
      setup.dispatcher.mockReturnValue(pool);
      received.length = 0;
      expect(await setup.run()).toMatchObject({ ok: true });
      expect(received).toEqual([`/openai/deployments/x/chat/completions?api-version=${expected}`]);
    }
  });

  it('sends the first token of a stream on its own when the whole answer arrives in one read, then the rest', async () => {
    const chunk = (delta: object, finish: string | null = null) => `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'x', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const usage = `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'x', choices: [], usage: { prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 } })}\n\n`;
    answer = { status: 200, contentType: 'text/event-stream', body: chunk({ role: 'assistant', content: '' }) + chunk({ content: 'Hel' }) + chunk({ content: 'lo' }) + chunk({ content: '!' }) + chunk({}, 'stop') + usage + 'data: [DONE]\n\n' };
    const { frames, run } = local(undefined, true);
    const result = await run();
    expect(result).toMatchObject({ ok: true, usage: { completionTokens: 3 }, finishReason: 'stop' });
    const texts = frames.map((frame) => (frame.k === 'parts' ? frame.parts.filter((part) => part.type === 'text-delta').map((part) => part.text) : []));
    expect(texts[0]).toEqual(['Hel']);
    expect(frames[0]).not.toHaveProperty('end');
    expect(texts.slice(1).flat()).toEqual(['lo', '!']);
    expect(frames.at(-1)).toMatchObject({ k: 'parts', end: { upstreamStatus: 200 } });
  });

  it('refuses an answer larger than the response limit with a retryable 502, sending nothing of it', async () => {
    answer = { status: 200, body: completion('x'.repeat(4_000)) };
    const { frames, run } = local(1_024);
    const result = await run();
    expect(result).toMatchObject({ ok: false, contentSent: false });
    expect(frames).toEqual([expect.objectContaining({ k: 'failed', error: expect.objectContaining({ status: 502, retryable: true, phase: 'body', message: 'The upstream response is larger than 1024 bytes' }) })]);
  });

  it("parses an error status's body with the adapter (status phase)", async () => {
    answer = { status: 400, body: JSON.stringify({ error: { message: 'max_tokens is too large', type: 'invalid_request_error', code: 'invalid_value' } }) };
    const { frames, run } = local();
    await run();
    expect(frames).toEqual([expect.objectContaining({ k: 'failed', error: expect.objectContaining({ status: 400, retryable: false, phase: 'status', message: expect.stringContaining('max_tokens is too large') }) })]);
  });

  it('answers a huge error body with its status and a bounded error, parsed from the start of the body', async () => {
    answer = { status: 503, body: `{"error":{"message":"${'overloaded '.repeat(5_000)}"}}` };
    const { frames, run } = local();
    await run();
    const failed = frames[0] as Extract<ProviderFrame, { k: 'failed' }>;
    expect(failed).toMatchObject({ k: 'failed', error: { status: 503, retryable: true, phase: 'status' } });
    expect(JSON.stringify(failed.error).length).toBeLessThan(ERROR_BODY_LIMIT_BYTES + 2_000);
  });
});
