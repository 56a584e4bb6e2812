import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type CredentialsChanged, type Credits, NotFoundError, credentialsChangedSchema, privacySettingsSchema } from '@switchyard/contracts';
import { moneyToNumber } from '@switchyard/money';
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { CLOCK, type Clock } from '../common/clock.js';
import { ChangeFeed, type ChangeSet } from '../records/change-feed.service.js';
import { type AccountRow, RecordsRepository } from '../records/records.repository.js';
import type { AccountCreateBody, AccountPatchBody } from './account.schema.js';
import { AccountsRepository } from './accounts.repository.js';

/** Accounts: creation, settings, BYOK providers, and the `/credits` totals. */
@Injectable()
export class AccountsService {
  private readonly logger = new Logger('Accounts');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly accounts: AccountsRepository,
    private readonly records: RecordsRepository,
    private readonly feed: ChangeFeed,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async create(body: AccountCreateBody): Promise<AccountRow> {
    const id = randomUUID();
    await this.feed.transact(async (manager, changes) => {
      await this.createIn(manager, changes, { id, name: body.name, overdraft: body.overdraft, privacy: body.privacy });
      if (body.alerts) await this.accounts.updateSettings(manager, id, { alerts: body.alerts }, new Date(this.clock.now()));
    });
    return this.row(id);
  }

  /** Inserts an account and its balance row (no-op when the id exists). Returns whether it was created. */
  async createIn(manager: EntityManager, changes: ChangeSet, input: { id: string; name: string; overdraft?: string; privacy?: Partial<AccountCreateBody['privacy']> }): Promise<boolean> {
    const created = await this.accounts.insert(manager, {
      id: input.id,
      name: input.name,
      overdraft: input.overdraft ?? '0',
      privacy: privacySettingsSchema.parse(input.privacy ?? {}),
      at: new Date(this.clock.now()),
    });
    if (created) changes.account(input.id);
    return created;
  }

  async update(id: string, patch: AccountPatchBody): Promise<AccountRow> {
    await this.feed.transact(async (manager, changes) => {
      const updated = await this.accounts.updateSettings(manager, id, patch, new Date(this.clock.now()));
      if (!updated) throw new NotFoundError(`Account ${id} not found`);
      changes.account(id);
    });
    return this.row(id);
  }

  async row(id: string): Promise<AccountRow> {
    const row = await this.records.accountRow(this.dataSource, id, this.clock.now());
    if (!row) throw new NotFoundError(`Account ${id} not found`);
    return row;
  }

  /** `GET /api/v1/credits`: credits added (net of refunds and expiries) and usage, as JSON numbers. */
  async credits(accountId: string): Promise<Credits> {
    const totals = await this.accounts.creditTotals(this.dataSource, accountId);
    if (!totals) throw new NotFoundError(`Account ${accountId} not found`);
    return { total_credits: moneyToNumber(totals.total_credits), total_usage: moneyToNumber(totals.total_usage) };
  }

  /** Keeps `byokProviders` in sync with the providers service (events older than the last applied are ignored). */
  async applyCredentialsChanged(event: CredentialsChanged): Promise<'missing' | 'stale' | 'updated'> {
    const parsed = credentialsChangedSchema.parse(event);
    const slugs = [...new Set(parsed.providerSlugs.map((slug) => slug.trim()).filter((slug) => slug.length > 0))].sort();
    const outcome = await this.feed.transact(async (manager, changes) => {
      const result = await this.accounts.setByokProviders(manager, parsed.accountId, slugs, parsed.at, new Date(this.clock.now()));
      if (result === 'updated') changes.account(parsed.accountId);
      return result;
    });
    if (outcome === 'missing') this.logger.warn(`credentials-changed for unknown account ${parsed.accountId} ignored`);
    return outcome;
  }

  async list(limit: number, offset: number) {
    return this.accounts.list(this.dataSource, limit, offset);
  }
}
