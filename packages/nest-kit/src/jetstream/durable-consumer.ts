import { Logger } from '@nestjs/common';
import { AckPolicy, DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import { JETSTREAM_STREAM } from '@switchyard/contracts';
import type { z } from 'zod';
import type { NatsService } from '../nats/nats.service.js';
import { ensureSwitchyardStream } from './stream.js';
import { linkFrom, SpanKind, withSpan } from '../telemetry/telemetry.js';
import { DEFAULT_BATCH_MAX_BYTES, splitEventBatch } from '../nats/event-batch.js';

/**
 * One event as a handler sees it: a JetStream message, or one event of a batch message (same subject, stream
 * sequence, delivery info and redelivery flag as its message; its own data and trace context). A `JsMsg` is one.
 */
export interface ConsumedMessage {
  subject: string;
  /** Stream sequence of the message that carried the event. */
  seq: number;
  data: Uint8Array;
  headers?: MsgHdrs;
  redelivered: boolean;
  info: { pending: number };
  json<T = unknown>(): T;
}

const textDecoder = new TextDecoder();

/** An event's JSON through its schema; a body that is not JSON fails the same way as one that does not match. */
export function parseConsumed<Schema extends z.ZodType>(message: ConsumedMessage, schema: Schema): ReturnType<Schema['safeParse']> {
  let raw: unknown;
  try {
    raw = message.json();
  } catch {
    raw = undefined;
  }
  return schema.safeParse(raw) as ReturnType<Schema['safeParse']>;
}

/** The events of fetched messages, in order: a plain message as itself, a batch message as its events. */
export function unpackMessages(messages: readonly JsMsg[]): ConsumedMessage[] {
  const events: ConsumedMessage[] = [];
  for (const message of messages) {
    const batch = splitEventBatch(message);
    if (!batch) {
      events.push(message);
      continue;
    }
    for (const event of batch) {
      events.push({
        subject: message.subject,
        seq: message.seq,
        data: event.data,
        headers: event.headers,
        redelivered: message.redelivered,
        info: message.info,
        json: <T>() => JSON.parse(textDecoder.decode(event.data)) as T,
      });
    }
  }
  return events;
}

export interface DurableConsumerOptions {
  durable: string;
  filterSubject: string;
  /** The most events handed to one handler call (one database batch). */
  batchSize?: number;
  /**
   * About how many bytes of messages one fetch takes (see fetchCount), so the events held in memory at once stay
   * bounded however many a batch message carries. Default `batchSize` × 4 KiB, at least 1 MiB.
   */
  fetchMaxBytes?: number;
  /** How long a fetch waits for messages before looping, ms. */
  expiresMs?: number;
  /** Redelivery after this long without an ack, ms. */
  ackWaitMs?: number;
  handler: (messages: ConsumedMessage[]) => Promise<void>;
}

const NANOS_PER_MS = 1_000_000;

/** Bytes a fetch aims at by default: `batchSize` × 4 KiB, at least 1 MiB. */
const MIN_FETCH_BYTES = 1024 * 1024;


/**
 * How many messages to fetch next: as many as fit in the fetch's bytes at the average size of the messages fetched
 * so far (a batch message carries up to 100 events, a plain one a single event), between 1 and `batchSize`; until a
 * size is known, as if every message were a full batch (a few: a pull completes only when full or expired, so one
 * at a time would hold the messages after the first back by a whole `expiresMs`). (JetStream's own `max_bytes` limit ends a pull filled by count only when its heartbeats are
 * missed, seconds later, so the count is what bounds it.)
 */
export function fetchCount(options: Pick<DurableConsumerOptions, 'batchSize' | 'fetchMaxBytes'>, averageMessageBytes: number | undefined): number {
  const batchSize = options.batchSize ?? 200;
  // Until some were fetched, every message is assumed to be a full batch message (the publisher's cap).
  const average = averageMessageBytes ?? DEFAULT_BATCH_MAX_BYTES;
  const bytes = options.fetchMaxBytes ?? Math.max(batchSize * 4 * 1024, MIN_FETCH_BYTES);
  return Math.max(1, Math.min(batchSize, Math.floor(bytes / Math.max(1, average))));
}

/**
 * A durable pull consumer with explicit acks that hands messages to `handler` in batches and acks them only after
 * the handler succeeded; on failure the batch is nak'ed (redelivered after a delay). The handler must be
 * idempotent (unique constraints), because redelivery is normal. Survives NATS restarts by re-fetching. Batch
 * messages (DurablePublisher's) are unpacked into their events; a message is acked only once all of its events
 * were handled.
 */
export class DurableConsumer {
  private readonly logger: Logger;
  private running = false;
  private loop: Promise<void> | undefined;
  private current: { stop: () => void } | undefined;
  private averageMessageBytes: number | undefined;

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
          const messages = await consumer.fetch({ max_messages: fetchCount(this.options, this.averageMessageBytes), expires: this.options.expiresMs ?? 1_000 });
          this.current = { stop: () => messages.stop() };
          const batch: JsMsg[] = [];
          try {
            for await (const message of messages) batch.push(message);
          } catch (error) {
            // A fetch can fail after it delivered messages ("heartbeats missed" on a loaded machine): they are this
            // consumer's until ack_wait (30 s) runs out, so handle them now instead of leaving them to be redelivered
            // half a minute later, then start over.
            if (batch.length > 0) await this.handle(batch, batchSize);
            throw error;
          } finally {
            this.current = undefined;
          }
          if (batch.length === 0) continue;
          this.learnSize(batch);
          await this.handle(batch, batchSize);
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

  /** The messages' average size, weighted towards the recent ones. */
  private learnSize(batch: readonly JsMsg[]): void {
    const average = batch.reduce((sum, message) => sum + message.data.length, 0) / batch.length;
    this.averageMessageBytes = this.averageMessageBytes === undefined ? average : this.averageMessageBytes * 0.5 + average * 0.5;
  }

  private async handle(batch: JsMsg[], maxEvents: number): Promise<void> {
    try {
      const events = unpackMessages(batch);
      for (let start = 0; start < events.length; start += maxEvents) {
        const chunk = start === 0 && events.length <= maxEvents ? events : events.slice(start, start + maxEvents);
        // One span per handler call, linked to the trace of every event in it (the request that produced it).
        await withSpan(`consume ${this.options.durable}`, (span) => {
          span.setAttribute('messaging.batch.message_count', chunk.length);
          return this.options.handler(chunk);
        }, { kind: SpanKind.CONSUMER, links: chunk.slice(0, 128).flatMap((message) => linkFrom(message.headers)) });
      }
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
