import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { authCodeRequestSchema, BadRequestError, ForbiddenError, hashApiKey, NotFoundError, RateLimitError } from '@switchyard/contracts';
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AccountsRepository } from '../accounts/accounts.repository.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { parseOrBadRequest } from '../common/validation.js';
import { KeysService } from '../keys/keys.service.js';
import { authCodeCreateBodySchema, authCodeExchangeBodySchema, type AuthCodeCreateBody, type AuthCodeExchangeBody } from './auth-code-body.schema.js';
import { AuthCodesRepository } from './auth-codes.repository.js';
import { verifiesChallenge } from './pkce.js';

/** How long a code can be exchanged, ms (OpenRouter: ten minutes, single use). */
export const AUTH_CODE_TTL_MS = 10 * 60_000;
/** Codes one account may have waiting at once (a key cannot fill the table). */
export const LIVE_AUTH_CODES_PER_ACCOUNT = 100;
const CODE_PREFIX = 'sy-auth-';

/**
 * OpenRouter's OAuth PKCE, server side: an account's key creates a code carrying the future key's label, limit and
 * expiry (and optionally a PKCE challenge); the app exchanges the code once, within ten minutes, with the verifier,
 * for a new inference key of that account. There is no consent page: whoever holds a key of the account creates
 * codes for it. The code is a bearer secret: only its SHA-256 is stored.
 */
@Injectable()
export class AuthCodesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly codes: AuthCodesRepository,
    private readonly accounts: AccountsRepository,
    private readonly keys: KeysService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async handle(payload: unknown): Promise<unknown> {
    const request = parseOrBadRequest(authCodeRequestSchema, payload, 'auth code request');
    if (request.op === 'create') return this.create(request.accountId, parseOrBadRequest(authCodeCreateBodySchema, request.body, 'auth code'));
    return this.exchange(parseOrBadRequest(authCodeExchangeBodySchema, request.body, 'auth code exchange'));
  }

  async create(accountId: string, body: AuthCodeCreateBody): Promise<{ data: { id: string; app_id: number; created_at: string } }> {
    const now = this.clock.now();
    if (body.expires_at && Date.parse(body.expires_at) <= now) throw new BadRequestError('Invalid auth code: expires_at: must be in the future', { issues: [{ path: 'expires_at', message: 'must be in the future' }] });
    if (!(await this.accounts.exists(this.dataSource, accountId))) throw new NotFoundError(`Account ${accountId} not found`);
    if ((await this.codes.liveCount(this.dataSource, accountId, new Date(now))) >= LIVE_AUTH_CODES_PER_ACCOUNT) {
      throw new RateLimitError(`This account has ${LIVE_AUTH_CODES_PER_ACCOUNT} auth codes waiting to be exchanged; codes expire ten minutes after creation`, { retryAfterSeconds: 60 });
    }
    const code = CODE_PREFIX + randomBytes(24).toString('base64url');
    const createdAt = new Date(now);
    await this.codes.deleteExpired(this.dataSource, new Date(now - AUTH_CODE_TTL_MS));
    await this.codes.insert(this.dataSource, {
      codeHash: hashApiKey(code),
      account_id: accountId,
      callback_url: body.callback_url,
      code_challenge: body.code_challenge ?? null,
      code_challenge_method: body.code_challenge ? (body.code_challenge_method ?? 'plain') : null,
      key_label: body.key_label ?? null,
      key_limit: body.limit ?? null,
      limit_reset: body.usage_limit_type ?? null,
      key_expires_at: body.expires_at ? new Date(body.expires_at) : null,
      createdAt,
      expiresAt: new Date(now + AUTH_CODE_TTL_MS),
    });
    // No apps here: app_id is 0 (OpenRouter's field is a number).
    return { data: { id: code, app_id: 0, created_at: createdAt.toISOString() } };
  }

  /** Uses the code up first, whatever follows: a wrong verifier costs the code (RFC 7636 leaves no second try). */
  async exchange(body: AuthCodeExchangeBody): Promise<{ key: string; user_id: string }> {
    const code = await this.codes.consume(this.dataSource, hashApiKey(body.code), new Date(this.clock.now()));
    if (!code) throw new ForbiddenError('Invalid code: unknown, expired (codes live ten minutes) or already used');
    if (code.code_challenge !== null && code.code_challenge_method !== null) {
      if (body.code_challenge_method !== undefined && body.code_challenge_method !== code.code_challenge_method) {
        throw new ForbiddenError(`Invalid code_challenge_method: the code was created with ${code.code_challenge_method}`);
      }
      if (body.code_verifier === undefined || !verifiesChallenge(code.code_challenge, code.code_challenge_method, body.code_verifier)) {
        throw new ForbiddenError('Invalid code_verifier for this code');
      }
    }
    const created = await this.keys.create(code.account_id, {
      name: code.key_label ?? 'OAuth key',
      kind: 'inference',
      limit: code.key_limit,
      limit_reset: code.limit_reset,
      expires_at: code.key_expires_at?.toISOString() ?? null,
    });
    return { key: created.key, user_id: code.account_id };
  }
}
