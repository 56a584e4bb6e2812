import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  BadRequestError,
  type KeyLookupReply,
  type KeySnapshot,
  NotFoundError,
  hashApiKey,
  keyManagementRequestSchema,
  maskApiKey,
  newApiKey,
  subjects,
  type UserLimitsSnapshot,
} from '@switchyard/contracts';
import { NatsService } from '@switchyard/nest-kit';
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { AccountsRepository } from '../accounts/accounts.repository.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { parseOrBadRequest } from '../common/validation.js';
import { ChangeFeed, type ChangeSet } from '../records/change-feed.service.js';
import { type KeyRow, RecordsRepository } from '../records/records.repository.js';
import { type AdminKeyCreateBody, type KeyUpdateBody, keyCreateBodySchema, keyUpdateBodySchema } from './key-body.schema.js';
import { ZERO_WINDOWS } from './key-limits.js';
import { type KeyInfoExtras, type KeyObject, toKeyInfo, toKeyObject } from './key-views.js';
import { KeysRepository } from './keys.repository.js';
import { userWindowEnd, userWindowStart } from './user-limits.js';
import { formatMoney, moneyToNumber, toDecimal } from '@switchyard/money';

/** OpenRouter lists keys 100 at a time. */
export const KEYS_PAGE_SIZE = 100;

export interface CreatedKey {
  data: KeyObject;
  /** The plaintext key: shown once, never stored. */
  key: string;
}

