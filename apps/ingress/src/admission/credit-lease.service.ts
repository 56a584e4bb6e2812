import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { leaseReplySchema, PaymentRequiredError, ServiceUnavailableError, subjects, type LeaseRequest } from '@switchyard/contracts';
import { Decimal, formatMoney, toDecimal } from '@switchyard/money';
import { MetricsService, NatsService } from '@switchyard/nest-kit';
import { hostname } from 'node:os';
import { INGRESS_CONFIG, type IngressConfig } from '../config/ingress.config.js';
import type { Caller } from '../auth/authenticator.service.js';

/** Spending room of one scope (an account, or a key with a limit) on this replica. */
class Budget {
  leaseId: string | undefined;
  /** Everything billing ever granted this replica on the lease (cumulative). */
  grantedTotal = new Decimal(0);
  /** What this replica spent on the lease (completed requests, cumulative). */
  spentTotal = new Decimal(0);
  /** Maximum costs of requests in flight. */
  reserved = new Decimal(0);
  expiresAt = 0;
  lastUsedAt = Date.now();
  inFlightLease: Promise<void> | undefined;

  get available(): Decimal {
    return this.grantedTotal.minus(this.spentTotal).minus(this.reserved);
  }
}

export interface Reservation {
  accountId: string;
  keyHash: string;
  amount: Decimal;
  settled: boolean;
  leaseId: string | null;
}

/**
 * Admission that cannot overspend, however many requests and replicas: each replica spends only out of a lease
 * that billing granted it from the account's balance + overdraft (billing never grants more than that across all
 * replicas). A request reserves its maximum cost before calling upstream and settles the actual cost after;
 * the lease is topped up from billing when it runs low (the only time a request waits on billing), and renewed
 * in the background so it does not expire.
 */
