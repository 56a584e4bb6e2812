import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { MetricsService } from '@switchyard/nest-kit';
import { describeDatabaseError } from '../common/database-errors.js';
import { METERING_CONFIG, type MeteringConfig } from '../config/metering.config.js';
import { GenerationsRepository } from '../generations/generations.repository.js';
import { placeholderGeneration, type StoredAttemptUsage } from './attempt-usage-row.js';
import { AttemptUsageRepository } from './attempt-usage.repository.js';

export interface ReconciliationPass {
  /** Another replica was reconciling: this pass did nothing. */
  skipped: boolean;
  /** Pending attempt usage whose generation turned out to be recorded. */
  resolved: number;
  /** Placeholder generations written for orphans. */
  reconciled: number;
  /** The pass hit its batch limit: more orphans may be waiting. */
  full: boolean;
}

/** How long the reconciler waits for in-flight batch writes before giving up on a pass, ms. */
const WRITE_LOCK_TIMEOUT_MS = 5_000;
const PURGE_BATCH = 5_000;
const RESOLVE_BATCH = 20_000;

/**
 * Finds generations whose attempts reported usage (providers' `attempt-usage`) but whose `generation-completed`
 * never arrived within RECONCILE_AFTER_MS — the ingress that served them died between the last byte and the
 * publish — and records a placeholder for each: tokens from the serving attempt, `reconciled`, `needs_pricing`,
 * no cost (the attempt-usage event carries no prices) and nothing published. A later `generation-completed`
 * replaces the placeholder.
 *
 * Safe with any number of replicas: one pass at a time holds a transaction-scoped advisory lock (the others skip),
 * and while it decides which generations are orphans it holds the generation-write lock exclusively, so no batch
 * can be inserting the real event of a generation it is about to call an orphan. Every write is idempotent.
 */
@Injectable()
export class ReconcilerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Reconciler');
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;
  private stopped = false;
  private readonly reconciledTotal;
  private readonly passFailures;
  private readonly pendingGauge;

  constructor(
    @Inject(METERING_CONFIG) private readonly config: MeteringConfig,
    private readonly generations: GenerationsRepository,
    private readonly attemptUsage: AttemptUsageRepository,
    metrics: MetricsService,
  ) {
    this.reconciledTotal = metrics.counter({ name: 'switchyard_metering_reconciled_total', help: 'Placeholder generations recorded for orphaned attempt usage' });
    this.passFailures = metrics.counter({ name: 'switchyard_metering_reconcile_failures_total', help: 'Reconciliation passes that failed (retried on the next tick)' });
    this.pendingGauge = metrics.gauge({ name: 'switchyard_metering_attempt_usage_pending', help: 'Attempt usage not yet matched to a generation' });
  }

  onApplicationBootstrap(): void {
    this.schedule(this.config.RECONCILE_INTERVAL_MS);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pass = this.tick().finally(() => (this.pass = undefined));
    }, delayMs);
  }

  private async tick(): Promise<void> {
    let next = this.config.RECONCILE_INTERVAL_MS;
    try {
      const pass = await this.reconcileOnce();
      if (pass.full) next = 0;
      if (!this.stopped) await this.purge();
    } catch (error) {
      this.passFailures.inc();
      this.logger.warn(`reconciliation pass failed: ${describeDatabaseError(error)}; retrying in ${next} ms`);
    }
    this.schedule(next);
  }

  /** One pass (also called by tests and operators' tooling). */
  async reconcileOnce(): Promise<ReconciliationPass> {
    const limit = this.config.RECONCILE_BATCH_SIZE;
    const pass = await this.generations.transaction(async (transaction): Promise<ReconciliationPass> => {
      if (!(await this.generations.tryLockReconciler(transaction))) return { skipped: true, resolved: 0, reconciled: 0, full: false };
      // The bulk of the work — matching attempt usage to recorded generations — runs without blocking ingestion.
      const resolved = await this.attemptUsage.resolveRecorded(transaction, RESOLVE_BATCH);
      // Deciding which generations are orphans holds batch writers off, so a real event cannot be mid-insert.
      await this.generations.lockGenerationWrites(transaction, WRITE_LOCK_TIMEOUT_MS);
      const orphans = await this.attemptUsage.findOrphanGenerationIds(transaction, this.config.RECONCILE_AFTER_MS, limit);
      const full = orphans.length === limit || resolved === RESOLVE_BATCH;
      if (orphans.length === 0) return { skipped: false, resolved, reconciled: 0, full };
      const attempts = await this.attemptUsage.findByGenerations(transaction, orphans);
      const byGeneration = new Map<string, StoredAttemptUsage[]>();
      for (const attempt of attempts) {
        const list = byGeneration.get(attempt.generation_id) ?? [];
        list.push(attempt);
        byGeneration.set(attempt.generation_id, list);
      }
      const placeholders = [...byGeneration.values()].map((list) => placeholderGeneration(list));
      const outcome = await this.generations.insertGenerations(transaction, placeholders, { supersedePlaceholders: false });
      await this.attemptUsage.markReconciled(transaction, orphans);
      return { skipped: false, resolved, reconciled: outcome.inserted, full };
    });
    if (pass.reconciled > 0) {
      this.reconciledTotal.inc(pass.reconciled);
      this.logger.warn(
        `recorded ${pass.reconciled} placeholder generation(s) from attempt usage with no generation-completed after ${this.config.RECONCILE_AFTER_MS} ms (tokens only, cost needs pricing)`,
      );
    }
    if (!pass.skipped) this.pendingGauge.set(await this.attemptUsage.countPending(this.generations.dataSource));
    return pass;
  }

  private async purge(): Promise<void> {
    const days = this.config.ATTEMPT_USAGE_RETENTION_DAYS;
    if (days <= 0) return;
    const purged = await this.attemptUsage.purgeResolved(this.generations.dataSource, days, PURGE_BATCH);
    if (purged > 0) this.logger.log(`deleted ${purged} resolved attempt-usage row(s) older than ${days} day(s)`);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.pass?.catch(() => undefined);
  }
}
