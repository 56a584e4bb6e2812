import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AccountsRepository } from '../accounts/accounts.repository.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { queryOne } from '../common/sql.js';
import { DAY_MS, isoDay, utcMonthStart, windowStart } from '../common/time.js';
import { BILLING_CONFIG, type BillingConfig } from '../config/billing.config.js';
import { FreeQuotaService } from '../free-quota/free-quota.service.js';
import { KeysRepository } from '../keys/keys.repository.js';
import { LeasesRepository } from '../leases/leases.repository.js';
import { CreditsService, type ExpirySummary } from '../ledger/credits.service.js';
import { ChangeFeed } from '../records/change-feed.service.js';

/**
 * Time-driven work. Every MAINTENANCE_INTERVAL_MS: announce keys that just expired (they turn disabled in
 * ingress) and keys whose limit window rolled over (their limitRemaining resets at midnight UTC / Monday / the 1st),
 * and accounts whose BYOK month rolled over. Every EXPIRY_SWEEP_INTERVAL_MS: expire year-old credits and forget
 * long-dead leases and old free-quota days.
 */
@Injectable()
export class MaintenanceService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Maintenance');
  private lastTick = 0;
  private ticking = false;
  private tickTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<ExpirySummary> | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly feed: ChangeFeed,
    private readonly keys: KeysRepository,
    private readonly accounts: AccountsRepository,
    private readonly leases: LeasesRepository,
    private readonly credits: CreditsService,
    private readonly freeQuota: FreeQuotaService,
    @Inject(BILLING_CONFIG) private readonly config: BillingConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const row = await queryOne<{ maintenance_at: Date | null }>(this.dataSource, `SELECT maintenance_at FROM billing_state WHERE id = 1`);
    // Catch up on what happened while no billing replica was running (announcing twice is harmless).
    this.lastTick = Math.min(row?.maintenance_at?.getTime() ?? this.clock.now(), this.clock.now());
    this.tickTimer = setInterval(() => void this.tick(), this.config.MAINTENANCE_INTERVAL_MS);
    this.tickTimer.unref();
    this.sweepTimer = setInterval(() => void this.sweep().catch((error: unknown) => this.logger.warn(`expiry sweep failed: ${(error as Error).message}`)), this.config.EXPIRY_SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
    void this.tick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.sweeping?.catch(() => undefined);
  }

  /** Announces expiries and window rollovers that happened since the last tick. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const now = this.clock.now();
      const last = this.lastTick;
      if (now <= last) return;
      const keyIds = new Set(await this.keys.expiringBetween(this.dataSource, new Date(last), new Date(now)));
      const rolledDay = Math.floor(now / DAY_MS) !== Math.floor(last / DAY_MS);
      if (rolledDay) {
        for (const key of await this.keys.withResettingLimit(this.dataSource)) {
          if (windowStart(key.limit_reset, last) !== windowStart(key.limit_reset, now)) keyIds.add(key.id);
        }
      }
      const accountIds = utcMonthStart(now) !== utcMonthStart(last) ? await this.accounts.accountsWithByokIn(this.dataSource, isoDay(utcMonthStart(last))) : [];
      if (keyIds.size > 0 || accountIds.length > 0 || rolledDay) {
        await this.feed.transact(async (manager, changes) => {
          for (const id of keyIds) changes.key(id);
          for (const id of accountIds) changes.account(id);
          await manager.query(`UPDATE billing_state SET maintenance_at = $1 WHERE id = 1`, [new Date(now)]);
        });
      }
      this.lastTick = now;
    } catch (error) {
      this.logger.warn(`maintenance tick failed (retried next tick): ${(error as Error).message}`);
    } finally {
      this.ticking = false;
    }
  }

  /** The credit-expiry sweep (also `POST /admin/expire`), plus housekeeping. Coalesced when already running. */
  sweep(): Promise<ExpirySummary> {
    this.sweeping ??= (async () => {
      const summary = await this.credits.expireDue();
      await this.leases.deleteExpiredBefore(this.dataSource, new Date(this.clock.now() - DAY_MS));
      await this.freeQuota.deleteOld();
      // Per-user spend of windows long over (two months: the current monthly window started at most 31 days ago).
      await this.keys.pruneUserSpend(this.dataSource, new Date(this.clock.now() - 62 * DAY_MS));
      return summary;
    })().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }
}
