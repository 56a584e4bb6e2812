import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { BadRequestError, GatewayError, NotFoundError } from '@switchyard/contracts';
import { Decimal, formatMoney, toDecimal } from '@switchyard/money';
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { AccountsRepository, type LockedBalance } from '../accounts/accounts.repository.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { HOUR_MS } from '../common/time.js';
import { BILLING_CONFIG, type BillingConfig } from '../config/billing.config.js';
import { accountLeasesOutstanding } from '../leases/lease-math.js';
import { LeasesRepository } from '../leases/leases.repository.js';
import { ChangeFeed, type ChangeSet } from '../records/change-feed.service.js';
import { LedgerRepository, type LotRow, type NewLedgerEntry } from './ledger.repository.js';
import { type TopUpFeeRules, type TopUpMethod, applyCredit, consumeLots, expiryPlan, lotExpiresAt, refundDecision, topUpQuote } from './lots.js';

export interface TopUpResult {
  lot: LotRow;
  fee: string;
  totalCharged: string;
  balance: string;
  /** True when an earlier top-up with the same idempotency key was returned instead of a new one. */
  replayed: boolean;
}

export interface RefundResult {
  purchaseId: string;
  refunded: string;
  /** Unused credits of the purchase still reserved by leases (refundable by a later call within the window). */
  remaining: string;
  partial: boolean;
  balance: string;
}

export interface ExpirySummary {
  accounts: number;
  lots: number;
  expired: string;
}

