import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { natsHeaders } from '@switchyard/contracts';
import { randomUUID } from 'node:crypto';
import { MetricsService } from '../admin/metrics.service.js';
import { HealthRegistry } from '../admin/health.registry.js';
import { NatsService } from '../nats/nats.service.js';
import { activeTraceparent, type BatchItem, encodeEvents, EventBatcher, eventBatchWindowMs } from '../nats/event-batch.js';
import { otelContext, type Context } from '../telemetry/telemetry.js';

type AckWaiter = (error: Error | null, message: Msg | undefined) => void;

interface OutboxEntry {
  subject: string;
  payload: string;
  messageId: string;
  headers: MsgHdrs;
  attempts: number;
}

/**
 * Publishes events to JetStream without making the caller wait for the ack: the event is kept in memory and
 * republished (same `Nats-Msg-Id`, so JetStream stores it once) until acked — across NATS restarts — and flushed
 * before a graceful exit. This is how ingress records a generation without holding the response.
 *
 * Events of one subject published within a few milliseconds travel as one batch message (see event-batch.ts;
 * DurableConsumer unpacks them): one JetStream message, ack and delivery per batch instead of per event. A lone
 * event goes out as itself, with its own id.
 */
@Injectable()
export class DurablePublisher implements BeforeApplicationShutdown {
  private readonly logger = new Logger('DurablePublisher');
  private readonly queue: OutboxEntry[] = [];
  private inFlight = 0;
  private pumping = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private acks: { connection: NatsConnection; prefix: string; waiting: Map<string, AckWaiter>; subscription: Subscription } | undefined;
  private nextAckToken = 0;
  private readonly concurrency = 64;
  private readonly idleWaiters: Array<() => void> = [];
  private readonly depthGauge;
  private readonly published;
  private readonly failures;
  private readonly windowMs = eventBatchWindowMs();
  private readonly batcher = new EventBatcher((subject, items, keys) => this.enqueue(subject, items, keys), { windowMs: this.windowMs });
  private deferred: Array<{ task: () => void; context: Context }> = [];
  private deferTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly nats: NatsService,
    metrics: MetricsService,
    health: HealthRegistry,
  ) {
    this.depthGauge = metrics.gauge({ name: 'switchyard_outbox_pending', help: 'Events waiting for a JetStream ack' });
    this.published = metrics.counter({ name: 'switchyard_outbox_published_total', help: 'Events acked by JetStream', labelNames: ['duplicate'] });
    this.failures = metrics.counter({ name: 'switchyard_outbox_publish_failures_total', help: 'Failed JetStream publish attempts (retried)' });
    health.register('outbox', () => ({ ok: true, detail: { pending: this.pending } }));
  }

  /** Messages waiting for an ack, plus events still waiting for their batch window (or to be built). */
  get pending(): number {
    return this.queue.length + this.inFlight + this.batcher.size + this.deferred.length;
  }

  /**
   * Runs `task` (building and publishing the events of a request that was already answered, with its metrics)
   * off the request's path: all such tasks of a batch window run together when it closes, and their events go out
   * at once. On a gateway at low concurrency this keeps that work from competing for the CPU with the next request
   * and with the client reading its answer. The task runs in the trace context it was deferred in; a task that
   * throws is logged and dropped; flush() (shutdown) runs pending tasks first. With no batch window it runs now.
   */
  defer(task: () => void): void {
    if (this.windowMs <= 0) return this.runTask(task, otelContext.active());
    this.deferred.push({ task, context: otelContext.active() });
    if (this.deferTimer) return;
    this.deferTimer = setTimeout(() => this.runDeferred(), this.windowMs);
    this.deferTimer.unref();
  }

  private runDeferred(): void {
    if (this.deferTimer) clearTimeout(this.deferTimer);
    this.deferTimer = undefined;
    const tasks = this.deferred;
    if (tasks.length === 0) return;
    this.deferred = [];
    for (const { task, context } of tasks) this.runTask(task, context);
    // Their events waited a window already.
    this.batcher.closeAll();
  }

  private runTask(task: () => void, context: Context): void {
    try {
      otelContext.with(context, task);
    } catch (error) {
      this.logger.error(`a deferred task failed: ${(error as Error)?.message ?? String(error)}`, (error as Error)?.stack);
    }
  }

  /**
   * Queues an event; returns at once. `messageId` makes redelivery idempotent (use the event's own id): a repeat
   * within the batch window is dropped here, a later one by JetStream's de-duplication or the consumer's keys.
   */
  publish(subject: string, event: unknown, messageId: string): void {
    this.batcher.add(subject, JSON.stringify(event), activeTraceparent(), messageId);
  }

  private enqueue(subject: string, items: BatchItem[], keys: string[]): void {
    const { payload, headers } = encodeEvents(items);
    // A lone event keeps its own id; a batch is formed once and retried whole under one id of its own, so
    // JetStream's de-duplication stays exact for retries either way.
    const messageId = items.length === 1 && keys[0] !== undefined ? keys[0] : `batch-${randomUUID()}`;
    headers.set(natsHeaders.messageId, messageId);
    this.queue.push({ subject, payload, messageId, headers, attempts: 0 });
    this.depthGauge.set(this.pending);
    this.pump();
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && this.inFlight < this.concurrency && this.nats.isConnected) {
        const entry = this.queue.shift()!;
        this.inFlight += 1;
        void this.send(entry);
      }
    } finally {
      this.pumping = false;
    }
    if (this.queue.length > 0 && !this.retryTimer && (!this.nats.isConnected || this.inFlight === 0)) this.scheduleRetry(250);
  }

  private async send(entry: OutboxEntry): Promise<void> {
    try {
      // Never fails synchronously: pump() calls this in a loop, and an entry put back at the head of the queue by a
      // synchronous failure (a closed connection) would be taken again at once, forever, blocking the event loop.
      await Promise.resolve();
      const ack = await this.publishForAck(entry, 5_000);
      this.published.inc({ duplicate: String(ack.duplicate === true) });
    } catch (error) {
      entry.attempts += 1;
      this.failures.inc();
      if (entry.attempts === 1 || entry.attempts % 20 === 0) {
        this.logger.warn(`publish of ${entry.messageId} to ${entry.subject} failed (attempt ${entry.attempts}): ${(error as Error).message}; retrying`);
      }
      this.queue.unshift(entry);
      this.scheduleRetry(Math.min(2_000, 50 * 2 ** Math.min(entry.attempts, 6)));
    } finally {
      this.inFlight -= 1;
      this.depthGauge.set(this.pending);
      if (this.pending === 0) this.idleWaiters.splice(0).forEach((resolve) => resolve());
      else if (!this.retryTimer) this.pump();
    }
  }

  /**
   * A JetStream publish: the event goes out with a reply subject under one wildcard ack subscription, and the
   * stream's PubAck (or error) comes back there. Equivalent to `jetstream().publish()` without a request object,
   * inbox bookkeeping and captured stack per event (measurably cheaper on the hot path).
   */
  private publishForAck(entry: OutboxEntry, timeoutMs: number): Promise<{ stream?: string; seq?: number; duplicate?: boolean }> {
    const nc = this.nats.connection;
    if (!this.acks || this.acks.connection !== nc || this.acks.subscription.isClosed()) {
      const prefix = createInbox();
      const waiting = new Map<string, AckWaiter>();
      const subscription = nc.subscribe(`${prefix}.*`, {
        callback: (error, message) => {
          if (error) {
            for (const [token, waiter] of waiting) {
              waiting.delete(token);
              waiter(error, undefined);
            }
            return;
          }
          const token = message.subject.slice(prefix.length + 1);
          const waiter = waiting.get(token);
          if (!waiter) return;
          waiting.delete(token);
          waiter(null, message);
        },
      });
      this.acks = { connection: nc, prefix, waiting, subscription };
    }
    const acks = this.acks;
    const token = String((this.nextAckToken += 1));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        acks.waiting.delete(token);
        reject(new Error(`no JetStream ack within ${timeoutMs} ms`));
      }, timeoutMs);
      // An ack being awaited does not keep the process alive (flush waits for the outbox on its own deadline).
      timer.unref();
      acks.waiting.set(token, (error, message) => {
        clearTimeout(timer);
        if (error || !message) return reject(error ?? new Error('ack subscription closed'));
        if (message.headers?.hasError) return reject(new Error(`JetStream answered ${message.headers.code} ${message.headers.description}`));
        let ack: { stream?: string; seq?: number; duplicate?: boolean; error?: { code?: number; description?: string } };
        try {
          ack = JSON.parse(new TextDecoder().decode(message.data)) as typeof ack;
        } catch {
          return reject(new Error('JetStream sent an unreadable ack'));
        }
        if (ack.error) return reject(new Error(`JetStream refused the event: ${ack.error.code ?? ''} ${ack.error.description ?? ''}`.trim()));
        resolve(ack);
      });
      try {
        nc.publish(entry.subject, entry.payload, { reply: `${acks.prefix}.${token}`, headers: entry.headers });
      } catch (error) {
        clearTimeout(timer);
        acks.waiting.delete(token);
        reject(error as Error);
      }
    });
  }

  private scheduleRetry(delayMs: number): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, delayMs);
    // Retries do not keep a process alive on their own: a service exits through beforeApplicationShutdown's flush.
    this.retryTimer.unref();
  }

  /** Resolves when every queued event is acked, or after `timeoutMs` (returns what is still pending). */
  async flush(timeoutMs = 10_000): Promise<number> {
    this.runDeferred();
    this.batcher.closeAll();
    if (this.pending === 0) return 0;
    this.pump();
    await Promise.race([new Promise<void>((resolve) => this.idleWaiters.push(resolve)), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    return this.pending;
  }

  /** Runs before NatsService drains its connection (onApplicationShutdown), so the flush can still publish. */
  async beforeApplicationShutdown(): Promise<void> {
    const left = await this.flush();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (left > 0) this.logger.error(`${left} events were not acked by JetStream before shutdown`);
  }
}
