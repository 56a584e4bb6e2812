import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { subjects, type GenerationCompleted } from '@switchyard/contracts';
import { MetricsService, NatsService } from '@switchyard/nest-kit';
import { describeDatabaseError } from '../common/database-errors.js';
import { METERING_CONFIG, type MeteringConfig } from '../config/metering.config.js';
import { GenerationsRepository } from '../generations/generations.repository.js';
import type { StoredAttemptUsage } from './attempt-usage-row.js';
import { AttemptUsageRepository } from './attempt-usage.repository.js';
import { decideOrphan } from './orphan-decision.js';

export interface ReconciliationPass {
  /** Another replica was reconciling: this pass did nothing. */
  skipped: boolean;
  /** Pending attempt usage whose generation turned out to be recorded. */
  resolved: number;
  /** Orphans handled: charged (a generation-completed published) + placeholders written. */
  reconciled: number;
  /** Orphans charged exactly: a `generation-completed` was published for billing and metering. */
  charged: number;
  /** Orphans whose last attempt was never delivered: resolved without a record or a charge. */
  unbilled: number;
  /** The pass hit its batch limit: more orphans may be waiting. */
  full: boolean;
}

/** How long the reconciler waits for in-flight batch writes before giving up on a pass, ms. */
const WRITE_LOCK_TIMEOUT_MS = 5_000;
/** How long a pass waits for JetStream to ack the generation-completed events it publishes, ms. */
const PUBLISH_TIMEOUT_MS = 5_000;
const PURGE_BATCH = 5_000;
const RESOLVE_BATCH = 20_000;

/**
 * Finds generations whose attempts reported usage (providers' `attempt-usage`) but whose `generation-completed`
 * never arrived within RECONCILE_AFTER_MS of their last attempt — the ingress that served them died between the
 * last byte and the publish — and settles each (see `decideOrphan`):
 * - attempts carrying ingress's charge inputs: the generation's last attempt, if providers delivered it, is charged
 *   exactly (`chargeFor`, the same inputs as ingress) by publishing a `generation-completed` (message id = the
 *   generation id, `reconciled: true`) that billing debits and metering records like any other — idempotent by id in
 *   both, so the original arriving late changes nothing; a last attempt that was not delivered is not charged;
 * - attempts without them (older providers): a placeholder record with tokens and no cost, nothing charged, which
 *   a later `generation-completed` replaces.
 *
 * Safe with any number of replicas: one pass at a time holds a transaction-scoped advisory lock (the others skip),
 * and while it decides which generations are orphans it holds the generation-write lock exclusively, so no batch
 * can be inserting the real event of a generation it is about to call an orphan. The charges are published (and
 * acked by JetStream) before the attempt usage is marked resolved in the same transaction: a pass that fails
 * publishes again on the next one, which JetStream de-duplicates and billing ignores.
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
    private readonly nats: NatsService,
    metrics: MetricsService,
  ) {
    this.reconciledTotal = metrics.counter({
      name: 'switchyard_metering_reconciled_total',
      help: 'Orphaned generations settled by the reconciler: charged (generation-completed published), placeholder (unpriced record) or unbilled (never delivered)',
      labelNames: ['kind'],
    });
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
      const idle = { skipped: false, resolved: 0, reconciled: 0, charged: 0, unbilled: 0, full: false };
      if (!(await this.generations.tryLockReconciler(transaction))) return { ...idle, skipped: true };
      // The bulk of the work — matching attempt usage to recorded generations — runs without blocking ingestion.
      const resolved = await this.attemptUsage.resolveRecorded(transaction, RESOLVE_BATCH);
      // Deciding which generations are orphans holds batch writers off, so a real event cannot be mid-insert.
      await this.generations.lockGenerationWrites(transaction, WRITE_LOCK_TIMEOUT_MS);
      const orphans = await this.attemptUsage.findOrphanGenerationIds(transaction, this.config.RECONCILE_AFTER_MS, limit);
      const full = orphans.length === limit || resolved === RESOLVE_BATCH;
      if (orphans.length === 0) return { ...idle, resolved, full };
      const attempts = await this.attemptUsage.findByGenerations(transaction, orphans);
      const byGeneration = new Map<string, StoredAttemptUsage[]>();
      for (const attempt of attempts) {
        const list = byGeneration.get(attempt.generation_id) ?? [];
        list.push(attempt);
        byGeneration.set(attempt.generation_id, list);
      }
      const decisions = [...byGeneration.values()].map((list) => decideOrphan(list));
      const charges = decisions.flatMap((decision) => (decision.kind === 'charge' ? [decision.event] : []));
      const placeholders = decisions.flatMap((decision) => (decision.kind === 'placeholder' ? [decision.row] : []));
      const unbilled = decisions.flatMap((decision) => (decision.kind === 'unbilled' ? [decision.generationId] : []));
      // Published before anything is marked resolved: if this pass fails from here on, the next one publishes again.
      await this.publishCharges(charges);
      const outcome = await this.generations.insertGenerations(transaction, placeholders, { supersedePlaceholders: false });
      await this.attemptUsage.markResolved(transaction, [...charges.map((event) => event.id), ...placeholders.map((row) => row.id)], 'reconciled');
      await this.attemptUsage.markResolved(transaction, unbilled, 'unbilled');
      return { skipped: false, resolved, reconciled: charges.length + outcome.inserted, charged: charges.length, unbilled: unbilled.length, full };
    });
    if (pass.charged > 0) {
      this.reconciledTotal.inc({ kind: 'charged' }, pass.charged);
      this.logger.warn(`charged ${pass.charged} generation(s) from attempt usage with no generation-completed after ${this.config.RECONCILE_AFTER_MS} ms (their ingress died before publishing)`);
    }
    const placeholders = pass.reconciled - pass.charged;
    if (placeholders > 0) {
      this.reconciledTotal.inc({ kind: 'placeholder' }, placeholders);
      this.logger.warn(`recorded ${placeholders} placeholder generation(s) from attempt usage without charge inputs (tokens only, not charged)`);
    }
    if (pass.unbilled > 0) this.reconciledTotal.inc({ kind: 'unbilled' }, pass.unbilled);
    if (!pass.skipped) this.pendingGauge.set(await this.attemptUsage.countPending(this.generations.dataSource));
    return pass;
  }

  /** Publishes the reconciled generations to JetStream and waits for every ack (message id = generation id). */
  private async publishCharges(events: ReadonlyArray<GenerationCompleted>): Promise<void> {
    if (events.length === 0) return;
    const jetstream = this.nats.jetstream();
    await Promise.all(
      events.map((event) => jetstream.publish(subjects.metering.generationCompleted, JSON.stringify(event), { msgID: event.id, timeout: PUBLISH_TIMEOUT_MS })),
    );
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
