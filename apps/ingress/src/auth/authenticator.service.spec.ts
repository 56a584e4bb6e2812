import { presentedKey } from './authenticator.service.js';

describe('presentedKey', () => {
  it('reads a Bearer token case-insensitively and trims it', () => {
    expect(presentedKey({ authorization: 'Bearer sk-sy-v1-abc ' })).toBe('sk-sy-v1-abc');
    expect(presentedKey({ authorization: 'bearer sk-sy-v1-abc' })).toBe('sk-sy-v1-abc');
  });

  it("falls back to Anthropic's x-api-key and refuses other schemes", () => {
    expect(presentedKey({ 'x-api-key': 'sk-sy-v1-xyz' })).toBe('sk-sy-v1-xyz');
    expect(presentedKey({ authorization: 'Basic dXNlcjpwYXNz' })).toBeUndefined();
    expect(presentedKey({})).toBeUndefined();
  });
});
