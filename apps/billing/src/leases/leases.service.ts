import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { BadRequestError, type LeaseReply, type LeaseRequest, NotFoundError } from '@switchyard/contracts';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AccountsRepository } from '../accounts/accounts.repository.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { inTransaction } from '../common/sql.js';
import { BILLING_CONFIG, type BillingConfig } from '../config/billing.config.js';
import { limitRemaining } from '../keys/key-limits.js';
import { RecordsRepository } from '../records/records.repository.js';
import { type LeaseDecision, planLease } from './lease-math.js';
import { LeasesRepository } from './leases.repository.js';

/** The lease reply plus totals ingress reconciles with (proposed for the contract; see README). */
export type BillingLeaseReply = LeaseReply & {
  grantedNow: string;
  grantedTotal: string;
  debitedTotal: string;
  keyGrantedTotal: string | null;
  keyDebitedTotal: string | null;
};

/**
 * Credit leases: how much each ingress replica may spend of an account (and of a key's limit). One transaction per
 * request, holding the account's balance row lock, so concurrent requests from any number of replicas are applied
 * one at a time against the same balance and never grant more than balance + overdraft in total.
 */
@Injectable()
export class LeasesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly accounts: AccountsRepository,
    private readonly leases: LeasesRepository,
    private readonly records: RecordsRepository,
    @Inject(BILLING_CONFIG) private readonly config: BillingConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async lease(request: LeaseRequest & { shrinkTo?: string }): Promise<BillingLeaseReply> {
    const decision = await inTransaction(this.dataSource, async (manager) => {
      const now = this.clock.now();
      const balance = await this.accounts.lockBalance(manager, request.accountId);
      if (!balance) throw new NotFoundError(`Account ${request.accountId} not found`);
      let key: { id: string; usable: boolean; limitRemaining: string | null } | null = null;
      if (request.keyHash !== undefined) {
        const [row] = await this.records.keyRows(manager, { hashes: [request.keyHash] });
        if (!row) throw new NotFoundError('API key not found');
        if (row.account_id !== request.accountId) throw new BadRequestError('The key does not belong to this account');
        const expired = row.expires_at !== null && row.expires_at.getTime() <= now;
        let remaining: string | null = null;
        if (row.limit !== null) {
          const windows = await this.records.windows(manager, [row], now);
          remaining = limitRemaining({ limit: row.limit, limitReset: row.limit_reset, includeByokInLimit: row.include_byok_in_limit }, windows.get(row.id)!);
        }
        key = { id: row.id, usable: !row.disabled && !expired, limitRemaining: remaining };
      }
      const rows = await this.leases.rowsForAccount(manager, request.accountId);
      const plan = planLease({
        now,
        ttlMs: this.config.LEASE_TTL_MS,
        replicaId: request.replicaId,
        requested: request.requested,
        newLeaseId: randomUUID(),
        balance: balance.balance,
        overdraft: balance.overdraft,
        accountDisabled: balance.disabled,
        shrinkTo: request.shrinkTo ?? null,
        key,
        leases: rows,
      });
      const at = new Date(now);
      await this.leases.write(manager, request.accountId, [plan.accountLease, ...(plan.keyLease ? [plan.keyLease] : []), ...plan.shrunkKeyLeases], at);
      await this.leases.extend(manager, plan.renewedKeyLeaseRowIds, plan.expiresAt, at);
      return plan;
    });
    return this.reply(request.accountId, decision);
  }

  private reply(accountId: string, decision: LeaseDecision): BillingLeaseReply {
    return {
      accountId,
      leaseId: decision.leaseId,
      granted: decision.granted,
      keyGranted: decision.keyGranted,
      expiresAt: decision.expiresAt,
      grantedNow: decision.grantedNow,
      grantedTotal: decision.grantedTotal,
      debitedTotal: decision.debitedTotal,
      keyGrantedTotal: decision.keyGrantedTotal,
      keyDebitedTotal: decision.keyDebitedTotal,
    };
  }
}