@Injectable()
export class CreditLeaseService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Admission');
  private readonly budgets = new Map<string, Budget>();
  private readonly replicaId: string;
  private readonly chunk: Decimal;
  private renewTimer: NodeJS.Timeout | undefined;
  private readonly leaseRequests;
  private readonly refusals;

  constructor(
    private readonly nats: NatsService,
    @Inject(INGRESS_CONFIG) private readonly config: IngressConfig,
    metrics: MetricsService,
  ) {
    this.replicaId = config.REPLICA_ID ?? `${hostname()}-${process.pid}`;
    this.chunk = toDecimal(config.LEASE_CHUNK_USD);
    this.leaseRequests = metrics.counter({ name: 'switchyard_ingress_lease_requests_total', help: 'Credit lease requests sent to billing', labelNames: ['outcome'] });
    this.refusals = metrics.counter({ name: 'switchyard_ingress_admission_refusals_total', help: 'Requests refused for lack of credit', labelNames: ['scope'] });
  }

  onModuleInit(): void {
    this.renewTimer = setInterval(() => void this.renewAll(), this.config.LEASE_RENEW_MS);
    this.renewTimer.unref();
  }

  onApplicationShutdown(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
  }

  /** What the caller could spend right now on this replica without asking billing (for 402 messages). */
  availableFor(caller: Caller): Decimal {
    return this.budgets.get(caller.account.accountId)?.available ?? new Decimal(0);
  }

  /**
   * Reserves `maxCost` for a request; asks billing for more room when the local lease cannot cover it. Throws 402
   * when even after that the account (or the key's limit) cannot afford it; the error carries what is affordable.
   */
  async reserve(caller: Caller, maxCost: Decimal): Promise<Reservation> {
    const accountId = caller.account.accountId;
    const budget = this.budget(accountId);
    budget.lastUsedAt = Date.now();
    if (budget.available.lt(maxCost)) {
      await this.topUp(accountId, caller.key.hash, budget, maxCost.minus(budget.available));
    }
    if (budget.available.lt(maxCost)) {
      this.refusals.inc({ scope: 'account' });
      throw new PaymentRequiredError('Insufficient credits', { available: formatMoney(Decimal.max(budget.available, 0)), required: formatMoney(maxCost) });
    }
    const keyLimit = caller.key.limitRemaining === null ? null : toDecimal(caller.key.limitRemaining);
    if (keyLimit !== null) {
      const keyBudget = this.budget(`key:${caller.key.hash}`);
      const keyAvailable = keyLimit.minus(keyBudget.reserved).minus(keyBudget.spentTotal);
      if (keyAvailable.lt(maxCost)) {
        this.refusals.inc({ scope: 'key' });
        throw new PaymentRequiredError('This API key has reached its credit limit', { limit_remaining: formatMoney(Decimal.max(keyAvailable, 0)), required: formatMoney(maxCost) });
      }
      keyBudget.reserved = keyBudget.reserved.plus(maxCost);
    }
    budget.reserved = budget.reserved.plus(maxCost);
    return { accountId, keyHash: caller.key.hash, amount: maxCost, settled: false, leaseId: budget.leaseId ?? null };
  }

  /** The request finished: its actual cost replaces its reservation. */
  settle(reservation: Reservation, cost: Decimal): void {
    if (reservation.settled) return;
    reservation.settled = true;
    const budget = this.budget(reservation.accountId);
    budget.reserved = budget.reserved.minus(reservation.amount);
    budget.spentTotal = budget.spentTotal.plus(cost);
    const keyBudget = this.budgets.get(`key:${reservation.keyHash}`);
    if (keyBudget) {
      keyBudget.reserved = keyBudget.reserved.minus(reservation.amount);
      keyBudget.spentTotal = keyBudget.spentTotal.plus(cost);
    }
    if (budget.available.lt(this.chunk.dividedBy(4))) void this.topUp(reservation.accountId, reservation.keyHash, budget, this.chunk).catch(() => undefined);
  }

  /** The request failed before costing anything. */
  release(reservation: Reservation): void {
    this.settle(reservation, new Decimal(0));
  }

  /** Billing reported a new limitRemaining for a key: local key spend up to now is included in it. */
  keyLimitUpdated(keyHash: string): void {
    const keyBudget = this.budgets.get(`key:${keyHash}`);
    if (keyBudget) keyBudget.spentTotal = new Decimal(0);
  }

  private budget(scope: string): Budget {
    let budget = this.budgets.get(scope);
    if (!budget) {
      budget = new Budget();
      this.budgets.set(scope, budget);
    }
    return budget;
  }

  private topUp(accountId: string, keyHash: string, budget: Budget, needed: Decimal): Promise<void> {
    if (budget.inFlightLease) return budget.inFlightLease;
    const requested = Decimal.max(needed, this.chunk);
    budget.inFlightLease = this.requestLease(accountId, keyHash, budget, requested).finally(() => {
      budget.inFlightLease = undefined;
    });
    return budget.inFlightLease;
  }

  private async requestLease(accountId: string, keyHash: string, budget: Budget, requested: Decimal): Promise<void> {
    const request: LeaseRequest = { accountId, keyHash, replicaId: this.replicaId, requested: formatMoney(requested) };
    let raw: unknown;
    try {
      raw = await this.nats.request(subjects.billing.lease, request, { timeoutMs: 3_000 });
    } catch (error) {
      this.leaseRequests.inc({ outcome: 'error' });
      if (budget.grantedTotal.isZero()) throw new ServiceUnavailableError('Billing is unavailable; cannot admit requests for this account right now');
      this.logger.warn(`lease request for ${accountId} failed: ${(error as Error).message}`);
      return;
    }
    const reply = leaseReplySchema.parse(raw);
    this.leaseRequests.inc({ outcome: 'ok' });
    if (budget.leaseId !== undefined && budget.leaseId !== reply.leaseId) {
      // A new lease (the old one expired at billing): what we spent on the old one is settled there.
      budget.spentTotal = new Decimal(0);
      budget.grantedTotal = new Decimal(0);
    }
    budget.leaseId = reply.leaseId;
    budget.expiresAt = reply.expiresAt;
    if (reply.grantedTotal !== undefined) {
      budget.grantedTotal = toDecimal(reply.grantedTotal);
    } else {
      // Without cumulative totals, billing's outstanding figure may still include spend it has not debited yet;
      // count all of our spend as undebited (never overspends; may refuse early).
      budget.grantedTotal = toDecimal(reply.granted);
    }
  }

  private async renewAll(): Promise<void> {
    const idleCutoff = Date.now() - 10 * this.config.LEASE_RENEW_MS;
    for (const [scope, budget] of this.budgets) {
      if (scope.startsWith('key:')) continue;
      if (budget.lastUsedAt < idleCutoff && budget.reserved.isZero()) {
        this.budgets.delete(scope);
        continue;
      }
      if (!budget.inFlightLease) await this.requestLease(scope, '', budget, new Decimal(0)).catch(() => undefined);
    }
  }
}