/** Credits in and out of accounts: top-ups with fees, refunds, adjustments, and the yearly expiry of lots. */
@Injectable()
export class CreditsService {
  private readonly logger = new Logger('Credits');
  private readonly feeRules: TopUpFeeRules;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly feed: ChangeFeed,
    private readonly accounts: AccountsRepository,
    private readonly ledger: LedgerRepository,
    private readonly leases: LeasesRepository,
    @Inject(BILLING_CONFIG) private readonly config: BillingConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.feeRules = {
      card: { rate: config.CARD_FEE_RATE, minimum: config.CARD_FEE_MINIMUM },
      crypto: { rate: config.CRYPTO_FEE_RATE, minimum: config.CRYPTO_FEE_MINIMUM },
    };
  }

  quote(amount: string, method: TopUpMethod) {
    return topUpQuote(amount, method, this.feeRules);
  }

  async topUp(accountId: string, input: { amount: string; method: TopUpMethod; idempotencyKey?: string }): Promise<TopUpResult> {
    return this.feed.transact((manager, changes) => this.topUpIn(manager, changes, accountId, input));
  }

  /**
   * Records a purchase (or grant) lot and its fee in the caller's transaction: the credits pay any debt first, the
   * rest is the lot's remaining; the fee is charged on top and never changes the balance.
   */
  async topUpIn(manager: EntityManager, changes: ChangeSet, accountId: string, input: { amount: string; method: TopUpMethod; idempotencyKey?: string }): Promise<TopUpResult> {
    const amount = toDecimal(input.amount);
    if (amount.lte(0)) throw new BadRequestError('amount must be greater than 0');
    if (amount.gt(toDecimal(this.config.MAX_TOP_UP_USD))) throw new BadRequestError(`amount must be at most ${this.config.MAX_TOP_UP_USD}`);
    const balance = await this.lockBalance(manager, accountId);
    const externalRef = input.idempotencyKey === undefined ? null : `top-up:${accountId}:${input.idempotencyKey}`;
    if (externalRef) {
      const existing = await this.ledger.lotByExternalRef(manager, externalRef);
      if (existing) {
        const fee = formatMoney(existing.fee);
        return { lot: existing, fee, totalCharged: formatMoney(toDecimal(existing.amount).plus(fee)), balance: formatMoney(balance.balance), replayed: true };
      }
    }
    const now = this.clock.now();
    const at = new Date(now);
    const quote = this.quote(input.amount, input.method);
    const credit = applyCredit(quote.amount, balance.debt);
    const lotId = randomUUID();
    await this.ledger.insertLot(manager, {
      id: lotId,
      accountId,
      method: input.method,
      amount: quote.amount,
      fee: quote.fee,
      remaining: credit.remaining,
      purchasedAt: at,
      expiresAt: new Date(lotExpiresAt(now, this.config.CREDIT_EXPIRY_MONTHS)),
      // Card purchases only: crypto is never refundable and grants are not purchases.
      refundableUntil: input.method === 'card' ? new Date(now + this.config.REFUND_WINDOW_HOURS * HOUR_MS) : null,
      externalRef,
    });
    const entries: NewLedgerEntry[] = [{ accountId, kind: input.method === 'grant' ? 'grant' : 'purchase', amount: quote.amount, idempotencyKey: `purchase:${lotId}`, lotId, reason: input.method, occurredAt: at }];
    if (toDecimal(quote.fee).gt(0)) entries.push({ accountId, kind: 'fee', amount: quote.fee, idempotencyKey: `fee:${lotId}`, lotId, reason: `${input.method} top-up fee`, occurredAt: at });
    await this.ledger.insertEntries(manager, entries, at);
    const updated = await this.accounts.applyBalance(manager, accountId, { credits: quote.amount, purchased: input.method === 'grant' ? '0' : quote.amount, debt: credit.debt }, at);
    changes.account(accountId);
    const lot = (await this.ledger.lot(manager, lotId))!;
    return { lot, fee: quote.fee, totalCharged: quote.total, balance: formatMoney(updated.balance), replayed: false };
  }

  /**
   * Refunds the unused credits of a card purchase within the refund window (the fee is kept). Credits that active
   * leases hold are not refunded (they may be in flight); the response says what was and what is left.
   */
  async refund(accountId: string, purchaseId: string): Promise<RefundResult> {
    return this.feed.transact(async (manager, changes) => {
      const balance = await this.lockBalance(manager, accountId);
      const lot = await this.ledger.lot(manager, purchaseId, { lock: true });
      if (!lot || lot.account_id !== accountId) throw new NotFoundError(`Purchase ${purchaseId} not found on account ${accountId}`);
      const now = this.clock.now();
      const freeRoom = toDecimal(balance.balance).minus(accountLeasesOutstanding(await this.leases.rowsForAccount(manager, accountId), now));
      const decision = refundDecision(
        { method: lot.method, remaining: lot.remaining, refunded: lot.refunded, refundableUntil: lot.refundable_until?.getTime() ?? null },
        now,
        freeRoom,
        this.config.REFUND_WINDOW_HOURS,
      );
      if (!decision.ok) {
        throw new GatewayError(decision.status, decision.message, { errorType: 'invalid_request', metadata: { reason: decision.reason, purchase_id: purchaseId } });
      }
      const at = new Date(now);
      await this.ledger.markRefunded(manager, lot.id, decision.amount);
      const refundedBefore = formatMoney(lot.refunded);
      await this.ledger.insertEntries(
        manager,
        [{ accountId, kind: 'refund', amount: formatMoney(toDecimal(decision.amount).negated()), idempotencyKey: `refund:${lot.id}:${refundedBefore}`, lotId: lot.id, reason: 'refund of unused credits', occurredAt: at }],
        at,
      );
      const negative = formatMoney(toDecimal(decision.amount).negated());
      const updated = await this.accounts.applyBalance(manager, accountId, { credits: negative, purchased: negative, debt: balance.debt }, at);
      changes.account(accountId);
      return {
        purchaseId: lot.id,
        refunded: decision.amount,
        remaining: formatMoney(toDecimal(lot.remaining).minus(decision.amount)),
        partial: decision.partial,
        balance: formatMoney(updated.balance),
      };
    });
  }

  /**
   * A manual correction. Positive: new credits (they pay debt first, then form a lot that never expires).
   * Negative: taken from the lots oldest first, then as debt.
   */
  async adjust(accountId: string, amount: string, reason: string): Promise<{ entryKey: string; amount: string; balance: string }> {
    const value = toDecimal(amount);
    if (value.isZero()) throw new BadRequestError('amount must not be 0');
    return this.feed.transact(async (manager, changes) => {
      const balance = await this.lockBalance(manager, accountId);
      const at = new Date(this.clock.now());
      let debt: string;
      let lotId: string | null = null;
      if (value.gt(0)) {
        const credit = applyCredit(value, balance.debt);
        lotId = randomUUID();
        await this.ledger.insertLot(manager, {
          id: lotId,
          accountId,
          method: 'adjustment',
          amount: formatMoney(value),
          fee: '0',
          remaining: credit.remaining,
          purchasedAt: at,
          expiresAt: null,
          refundableUntil: null,
          externalRef: null,
        });
        debt = credit.debt;
      } else {
        const lots = (await this.ledger.openLots(manager, [accountId])).get(accountId) ?? [];
        const consumption = consumeLots(lots, value.negated());
        await this.ledger.setRemaining(manager, consumption.changes);
        debt = formatMoney(toDecimal(balance.debt).plus(consumption.uncovered));
      }
      const entryKey = `adjustment:${randomUUID()}`;
      await this.ledger.insertEntries(manager, [{ accountId, kind: 'adjustment', amount: formatMoney(value), idempotencyKey: entryKey, lotId, reason, occurredAt: at }], at);
      const updated = await this.accounts.applyBalance(manager, accountId, { credits: formatMoney(value), debt }, at);
      changes.account(accountId);
      return { entryKey, amount: formatMoney(value), balance: formatMoney(updated.balance) };
    });
  }

  /**
   * Expires the remaining credits of every lot past its expiry (one transaction per account; idempotent: an expired
   * lot has nothing left to expire). Credits that active leases hold expire at a later sweep.
   */
  async expireDue(): Promise<ExpirySummary> {
    const now = this.clock.now();
    const accountIds = await this.ledger.accountsWithDueLots(this.dataSource, new Date(now));
    let lots = 0;
    let total = new Decimal(0);
    let accounts = 0;
    for (const accountId of accountIds) {
      const outcome = await this.feed.transact(async (manager, changes) => {
        const balance = await this.accounts.lockBalance(manager, accountId);
        if (!balance) return { lots: 0, expired: new Decimal(0) };
        const due = await this.ledger.dueLots(manager, accountId, new Date(now));
        const freeRoom = toDecimal(balance.balance).minus(accountLeasesOutstanding(await this.leases.rowsForAccount(manager, accountId), now));
        const plan = expiryPlan(due, freeRoom);
        if (plan.length === 0) return { lots: 0, expired: new Decimal(0) };
        const at = new Date(now);
        let expired = new Decimal(0);
        for (const item of plan) {
          const { expired: expiredTotal } = await this.ledger.markExpired(manager, item.id, item.expire);
          await this.ledger.insertEntries(
            manager,
            [{ accountId, kind: 'expiry', amount: formatMoney(toDecimal(item.expire).negated()), idempotencyKey: `expiry:${item.id}:${formatMoney(expiredTotal)}`, lotId: item.id, reason: 'credits expired', occurredAt: at }],
            at,
          );
          expired = expired.plus(item.expire);
        }
        await this.accounts.applyBalance(manager, accountId, { credits: formatMoney(expired.negated()), debt: balance.debt }, at);
        changes.account(accountId);
        return { lots: plan.length, expired };
      });
      if (outcome.lots > 0) accounts += 1;
      lots += outcome.lots;
      total = total.plus(outcome.expired);
    }
    if (lots > 0) this.logger.log(`expired ${formatMoney(total)} USD of credits in ${lots} lots of ${accounts} accounts`);
    return { accounts, lots, expired: formatMoney(total) };
  }

  async lots(accountId: string) {
    return this.ledger.lots(this.dataSource, accountId);
  }

  async entries(accountId: string, limit: number, beforeId?: string) {
    return this.ledger.entries(this.dataSource, accountId, limit, beforeId);
  }

  private async lockBalance(manager: EntityManager, accountId: string): Promise<LockedBalance> {
    const balance = await this.accounts.lockBalance(manager, accountId);
    if (!balance) throw new NotFoundError(`Account ${accountId} not found`);
    return balance;
  }
}
