import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { leaseReplySchema, PaymentRequiredError, subjects, type LeaseReply, type LeaseRequest } from '@switchyard/contracts';
import { Decimal, formatMoney, toDecimal } from '@switchyard/money';
import { MetricsService, NatsService } from '@switchyard/nest-kit';
import type { PlannedAttempt } from '@switchyard/routing-policy';
import { hostname } from 'node:os';
import type { Caller } from '../auth/authenticator.service.js';
import { INGRESS_CONFIG, type IngressConfig } from '../config/ingress.config.js';
import { billingUnavailable, FreeModelQuota, type FreeQuotaAdmission } from './free-model-quota.js';

/**
 * Room of one lease scope (the account, or one limited key) within the current lease epoch:
 * `available = granted − spent − reserved`, read several times per request, computed once per change.
 */
class Room {
  private granted = new Decimal(0);
  private spent = new Decimal(0);
  private reserved = new Decimal(0);
  private room: Decimal | undefined;

  get available(): Decimal {
    return (this.room ??= this.granted.minus(this.spent).minus(this.reserved));
  }

  /** Spent and reserved: what a shrunk lease must keep. */
  get committed(): Decimal {
    return this.spent.plus(this.reserved);
  }

  /** No request holds a reservation. */
  get idle(): boolean {
    return this.reserved.isZero();
  }

  grant(total: Decimal): void {
    this.granted = total;
    this.room = undefined;
  }

  reserve(amount: Decimal): void {
    this.reserved = this.reserved.plus(amount);
    this.room = undefined;
  }

  /** A reservation ends with what it actually cost. */
  settle(reserved: Decimal, cost: Decimal): void {
    this.reserved = this.reserved.minus(reserved);
    this.spent = this.spent.plus(cost);
    this.room = undefined;
  }

  reset(): void {
    this.granted = new Decimal(0);
    this.spent = new Decimal(0);
    this.reserved = new Decimal(0);
    this.room = undefined;
  }
}

/** This replica's lease on one account (billing's `sy.billing.lease.v1`, see apps/billing/README "Credit leases"). */
class AccountLease {
  leaseId: string | undefined;
  /** How much to ask for ahead of need (see `CreditLeaseService.chunkFor`), as of the last admission. */
  refill = new Decimal(0);
  /** A quarter of `refill`: below this much room, a settled request asks billing for more ahead of need. */
  refillBelow = new Decimal(0);
  /** What `refill` was computed from (balance, overdraft, key limit left): recomputed only when one changes. */
  refillFrom: { balance: string; overdraft: string; keyLimit: string | null } | undefined;
  expiresAt = 0;
  lastUsedAt = Date.now();
  shrunk = false;
  readonly account = new Room();
  readonly keys = new Map<string, Room>();
  /** The lease call in progress (true when billing answered). */
  inFlight: Promise<boolean> | undefined;

  key(hash: string): Room {
    let room = this.keys.get(hash);
    if (!room) {
      room = new Room();
      this.keys.set(hash, room);
    }
    return room;
  }
}

export interface Reservation {
  accountId: string;
  keyHash: string;
  keyLimited: boolean;
  amount: Decimal;
  leaseId: string | null;
  settled: boolean;
}

/**
 * A replica asks for at most this share of what the account (or key) has left, so that with little money left one
 * replica does not take it all while the others refuse requests the account can afford.
 */
const LEASE_SHARE = new Decimal('0.25');

/**
 * Admission that cannot overspend, however many requests and replicas: a replica spends only out of the lease
 * billing granted it from the account's balance + overdraft (and from a key's limit), and billing never grants
 * more than that across all replicas. A request reserves its maximum cost before calling upstream and settles its
 * actual cost after, so `room = grantedTotal − spent − reserved` is exact and never waits for billing's debits.
 * Billing is asked only when the room runs out (the one time a request waits on it), and leases are renewed in
 * the background and given back when idle.
 */
