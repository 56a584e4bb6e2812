import { Injectable } from '@nestjs/common';
import { AuthenticationError, ForbiddenError, hashApiKey, ServiceUnavailableError, type AccountRecord, type KeyRecord } from '@switchyard/contracts';
import { KeyCacheService } from './key-cache.service.js';

export interface Caller {
  key: KeyRecord;
  account: AccountRecord;
}

/** Pulls the API key out of `Authorization: Bearer` (or Anthropic's `x-api-key`). */
export function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const authorization = headers['authorization'];
  const value = Array.isArray(authorization) ? authorization[0] : authorization;
  if (value) {
    const match = /^\s*bearer\s+(.+?)\s*$/i.exec(value);
    return match ? match[1] : undefined;
  }
  const apiKey = headers['x-api-key'];
  return (Array.isArray(apiKey) ? apiKey[0] : apiKey)?.trim() || undefined;
}

@Injectable()
export class AuthenticatorService {
  constructor(private readonly keys: KeyCacheService) {}

  /**
   * The caller of a request, from the in-memory key table: a missing, unknown, disabled or expired key is 401;
   * a management key on an inference endpoint is 403 (OpenRouter: management keys cannot call completions). A key
   * the table does not hold is looked up in billing before it is refused (it may have been created a moment ago).
   */
  async authenticate(headers: Record<string, string | string[] | undefined>, options: { allowManagement?: boolean; requireManagement?: boolean } = {}): Promise<Caller> {
    const presented = presentedKey(headers);
    if (!presented) throw new AuthenticationError('Missing Authentication header: send "Authorization: Bearer <your API key>"');
    if (!this.keys.ready) throw new ServiceUnavailableError('The gateway is starting up (key table not loaded yet); retry shortly');
    const hash = hashApiKey(presented);
    const key = this.keys.key(hash) ?? (await this.keys.lookUp(hash));
    if (!key) throw new AuthenticationError('Invalid API key');
    if (key.disabled) throw new AuthenticationError(key.disabledReason ? `This API key is disabled: ${key.disabledReason}` : 'This API key is disabled');
    if (key.expiresAt && Date.parse(key.expiresAt) <= Date.now()) throw new AuthenticationError('This API key has expired');
    const account = this.keys.account(key.accountId);
    if (!account) throw new AuthenticationError('Invalid API key');
    if (account.disabled) throw new AuthenticationError('This account is disabled');
    if (options.requireManagement && key.kind !== 'management') throw new ForbiddenError('This endpoint requires a management key');
    if (key.kind === 'management' && !options.allowManagement && !options.requireManagement) {
      throw new ForbiddenError('Management keys cannot be used for inference; create an inference key with POST /api/v1/keys');
    }
    return { key, account };
  }
}
