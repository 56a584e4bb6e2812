import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { durableConsumers, subjects } from '@switchyard/contracts';
import { HealthRegistry, MetricsService, NatsService } from '@switchyard/nest-kit';
import { METERING_CONFIG, type MeteringConfig } from '../config/metering.config.js';
import { MeteredConsumer } from '../ingestion/metered-consumer.js';
import { AttemptUsageIngestService } from './attempt-usage-ingest.service.js';

/** The durable consumer of providers' `attempt-usage` events. */
@Injectable()
export class AttemptUsageConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  readonly consumer: MeteredConsumer;

  constructor(
    @Inject(METERING_CONFIG) config: MeteringConfig,
    nats: NatsService,
    metrics: MetricsService,
    health: HealthRegistry,
    ingest: AttemptUsageIngestService,
  ) {
    this.consumer = new MeteredConsumer(nats, metrics, health, {
      durable: durableConsumers.meteringAttemptUsage,
      filterSubject: subjects.providers.attemptUsage,
      batchSize: config.CONSUMER_BATCH_SIZE,
      ackWaitMs: config.CONSUMER_ACK_WAIT_MS,
      handler: (messages) => ingest.storeBatch(messages),
      lagPollMs: config.CONSUMER_LAG_POLL_MS,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.consumer.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.consumer.stop();
  }
}
