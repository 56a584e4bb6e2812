import { GatewayError } from '@switchyard/contracts';
import { checkImportUrl, fetchModelList } from './model-list.fetcher.js';

const limits = { allowedHosts: ['openrouter.ai', '127.0.0.1:8099'], timeoutMs: 200, maxBytes: 64 };

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(GatewayError.isInstance(error)).toBe(true);
  return error as GatewayError;
}

describe('import URL fetching', () => {
  it('allows listed hosts (by name, or host:port) over http(s) only', () => {
    expect(checkImportUrl('https://openrouter.ai/api/v1/models', limits.allowedHosts).hostname).toBe('openrouter.ai');
    expect(checkImportUrl('https://OPENROUTER.ai/api/v1/models', limits.allowedHosts).hostname).toBe('openrouter.ai');
    expect(checkImportUrl('http://127.0.0.1:8099/models', limits.allowedHosts).port).toBe('8099');
    for (const url of ['https://evil.example/models', 'https://openrouter.ai.evil.example/', 'http://127.0.0.1:9000/models', 'file:///etc/passwd', 'https://user:pw@openrouter.ai/', 'not a url']) {
      expect(() => checkImportUrl(url, limits.allowedHosts)).toThrow(expect.objectContaining({ status: 400 }));
    }
  });

  it('never calls fetch for a host that is not allowed', async () => {
    let calls = 0;
    const fetchImpl = (async () => {
      calls++;
      return new Response('{}');
    }) as unknown as typeof fetch;
    const error = await failure(fetchModelList('https://example.com/models', limits, fetchImpl));
    expect(error.status).toBe(400);
    expect(calls).toBe(0);
  });

  it('parses a JSON body and refuses redirects, errors, non-JSON and oversized bodies', async () => {
    const respond = (response: Response) => (async () => response) as unknown as typeof fetch;
    await expect(fetchModelList('https://openrouter.ai/api/v1/models', limits, respond(new Response('{"data":[]}')))).resolves.toEqual({ data: [] });
    expect((await failure(fetchModelList('https://openrouter.ai/x', limits, respond(new Response(null, { status: 302, headers: { location: 'https://evil.example' } }))))).status).toBe(502);
    expect((await failure(fetchModelList('https://openrouter.ai/x', limits, respond(new Response('nope', { status: 500 }))))).status).toBe(502);
    expect((await failure(fetchModelList('https://openrouter.ai/x', limits, respond(new Response('<html>'))))).status).toBe(502);
    expect((await failure(fetchModelList('https://openrouter.ai/x', limits, respond(new Response('x'.repeat(65)))))).status).toBe(413);
    // a body larger than the limit without a Content-Length is stopped while reading
    const stream = new ReadableStream({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('x'.repeat(40)));
      },
    });
    expect((await failure(fetchModelList('https://openrouter.ai/x', limits, respond(new Response(stream))))).status).toBe(413);
  });

  it('gives up after the time limit', async () => {
    const hanging = ((_url: URL, init: RequestInit) =>
      new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(new Error('aborted'))))) as unknown as typeof fetch;
    const error = await failure(fetchModelList('https://openrouter.ai/x', limits, hanging));
    expect(error.status).toBe(502);
    expect(error.message).toContain('timed out');
  });
});
