import { createHash, timingSafeEqual } from 'node:crypto';

export type PkceMethod = 'S256' | 'plain';

/** RFC 7636 §4.6: whether `verifier` answers `challenge` (S256: BASE64URL(SHA256(verifier)); plain: equal), in constant time. */
export function verifiesChallenge(challenge: string, method: PkceMethod, verifier: string): boolean {
  const expected = Buffer.from(challenge);
  const actual = Buffer.from(method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
