import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type FreeQuotaReply, type FreeQuotaRequest, type FreeQuotaTaken, freeQuotaTakenSchema, NotFoundError, subjects } from '@switchyard/contracts';
import { NatsService } from '@switchyard/nest-kit';
import type { Subscription } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { toDecimal } from '@switchyard/money';
import type { DataSource } from 'typeorm';
import { AccountsRepository } from '../accounts/accounts.repository.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { DAY_MS, isoDay } from '../common/time.js';
import { BILLING_CONFIG, type BillingConfig } from '../config/billing.config.js';
import { ChangeFeed } from '../records/change-feed.service.js';
import { FreeQuotaLimiter } from './free-quota-limiter.js';
import { FreeQuotaRepository } from './free-quota.repository.js';

/**
 * The `:free` model quota shared by every ingress replica, answered from memory (no database on the request).
 * Daily counts are written in batches every FREE_QUOTA_FLUSH_MS and on shutdown, and read back at start, so a
 * restart keeps them; each write returns the day's total in Postgres, so several billing replicas converge on one
 * count (each may admit up to one flush interval of requests on its own before it learns of the others'). The
 * one-minute window is shared too: each allowed request is broadcast to the other replicas (`free-quota-taken`,
 * core NATS), which count it in that account's window, so N replicas do not allow N × the per-minute limit.
 */
@Injectable()
export class FreeQuotaService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('FreeQuota');
  private readonly limiter: FreeQuotaLimiter;
  /** totalPurchased per account (the daily limit rises once it reaches the threshold), kept fresh by keys-changed. */
  private readonly purchased = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private readonly replicaId = randomUUID();
  private taken: Subscription | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly repository: FreeQuotaRepository,
    private readonly accounts: AccountsRepository,
    private readonly feed: ChangeFeed,
    @Inject(BILLING_CONFIG) private readonly config: BillingConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly nats: NatsService,
  ) {
    this.limiter = new FreeQuotaLimiter(config.FREE_REQUESTS_PER_MINUTE);
  }

  async onApplicationBootstrap(): Promise<void> {
    const now = this.clock.now();
    const today = isoDay(now);
    for (const row of await this.repository.day(this.dataSource, today)) this.limiter.seed(row.account_id, today, row.count, now);
    for (const row of await this.accounts.purchasedTotals(this.dataSource, null)) this.purchased.set(row.account_id, row.total_purchased);
    this.feed.onChange((change) => {
      for (const account of change.accounts) this.purchased.set(account.accountId, account.totalPurchased);
    });
    this.timer = setInterval(() => void this.flush(), this.config.FREE_QUOTA_FLUSH_MS);
    this.timer.unref();
    // Every replica hears every other one's allowed requests (no queue group).
    this.taken = this.nats.subscribe(subjects.billing.freeQuotaTaken, (data) => {
      const parsed = freeQuotaTakenSchema.safeParse(data);
      if (parsed.success && parsed.data.replicaId !== this.replicaId) this.limiter.observe(parsed.data.accountId, parsed.data.at, this.clock.now());
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.taken?.unsubscribe();
    await this.flush();
  }

  async take(request: FreeQuotaRequest): Promise<FreeQuotaReply> {
    const dayLimit = (await this.isPaidTier(request.accountId)) ? this.config.FREE_REQUESTS_PER_DAY_PAID : this.config.FREE_REQUESTS_PER_DAY;
    const now = this.clock.now();
    const reply = this.limiter.take(request.accountId, dayLimit, now);
    if (reply.allowed) {
      const taken: FreeQuotaTaken = { replicaId: this.replicaId, accountId: request.accountId, at: now };
      this.nats.publishBatched(subjects.billing.freeQuotaTaken, taken);
    }
    return reply;
  }

  usedToday(accountId: string): number {
    return this.limiter.usedToday(accountId, this.clock.now());
  }

  usedThisMinute(accountId: string): number {
    return this.limiter.usedThisMinute(accountId, this.clock.now());
  }

  /** Persists pending counts now (coalesced with a flush in progress). */
  flush(): Promise<void> {
    this.flushing ??= (async () => {
      const counts = this.limiter.drainPending();
      if (counts.length > 0) {
        try {
          for (const total of await this.repository.add(this.dataSource, counts)) this.limiter.confirm(total.account_id, total.day, total.count);
        } catch (error) {
          this.limiter.restore(counts);
          this.logger.warn(`could not persist free-quota counts (kept in memory, retried): ${(error as Error).message}`);
        }
      }
      this.limiter.prune(this.clock.now());
    })().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Drops persisted counts older than a week. */
  async deleteOld(): Promise<void> {
    await this.repository.deleteBefore(this.dataSource, isoDay(this.clock.now() - 7 * DAY_MS));
  }

  private async isPaidTier(accountId: string): Promise<boolean> {
    let total = this.purchased.get(accountId);
    if (total === undefined) {
      const [row] = await this.accounts.purchasedTotals(this.dataSource, [accountId]);
      if (!row) throw new NotFoundError(`Account ${accountId} not found`);
      total = row.total_purchased;
      this.purchased.set(accountId, total);
    }
    return toDecimal(total).gte(toDecimal(this.config.FREE_PAID_THRESHOLD_USD));
  }
}
