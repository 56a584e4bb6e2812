import { Logger } from '@nestjs/common';
import { JETSTREAM_STREAM } from '@switchyard/contracts';
import { DurableConsumer, ensureSwitchyardStream, type HealthRegistry, LATENCY_BUCKETS_SECONDS, linkFrom, type MetricsService, type NatsService, SpanKind, withSpan } from '@switchyard/nest-kit';
import type { BatchOutcome, InboundMessage } from './inbound-message.js';

export interface MeteredConsumerOptions {
  durable: string;
  filterSubject: string;
  batchSize: number;
  ackWaitMs: number;
  handler: (messages: InboundMessage[]) => Promise<BatchOutcome>;
  /** How often the consumer's pending count is read from JetStream for the lag gauge, ms. */
  lagPollMs?: number;
}

const MAX_SPAN_LINKS = 64;

/**
 * A nest-kit DurableConsumer (pull, explicit ack, batch acked only after the handler succeeded) with what
 * operating it needs: batch size and store latency histograms, per-outcome message counters, a consumer-lag gauge
 * (kept current from every batch and polled from JetStream, so it also grows while the database is down), a span
 * per batch linked to the requests' traces, a readiness check, and a start that keeps retrying in the background
 * when JetStream is not reachable at boot.
 */
export class MeteredConsumer {
  private readonly logger: Logger;
  private readonly consumer: DurableConsumer;
  private started = false;
  private stopped = false;
  private startRetry: NodeJS.Timeout | undefined;
  private lagTimer: NodeJS.Timeout | undefined;
  private lastBatchAt: string | null = null;
  private readonly batchSizes;
  private readonly storeSeconds;
  private readonly messages;
  private readonly failures;
  private readonly pending;

  constructor(
    private readonly nats: NatsService,
    metrics: MetricsService,
    health: HealthRegistry,
    private readonly options: MeteredConsumerOptions,
  ) {
    this.logger = new Logger(`Consumer:${options.durable}`);
    this.batchSizes = metrics.histogram({
      name: 'switchyard_metering_batch_size',
      help: 'Messages per consumed batch',
      labelNames: ['consumer'],
      buckets: [1, 5, 10, 25, 50, 100, 200, 300, 500, 1000],
    });
    this.storeSeconds = metrics.histogram({
      name: 'switchyard_metering_batch_store_seconds',
      help: 'Time to store one batch (one database transaction), seconds',
      labelNames: ['consumer'],
      buckets: LATENCY_BUCKETS_SECONDS,
    });
    this.messages = metrics.counter({
      name: 'switchyard_metering_messages_total',
      help: 'Consumed messages by outcome (stored, duplicate, dead_letter)',
      labelNames: ['consumer', 'outcome'],
    });
    this.failures = metrics.counter({
      name: 'switchyard_metering_batch_failures_total',
      help: 'Batches that failed and were handed back for redelivery',
      labelNames: ['consumer'],
    });
    this.pending = metrics.gauge({
      name: 'switchyard_metering_consumer_pending',
      help: 'Messages of the stream not yet delivered to the durable consumer (lag)',
      labelNames: ['consumer'],
    });
    this.consumer = new DurableConsumer(nats, {
      durable: options.durable,
      filterSubject: options.filterSubject,
      batchSize: options.batchSize,
      ackWaitMs: options.ackWaitMs,
      handler: (messages) => this.handle(messages),
    });
    health.register(`consumer:${options.durable}`, () => ({ ok: this.started, detail: { started: this.started, lastBatchAt: this.lastBatchAt } }));
  }

  /** Starts consuming; when JetStream cannot be reached yet, keeps trying in the background (readiness stays false). */
  async start(): Promise<void> {
    try {
      await this.consumer.start();
      this.started = true;
      this.logger.log(`consuming ${this.options.filterSubject} from ${JETSTREAM_STREAM}`);
      this.lagTimer = setInterval(() => void this.pollLag(), this.options.lagPollMs ?? 5_000);
      this.lagTimer.unref();
    } catch (error) {
      if (this.stopped) return;
      this.logger.warn(`could not start (${(error as Error).message}); retrying`);
      this.startRetry = setTimeout(() => void this.start(), 1_000);
    }
  }

  private async handle(batch: InboundMessage[]): Promise<void> {
    const consumer = this.options.durable;
    const links = batch.slice(0, MAX_SPAN_LINKS).flatMap((message) => linkFrom(message.headers));
    const started = process.hrtime.bigint();
    try {
      const outcome = await withSpan(`metering.consume ${consumer}`, (span) => {
        span.setAttribute('messaging.batch.message_count', batch.length);
        return this.options.handler(batch);
      }, { kind: SpanKind.CONSUMER, links });
      this.storeSeconds.observe({ consumer }, Number(process.hrtime.bigint() - started) / 1e9);
      this.batchSizes.observe({ consumer }, batch.length);
      if (outcome.stored) this.messages.inc({ consumer, outcome: 'stored' }, outcome.stored);
      if (outcome.duplicates) this.messages.inc({ consumer, outcome: 'duplicate' }, outcome.duplicates);
      if (outcome.deadLettered) this.messages.inc({ consumer, outcome: 'dead_letter' }, outcome.deadLettered);
      const last = batch[batch.length - 1];
      if (last?.info) this.pending.set({ consumer }, last.info.pending);
      this.lastBatchAt = new Date().toISOString();
    } catch (error) {
      this.failures.inc({ consumer });
      throw error;
    }
  }

  /**
   * Reads the consumer's lag. When the stream itself is gone (a NATS server that lost its JetStream store), it is
   * created again: DurableConsumer's retry loop re-creates its consumer but not the stream.
   */
  private async pollLag(): Promise<void> {
    try {
      const jsm = await this.nats.jetstreamManager();
      try {
        const info = await jsm.consumers.info(JETSTREAM_STREAM, this.options.durable);
        this.pending.set({ consumer: this.options.durable }, info.num_pending);
      } catch (error) {
        if (!/stream not found/i.test((error as Error).message)) throw error;
        this.logger.warn(`stream ${JETSTREAM_STREAM} is missing; creating it again`);
        await ensureSwitchyardStream(jsm);
      }
    } catch {
      // NATS unreachable: the gauge keeps its last value; the consumer loop logs the outage.
    }
  }

  /** Stops fetching; the batch in progress is finished and acked first. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.startRetry) clearTimeout(this.startRetry);
    if (this.lagTimer) clearInterval(this.lagTimer);
    if (this.started) await this.consumer.stop();
    this.started = false;
  }
}
