import { verifiesChallenge } from './pkce.js';

describe('PKCE verification (RFC 7636)', () => {
  // RFC 7636 Appendix B.
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

  it('accepts the RFC example for S256 and refuses any other verifier', () => {
    expect(verifiesChallenge(challenge, 'S256', verifier)).toBe(true);
    expect(verifiesChallenge(challenge, 'S256', `${verifier}x`)).toBe(false);
    expect(verifiesChallenge(challenge, 'S256', challenge)).toBe(false);
  });

  it('compares a plain challenge with the verifier itself', () => {
    expect(verifiesChallenge(verifier, 'plain', verifier)).toBe(true);
    expect(verifiesChallenge(verifier, 'plain', verifier.slice(1))).toBe(false);
    expect(verifiesChallenge(challenge, 'plain', verifier)).toBe(false);
  });
});
