import { chatRequest } from '../test/builders.js';
import { resolveSessionKey } from './session-key.js';

describe('resolveSessionKey', () => {
  const messages = chatRequest({
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello' },
      { role: 'user', content: 'More' },
    ],
  }).messages;

  it('prefers body session_id, then the header, then prompt_cache_key', () => {
    expect(resolveSessionKey({ messages, session_id: 'abc', prompt_cache_key: 'pk' }, 'header')).toEqual({ key: 's:abc', source: 'session_id' });
    expect(resolveSessionKey({ messages, prompt_cache_key: 'pk' }, 'header')).toEqual({ key: 's:header', source: 'header' });
    expect(resolveSessionKey({ messages, prompt_cache_key: 'pk' }, null)).toEqual({ key: 'c:pk', source: 'prompt_cache_key' });
  });

  it('gives the body session_id and the same header value the same key', () => {
    expect(resolveSessionKey({ messages, session_id: 'x' })?.key).toBe(resolveSessionKey({ messages }, 'x')?.key);
  });

  it('falls back to a hash of the first system and first non-system message, ignoring later turns', () => {
    const key = resolveSessionKey({ messages });
    expect(key?.source).toBe('conversation');
    const longer = [...messages, { role: 'user' as const, content: 'Even more' }];
    expect(resolveSessionKey({ messages: longer })).toEqual(key);
    const otherSystem = [{ role: 'system' as const, content: 'You are verbose.' }, ...messages.slice(1)];
    expect(resolveSessionKey({ messages: otherSystem })?.key).not.toBe(key?.key);
  });

  it('reads text parts of multipart content', () => {
    const asParts = resolveSessionKey({ messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] });
    const asString = resolveSessionKey({ messages: [{ role: 'user', content: 'Hi' }] });
    expect(asParts).toEqual(asString);
  });
});