@Injectable()
export class CreditLeaseService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Admission');
  private readonly leases = new Map<string, AccountLease>();
  private readonly replicaId: string;
  private readonly chunk: Decimal;
  private renewTimer: NodeJS.Timeout | undefined;
  private readonly leaseRequests;
  private readonly refusals;
  private readonly freeQuota: FreeModelQuota;

  constructor(
    private readonly nats: NatsService,
    @Inject(INGRESS_CONFIG) private readonly config: IngressConfig,
    metrics: MetricsService,
  ) {
    this.replicaId = config.REPLICA_ID ?? `${hostname()}-${process.pid}`;
    this.chunk = toDecimal(config.LEASE_CHUNK_USD);
    this.leaseRequests = metrics.counter({ name: 'switchyard_ingress_lease_requests_total', help: 'Credit lease requests sent to billing', labelNames: ['kind', 'outcome'] });
    this.refusals = metrics.counter({ name: 'switchyard_ingress_admission_refusals_total', help: 'Requests refused for lack of credit', labelNames: ['scope'] });
    this.freeQuota = new FreeModelQuota(nats);
  }

  onModuleInit(): void {
    this.renewTimer = setInterval(() => void this.maintain(), this.config.LEASE_RENEW_MS);
    this.renewTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.renewTimer) clearInterval(this.renewTimer);
    // Give unused room back so other replicas can use it at once.
    await Promise.all([...this.leases.entries()].map(([accountId, lease]) => this.shrink(accountId, lease).catch(() => undefined)));
  }

  /**
   * The `:free` model quota and the non-negative balance rule of free endpoints (see FreeModelQuota): returns the
   * attempts that may run (the paid ones only, when the free quota refuses and paid fallbacks exist), or throws
   * 429 (quota, with X-RateLimit-* and Retry-After), 402 (negative balance) or 503 (billing unreachable).
   */
  checkFreeQuota(caller: Caller, attempts: PlannedAttempt[]): Promise<FreeQuotaAdmission> {
    return this.freeQuota.admit(caller, attempts);
  }

  /**
   * Reserves `maxCost` for a request; asks billing for more room when the lease cannot cover it or is about to
   * expire. Throws 402 when even then the account (or the key's limit) cannot afford it; the error carries what
   * is affordable. When billing cannot be reached and the lease cannot cover the request, it is a 503 (the account
   * may well afford it), never a 402.
   */
  async reserve(caller: Caller, maxCost: Decimal): Promise<Reservation> {
    const accountId = caller.account.accountId;
    const keyHash = caller.key.hash;
    const keyLimited = caller.key.limit !== null;
    const lease = this.lease(accountId);
    lease.lastUsedAt = Date.now();
    const keyLimit = keyLimited ? caller.key.limitRemaining : null;
    const from = lease.refillFrom;
    if (!from || from.balance !== caller.account.balance || from.overdraft !== caller.account.overdraft || from.keyLimit !== keyLimit) {
      lease.refill = this.chunkFor(caller, keyLimited);
      lease.refillBelow = lease.refill.dividedBy(4);
      lease.refillFrom = { balance: caller.account.balance, overdraft: caller.account.overdraft, keyLimit };
    }
    const room = () => (keyLimited ? Decimal.min(lease.account.available, lease.key(keyHash).available) : lease.account.available);
    const short = () => room().lt(maxCost);
    const expiring = () => Date.now() > lease.expiresAt - this.config.LEASE_SAFETY_MS;
    let asked = false;
    let unreachable = false;
    // Concurrent requests share one lease call at a time; a request that is still short after someone else's call
    // (it asked for less than this one needs) makes its own, so billing's answer is always to what this one needs.
    for (let round = 0; round < 64 && (short() || expiring()); round += 1) {
      if (lease.inFlight) {
        await lease.inFlight;
        continue;
      }
      if (asked) break;
      asked = true;
      const requested = short() ? Decimal.max(maxCost.minus(Decimal.max(room(), 0)), lease.refill) : new Decimal(0);
      unreachable = !(await this.requestLease(accountId, lease, { requested, keyHash: keyLimited ? keyHash : undefined }));
    }
    if (expiring()) throw billingUnavailable('Billing is unavailable; cannot admit requests for this account right now');
    if (lease.account.available.lt(maxCost)) {
      if (unreachable) throw billingUnavailable('Billing is unavailable and this replica holds too little credit for the request; retry shortly');
      this.refusals.inc({ scope: 'account' });
      throw new PaymentRequiredError('Insufficient credits', { available: formatMoney(Decimal.max(lease.account.available, 0)), required: formatMoney(maxCost) });
    }
    if (keyLimited && lease.key(keyHash).available.lt(maxCost)) {
      if (unreachable) throw billingUnavailable('Billing is unavailable and this replica holds too little of the key limit for the request; retry shortly');
      this.refusals.inc({ scope: 'key' });
      throw new PaymentRequiredError('This API key has reached its credit limit', { available: formatMoney(Decimal.max(lease.key(keyHash).available, 0)), required: formatMoney(maxCost) });
    }
    lease.account.reserve(maxCost);
    if (keyLimited) lease.key(keyHash).reserve(maxCost);
    lease.shrunk = false;
    return { accountId, keyHash, keyLimited, amount: maxCost, leaseId: lease.leaseId ?? null, settled: false };
  }

  /** The request finished: its actual cost replaces its reservation (in the epoch it was admitted in). */
  settle(reservation: Reservation, cost: Decimal): void {
    if (reservation.settled) return;
    reservation.settled = true;
    const lease = this.leases.get(reservation.accountId);
    if (!lease || lease.leaseId !== reservation.leaseId) return; // an ended epoch no longer limits the room
    lease.account.settle(reservation.amount, cost);
    if (reservation.keyLimited) lease.key(reservation.keyHash).settle(reservation.amount, cost);
    // Refill ahead of need so the next request does not wait on billing.
    if (lease.refill.gt(0) && lease.account.available.lt(lease.refillBelow) && !lease.inFlight) {
      void this.requestLease(reservation.accountId, lease, { requested: lease.refill, keyHash: reservation.keyLimited ? reservation.keyHash : undefined }).catch(() => undefined);
    }
  }

  /** The request failed before costing anything. */
  release(reservation: Reservation): void {
    this.settle(reservation, new Decimal(0));
  }

  /**
   * What to ask billing for ahead of need: LEASE_CHUNK_USD, but at most a quarter of what the account (balance +
   * overdraft, as billing last announced it) or the key (limitRemaining) has left, so that replicas share scarce money
   * instead of the first one holding all of it. A request always asks for at least its own maximum cost.
   */
  private chunkFor(caller: Caller, keyLimited: boolean): Decimal {
    let chunk = Decimal.min(this.chunk, Decimal.max(toDecimal(caller.account.balance).plus(toDecimal(caller.account.overdraft)), 0).times(LEASE_SHARE));
    if (keyLimited && caller.key.limitRemaining !== null) chunk = Decimal.min(chunk, Decimal.max(toDecimal(caller.key.limitRemaining), 0).times(LEASE_SHARE));
    return chunk;
  }

  private lease(accountId: string): AccountLease {
    let lease = this.leases.get(accountId);
    if (!lease) {
      lease = new AccountLease();
      this.leases.set(accountId, lease);
    }
    return lease;
  }

  /** One lease call at a time per account; concurrent requests share it. Resolves true when billing answered. */
  private requestLease(accountId: string, lease: AccountLease, options: { requested: Decimal; keyHash?: string; shrinkTo?: Decimal }): Promise<boolean> {
    if (lease.inFlight) return lease.inFlight;
    const call = this.callBilling(accountId, lease, options).finally(() => {
      lease.inFlight = undefined;
    });
    lease.inFlight = call;
    return call;
  }

  private async callBilling(accountId: string, lease: AccountLease, options: { requested: Decimal; keyHash?: string; shrinkTo?: Decimal }): Promise<boolean> {
    const request: LeaseRequest = {
      accountId,
      replicaId: this.replicaId,
      requested: formatMoney(options.requested),
      ...(options.keyHash ? { keyHash: options.keyHash } : {}),
      ...(options.shrinkTo ? { shrinkTo: formatMoney(options.shrinkTo) } : {}),
    };
    const kind = options.shrinkTo ? 'shrink' : options.requested.isZero() ? 'renew' : 'grant';
    let reply: LeaseReply;
    try {
      reply = leaseReplySchema.parse(await this.nats.request(subjects.billing.lease, request, { timeoutMs: 3_000 }));
    } catch (error) {
      this.leaseRequests.inc({ kind, outcome: 'error' });
      this.logger.warn(`lease ${kind} for ${accountId} failed: ${(error as Error).message}`);
      return false;
    }
    this.leaseRequests.inc({ kind, outcome: 'ok' });
    this.adopt(lease, reply, options.keyHash);
    return true;
  }

  private adopt(lease: AccountLease, reply: LeaseReply, keyHash: string | undefined): void {
    if (lease.leaseId !== reply.leaseId) {
      // A new epoch: what was spent or reserved under the old one no longer reduces this one's room.
      lease.leaseId = reply.leaseId;
      lease.account.reset();
      for (const room of lease.keys.values()) room.reset();
    }
    lease.expiresAt = reply.expiresAt;
    lease.account.grant(toDecimal(reply.grantedTotal ?? reply.granted));
    if (keyHash && reply.keyGrantedTotal !== undefined && reply.keyGrantedTotal !== null) {
      lease.key(keyHash).grant(toDecimal(reply.keyGrantedTotal));
    }
  }

  private async shrink(accountId: string, lease: AccountLease): Promise<void> {
    if (!lease.leaseId || lease.shrunk) return;
    lease.shrunk = true;
    await this.requestLease(accountId, lease, { requested: new Decimal(0), shrinkTo: lease.account.committed });
  }

  /** Renews leases in use; gives back the room of idle ones; forgets long-idle ones. */
  private async maintain(): Promise<void> {
    const now = Date.now();
    for (const [accountId, lease] of this.leases) {
      if (!lease.leaseId) continue;
      const idleMs = now - lease.lastUsedAt;
      const busy = !lease.account.idle;
      if (!busy && idleMs > this.config.LEASE_IDLE_MS) {
        if (lease.shrunk && now > lease.expiresAt) this.leases.delete(accountId);
        else await this.shrink(accountId, lease).catch(() => undefined);
        continue;
      }
      if (!lease.inFlight) await this.requestLease(accountId, lease, { requested: new Decimal(0) }).catch(() => undefined);
    }
  }
}
