import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A stored credential that cannot be opened: wrong key, tampered value, or not our format. Carries no secret. */
export class CredentialDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialDecryptionError';
  }
}

/**
 * AES-256-GCM for provider keys at rest. Each value gets a fresh random 96-bit IV; the 128-bit auth tag is checked
 * on open, and the additional authenticated data binds a ciphertext to its row (provider and account), so a value
 * copied onto another row does not open either. Stored form: `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url),
 * where `keyId` names the encryption key (a hash prefix, not the key) so a key rotation is diagnosable.
 */
export class CredentialCipher {
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error(`AES-256-GCM needs a 32-byte key (got ${key.length})`);
    this.keyId = createHash('sha256').update('switchyard-credential-key-id:').update(key).digest('hex').slice(0, 8);
  }

  encrypt(plaintext: string, associatedData: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, this.keyId, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  decrypt(stored: string, associatedData: string): string {
    const fields = stored.split('.');
    if (fields.length !== 5 || fields[0] !== VERSION) throw new CredentialDecryptionError('not a v1 encrypted credential');
    const [, keyId, ivText, tagText, ciphertextText] = fields as [string, string, string, string, string];
    if (keyId !== this.keyId) throw new CredentialDecryptionError(`encrypted under another SECRETS_KEY (key id ${keyId}, current ${this.keyId})`);
    const iv = Buffer.from(ivText, 'base64url');
    const tag = Buffer.from(tagText, 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new CredentialDecryptionError('malformed encrypted credential');
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(Buffer.from(ciphertextText, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new CredentialDecryptionError('authentication tag mismatch: the stored credential was altered or belongs to another row');
    }
  }
}

/** The associated data binding a ciphertext to its row. */
export function credentialAssociatedData(provider: string, accountId: string | null): string {
  return accountId === null ? `platform:${provider}` : `account:${accountId}:${provider}`;
}

/** The last four characters shown in status views (never more of the key). */
export function lastFour(apiKey: string): string {
  return apiKey.length <= 8 ? '' : apiKey.slice(-4);
}
