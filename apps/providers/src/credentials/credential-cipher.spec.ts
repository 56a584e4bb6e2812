import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { credentialAssociatedData, CredentialCipher, CredentialDecryptionError, lastFour } from './credential-cipher.js';

const key = randomBytes(32);
const cipher = new CredentialCipher(key);
const aad = credentialAssociatedData('groq', null);

function flipCharacter(text: string, index: number): string {
  const replacement = text[index] === 'A' ? 'B' : 'A';
  return text.slice(0, index) + replacement + text.slice(index + 1);
}

describe('CredentialCipher (AES-256-GCM)', () => {
  it('round-trips any key', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 300 }), (secret) => {
        expect(cipher.decrypt(cipher.encrypt(secret, aad), aad)).toBe(secret);
      }),
    );
  });

  it('uses a fresh IV per value and never stores the plaintext', () => {
    const first = cipher.encrypt('gsk_live_1234567890', aad);
    const second = cipher.encrypt('gsk_live_1234567890', aad);
    expect(first).not.toBe(second);
    expect(first.split('.')[2]).not.toBe(second.split('.')[2]);
    expect(first).not.toContain('gsk_live');
    expect(first).toMatch(/^v1\.[0-9a-f]{8}\./);
  });

  it('detects tampering with the ciphertext, the IV or the tag', () => {
    const stored = cipher.encrypt('sk-secret-value-123456', aad);
    const [version, keyId, iv, tag, ciphertext] = stored.split('.') as [string, string, string, string, string];
    const tampered = [
      [version, keyId, iv, tag, flipCharacter(ciphertext, 3)],
      [version, keyId, flipCharacter(iv, 2), tag, ciphertext],
      [version, keyId, iv, flipCharacter(tag, 5), ciphertext],
    ];
    for (const fields of tampered) {
      expect(() => cipher.decrypt(fields.join('.'), aad)).toThrow(CredentialDecryptionError);
    }
  });

  it('binds a value to its row: a platform key copied onto an account row (or another provider) does not open', () => {
    const stored = cipher.encrypt('sk-secret-value-123456', aad);
    expect(() => cipher.decrypt(stored, credentialAssociatedData('groq', 'acct-1'))).toThrow(/authentication tag/);
    expect(() => cipher.decrypt(stored, credentialAssociatedData('openai', null))).toThrow(CredentialDecryptionError);
  });

  it('names a value encrypted under another key instead of failing obscurely', () => {
    const other = new CredentialCipher(randomBytes(32));
    const stored = other.encrypt('sk-secret-value-123456', aad);
    expect(() => cipher.decrypt(stored, aad)).toThrow(/another SECRETS_KEY/);
  });

  it('rejects values that are not in the stored format and keys that are not 32 bytes', () => {
    expect(() => cipher.decrypt('plaintext-key', aad)).toThrow(/not a v1/);
    expect(() => cipher.decrypt(`v1.${cipher.keyId}.AA.AA.AA`, aad)).toThrow(/malformed/);
    expect(() => new CredentialCipher(randomBytes(16))).toThrow(/32-byte/);
  });

  it('never puts the key in an error message', () => {
    const stored = cipher.encrypt('sk-very-secret-000', aad);
    try {
      cipher.decrypt(stored, credentialAssociatedData('x', null));
      throw new Error('should not decrypt');
    } catch (error) {
      expect((error as Error).message).not.toContain('sk-very-secret');
    }
  });
});

describe('lastFour', () => {
  it('shows four characters of a real key and nothing of a short one', () => {
    expect(lastFour('sk-abcdefgh1234')).toBe('1234');
    expect(lastFour('short')).toBe('');
  });
});
