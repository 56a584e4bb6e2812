import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { type ParsedGenerationCompleted, durableConsumers, generationCompletedSchema, subjects } from '@switchyard/contracts';
import { type ConsumedMessage, DurableConsumer, HealthRegistry, LATENCY_BUCKETS_SECONDS, MetricsService, NatsService, parseConsumed } from '@switchyard/nest-kit';
import { BILLING_CONFIG, type BillingConfig } from '../config/billing.config.js';
import { DebitsService } from './debits.service.js';

/**
 * Consumes `generation-completed` from JetStream (durable `billing-generations`, explicit acks) in batches. A batch
 * is acked only after its transaction committed; a failed batch is redelivered, and the ledger's unique key makes
 * the redelivery a no-op for what was already debited. Events that fail the schema are logged and acked (they would
 * fail forever).
 */
@Injectable()
export class DebitsConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('DebitsConsumer');
  private consumer: DurableConsumer | undefined;
  private readonly rejected;
  private readonly batchSeconds;
  private lastBatchAt = 0;

  constructor(
    private readonly nats: NatsService,
    private readonly debits: DebitsService,
    @Inject(BILLING_CONFIG) private readonly config: BillingConfig,
    metrics: MetricsService,
    private readonly health: HealthRegistry,
  ) {
    this.rejected = metrics.counter({ name: 'switchyard_billing_events_rejected_total', help: 'generation-completed events that failed validation (dropped)' });
    this.batchSeconds = metrics.histogram({ name: 'switchyard_billing_debit_batch_seconds', help: 'Time to debit one batch of generations', buckets: LATENCY_BUCKETS_SECONDS });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.consumer = new DurableConsumer(this.nats, {
      durable: durableConsumers.billingGenerations,
      filterSubject: subjects.metering.generationCompleted,
      batchSize: this.config.DEBIT_BATCH_SIZE,
      ackWaitMs: this.config.DEBIT_ACK_WAIT_MS,
      handler: (messages) => this.handle(messages),
    });
    await this.consumer.start();
    this.health.register('debits', () => ({ ok: true, detail: { lastBatchAt: this.lastBatchAt === 0 ? null : new Date(this.lastBatchAt).toISOString() } }));
  }

  async onModuleDestroy(): Promise<void> {
    await this.consumer?.stop();
  }

  private async handle(messages: ConsumedMessage[]): Promise<void> {
    const events: ParsedGenerationCompleted[] = [];
    for (const message of messages) {
      const parsed = parseConsumed(message, generationCompletedSchema);
      if (parsed.success) {
        events.push(parsed.data);
      } else {
        this.rejected.inc();
        this.logger.error(`dropped an invalid generation-completed event (stream seq ${message.seq}): ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
      }
    }
    const stop = this.batchSeconds.startTimer();
    await this.debits.debit(events);
    stop();
    this.lastBatchAt = Date.now();
  }
}