/** API keys: the key-management API, `/key` data, the snapshot ingress authenticates from. */
@Injectable()
export class KeysService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly keys: KeysRepository,
    private readonly accounts: AccountsRepository,
    private readonly records: RecordsRepository,
    private readonly feed: ChangeFeed,
    private readonly nats: NatsService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  snapshot(): Promise<KeySnapshot> {
    return this.records.snapshot();
  }

  /** Every end user at their key's `user_limit` in the current window: what ingress refuses (402). */
  async userLimitBlocks(): Promise<UserLimitsSnapshot> {
    const rows = await this.keys.usersAtLimit(this.dataSource, this.clock.now());
    return {
      blocks: rows.map((row) => {
        const until = userWindowEnd(row.user_limit_reset, row.window_start.getTime());
        return { keyHash: row.hash, user: row.external_user, until: until === null ? null : new Date(until).toISOString(), limit: row.user_limit, limitReset: row.user_limit_reset };
      }),
    };
  }

  /**
   * A key's end users, most spending first, 100 a page: what each spent in the current window of the key's
   * `user_limit` (its `user_limit_reset`; for good when it never resets), what is left and whether they are refused.
   * A key without a user limit tracks nobody (an empty list).
   */
  async users(accountId: string, hash: string, offset: number) {
    const row = await this.managedKey(this.dataSource, accountId, hash);
    const now = this.clock.now();
    const start = userWindowStart(row.user_limit_reset, now);
    const end = userWindowEnd(row.user_limit_reset, start);
    const limit = row.user_limit;
    const rows = limit === null ? [] : await this.keys.userSpendPage(this.dataSource, row.id, new Date(start), { offset, limit: KEYS_PAGE_SIZE });
    return {
      data: rows.map((entry) => ({
        user: entry.external_user,
        usage: moneyToNumber(entry.spend),
        limit_remaining: moneyToNumber(formatMoney(toDecimal(limit!).minus(toDecimal(entry.spend)))),
        limited: toDecimal(entry.spend).gte(toDecimal(limit!)),
      })),
      user_limit: limit === null ? null : moneyToNumber(limit),
      user_limit_reset: row.user_limit_reset,
      window_start: new Date(start).toISOString(),
      window_end: end === null ? null : new Date(end).toISOString(),
    };
  }

  /** One key by hash with its account, for an ingress replica that does not know it yet. */
  lookup(hash: string): Promise<KeyLookupReply> {
    return this.records.lookup(hash);
  }

  /** `GET /api/v1/key` for the key with this hash. */
  async keyInfo(hash: string) {
    const now = this.clock.now();
    const row = await this.keys.byHash(this.dataSource, hash);
    if (!row) throw new NotFoundError('API key not found');
    const windows = (await this.records.windows(this.dataSource, [row], now)).get(row.id) ?? ZERO_WINDOWS;
    const account = await this.records.accountRow(this.dataSource, row.account_id, now);
    if (!account) throw new NotFoundError(`Account ${row.account_id} not found`);
    const record = this.records.toAccountRecord(account);
    return toKeyInfo(row, windows, record) satisfies KeyInfoExtras;
  }

  /** `sy.billing.keys.v1`: OpenRouter's /api/v1/keys on behalf of an account's management key. */
  async manage(payload: unknown): Promise<unknown> {
    const request = parseOrBadRequest(keyManagementRequestSchema, payload, 'key management request');
    switch (request.op) {
      case 'list': {
        const rows = await this.keys.page(this.dataSource, request.accountId, { offset: request.offset, limit: KEYS_PAGE_SIZE, includeDisabled: request.includeDisabled, kinds: ['inference'] });
        return { data: await this.objects(rows) };
      }
      case 'get':
        return { data: (await this.objects([await this.managedKey(this.dataSource, request.accountId, request.hash)]))[0] };
      case 'create': {
        const body = parseOrBadRequest(keyCreateBodySchema, request.body, 'key');
        return this.create(request.accountId, { ...body, kind: 'inference' });
      }
      case 'update': {
        const body = parseOrBadRequest(keyUpdateBodySchema, request.body, 'key update');
        return { data: await this.update(request.accountId, request.hash, body) };
      }
      case 'users':
        return this.users(request.accountId, request.hash, request.offset);
      case 'delete':
        await this.delete(request.accountId, request.hash);
        return { deleted: true };
    }
  }

  /** Creates a key (any kind: the admin API creates management keys too); returns the plaintext once. */
  async create(accountId: string, body: AdminKeyCreateBody, plaintext: string = newApiKey()): Promise<CreatedKey> {
    this.assertFutureExpiry(body.expires_at);
    const id = await this.feed.transact(async (manager, changes) => {
      if (!(await this.accounts.exists(manager, accountId))) throw new NotFoundError(`Account ${accountId} not found`);
      const created = await this.createIn(manager, changes, accountId, body, plaintext);
      if (!created) throw new BadRequestError('This key exists already');
      return created;
    });
    const row = (await this.records.keyRows(this.dataSource, { ids: [id] }))[0]!;
    return { data: toKeyObject(row, ZERO_WINDOWS), key: plaintext };
  }

  /** Inserts a key in the caller's transaction; returns its id, or null when the key (hash) exists. */
  async createIn(manager: EntityManager, changes: ChangeSet, accountId: string, body: AdminKeyCreateBody, plaintext: string): Promise<string | null> {
    const id = randomUUID();
    const inserted = await this.keys.insert(manager, {
      id,
      hash: hashApiKey(plaintext),
      accountId,
      name: body.name,
      label: maskApiKey(plaintext),
      kind: body.kind,
      limit: body.limit ?? null,
      limitReset: body.limit_reset ?? null,
      includeByokInLimit: body.include_byok_in_limit ?? false,
      expiresAt: body.expires_at ? new Date(body.expires_at) : null,
      creatorUserId: body.creator_user_id ?? null,
      maxSpendPerHour: body.max_spend_per_hour ?? null,
      allowedModels: body.allowed_models ?? null,
      guardrails: body.guardrails ?? null,
      userLimit: body.user_limit ?? null,
      userLimitReset: body.user_limit_reset ?? null,
      at: new Date(this.clock.now()),
    });
    if (!inserted) return null;
    changes.key(id);
    return id;
  }

  async update(accountId: string, hash: string, body: KeyUpdateBody): Promise<KeyObject> {
    const id = await this.feed.transact(async (manager, changes) => {
      const row = await this.managedKey(manager, accountId, hash, { lock: true });
      await this.keys.update(
        manager,
        row.id,
        { name: body.name, disabled: body.disabled, limit: body.limit, limitReset: body.limit_reset, includeByokInLimit: body.include_byok_in_limit, maxSpendPerHour: body.max_spend_per_hour, allowedModels: body.allowed_models, guardrails: body.guardrails, userLimit: body.user_limit, userLimitReset: body.user_limit_reset },
        new Date(this.clock.now()),
      );
      changes.key(row.id);
      return row.id;
    });
    const row = (await this.records.keyRows(this.dataSource, { ids: [id] }))[0]!;
    // A changed user limit blocks other end users (or frees them): ingress replicas fetch the blocks again.
    if (body.user_limit !== undefined || body.user_limit_reset !== undefined) this.nats.publish(subjects.billing.userLimitsChanged, { keyHash: row.hash });
    return (await this.objects([row]))[0]!;
  }

  async delete(accountId: string, hash: string): Promise<void> {
    await this.feed.transact(async (manager, changes) => {
      const row = await this.managedKey(manager, accountId, hash, { lock: true });
      await this.keys.delete(manager, row.id);
      changes.removedKey(row.hash);
    });
  }

  /** Every key of an account, any kind (admin view). */
  async accountKeys(accountId: string): Promise<KeyObject[]> {
    const rows = await this.keys.page(this.dataSource, accountId, { offset: 0, limit: 1000, includeDisabled: true, kinds: ['inference', 'management'] });
    return this.objects(rows);
  }

  async objects(rows: readonly KeyRow[]): Promise<KeyObject[]> {
    const windows = await this.records.windows(this.dataSource, rows, this.clock.now());
    return rows.map((row) => toKeyObject(row, windows.get(row.id) ?? ZERO_WINDOWS));
  }

  /** An inference key of the account (management keys are not reachable through the key-management API). */
  private async managedKey(db: EntityManager | DataSource, accountId: string, hash: string, options: { lock?: boolean } = {}): Promise<KeyRow> {
    const row = await this.keys.byHash(db, hash, options);
    if (!row || row.account_id !== accountId || row.kind !== 'inference') throw new NotFoundError(`API key ${hash} not found`);
    return row;
  }

  private assertFutureExpiry(expiresAt: string | null | undefined): void {
    if (expiresAt && Date.parse(expiresAt) <= this.clock.now()) throw new BadRequestError('Invalid key: expires_at: must be in the future', { issues: [{ path: 'expires_at', message: 'must be in the future' }] });
  }
}
