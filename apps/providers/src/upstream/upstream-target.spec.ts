import { checkUpstreamUrl, upstreamOrigin } from './upstream-target.js';

describe('upstream origin allowlist', () => {
  it('pins a provider to the origin of its base URL', () => {
    expect(upstreamOrigin('https://api.groq.com/openai/v1')).toEqual({ origin: 'https://api.groq.com' });
    expect(upstreamOrigin('http://127.0.0.1:8090/openai/v1')).toEqual({ origin: 'http://127.0.0.1:8090' });
  });

  it('refuses base URLs that are not plain http(s) without credentials', () => {
    expect(upstreamOrigin('file:///etc/passwd')).toHaveProperty('problem');
    expect(upstreamOrigin('https://user:secret@api.example.com/v1')).toHaveProperty('problem');
    expect(upstreamOrigin('not a url')).toHaveProperty('problem');
  });

  it('accepts adapter URLs on the pinned origin and returns path plus query', () => {
    expect(checkUpstreamUrl('https://res.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21', 'https://res.openai.azure.com')).toEqual({
      ok: true,
      origin: 'https://res.openai.azure.com',
      path: '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21',
    });
  });

  it('refuses any other origin: another host, port, scheme, or a userinfo trick', () => {
    const origin = 'https://api.openai.com';
    for (const url of [
      'https://evil.example.com/v1/chat/completions',
      'https://api.openai.com:8443/v1/chat/completions',
      'http://api.openai.com/v1/chat/completions',
      'https://api.openai.com@evil.example.com/v1',
      'https://user:pw@api.openai.com/v1',
      '//evil.example.com/x',
    ]) {
      expect(checkUpstreamUrl(url, origin)).toMatchObject({ ok: false });
    }
  });

  it('gives each origin its own verdict for the same URL, however often and in whatever order it is checked', () => {
    const url = 'https://api.openai.com/v1/chat/completions';
    for (let round = 0; round < 3; round++) {
      expect(checkUpstreamUrl(url, 'https://evil.example.com')).toMatchObject({ ok: false });
      expect(checkUpstreamUrl(url, 'https://api.openai.com')).toEqual({ ok: true, origin: 'https://api.openai.com', path: '/v1/chat/completions' });
      expect(checkUpstreamUrl('https://evil.example.com/v1/chat/completions', 'https://api.openai.com')).toMatchObject({ ok: false });
    }
  });
});
