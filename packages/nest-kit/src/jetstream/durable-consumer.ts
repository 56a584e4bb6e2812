import { Logger } from '@nestjs/common';
import { AckPolicy, DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { JETSTREAM_STREAM } from '@switchyard/contracts';
import type { NatsService } from '../nats/nats.service.js';
import { ensureSwitchyardStream } from './stream.js';
import { linkFrom, SpanKind, withSpan } from '../telemetry/telemetry.js';

export interface DurableConsumerOptions {
  durable: string;
  filterSubject: string;
  /** Messages handled together (one database batch). */
  batchSize?: number;
  /** How long a fetch waits for messages before looping, ms. */
  expiresMs?: number;
  /** Redelivery after this long without an ack, ms. */
  ackWaitMs?: number;
  handler: (messages: JsMsg[]) => Promise<void>;
}

const NANOS_PER_MS = 1_000_000;

/**
 * A durable pull consumer with explicit acks that hands messages to `handler` in batches and acks them only after
 * the handler succeeded; on failure the batch is nak'ed (redelivered after a delay). The handler must be
 * idempotent (unique constraints), because redelivery is normal. Survives NATS restarts by re-fetching.
 */
export class DurableConsumer {
  private readonly logger: Logger;
  private running = false;
  private loop: Promise<void> | undefined;
  private current: { stop: () => void } | undefined;

  constructor(
    private readonly nats: NatsService,
    private readonly options: DurableConsumerOptions,
  ) {
    this.logger = new Logger(`Consumer:${options.durable}`);
  }

  async start(): Promise<void> {
    const jsm = await this.nats.jetstreamManager();
    await ensureSwitchyardStream(jsm);
    await this.ensureConsumer();
    this.running = true;
    this.loop = this.run();
  }

  private async ensureConsumer(): Promise<void> {
    const jsm = await this.nats.jetstreamManager();
    const config = {
      durable_name: this.options.durable,
      filter_subject: this.options.filterSubject,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: (this.options.ackWaitMs ?? 30_000) * NANOS_PER_MS,
      max_ack_pending: 10_000,
    };
    try {
      await jsm.consumers.info(JETSTREAM_STREAM, this.options.durable);
    } catch {
      try {
        await jsm.consumers.add(JETSTREAM_STREAM, config);
      } catch (error) {
        if (!/already (in use|exists)/i.test((error as Error).message)) throw error;
      }
    }
  }

  private async run(): Promise<void> {
    const batchSize = this.options.batchSize ?? 200;
    while (this.running) {
      try {
        const consumer = await this.nats.jetstream().consumers.get(JETSTREAM_STREAM, this.options.durable);
        while (this.running) {
          const messages = await consumer.fetch({ max_messages: batchSize, expires: this.options.expiresMs ?? 1_000 });
          this.current = { stop: () => messages.stop() };
          const batch: JsMsg[] = [];
          for await (const message of messages) batch.push(message);
          this.current = undefined;
          if (batch.length === 0) continue;
          await this.handle(batch);
        }
      } catch (error) {
        if (!this.running) break;
        this.logger.warn(`consumer loop error: ${(error as Error).message}; retrying`);
        await new Promise((resolve) => setTimeout(resolve, 500));
        // The stream itself may be gone (deleted, or a NATS server that lost its storage): recreate both.
        await this.nats
          .jetstreamManager()
          .then((jsm) => ensureSwitchyardStream(jsm))
          .then(() => this.ensureConsumer())
          .catch(() => undefined);
      }
    }
  }

  private async handle(batch: JsMsg[]): Promise<void> {
    try {
      // One span per batch, linked to the trace of every message in it (the request that produced the event).
      await withSpan(`consume ${this.options.durable}`, (span) => {
        span.setAttribute('messaging.batch.message_count', batch.length);
        return this.options.handler(batch);
      }, { kind: SpanKind.CONSUMER, links: batch.slice(0, 128).flatMap((message) => linkFrom(message.headers)) });
      for (const message of batch) message.ack();
    } catch (error) {
      this.logger.error(`batch of ${batch.length} failed, will be redelivered: ${(error as Error).message}`, (error as Error).stack);
      for (const message of batch) message.nak(1_000);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.current?.stop();
    await this.loop?.catch(() => undefined);
  }
}
