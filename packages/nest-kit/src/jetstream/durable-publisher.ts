import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { headers as createHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { natsHeaders } from '@switchyard/contracts';
import { MetricsService } from '../admin/metrics.service.js';
import { HealthRegistry } from '../admin/health.registry.js';
import { NatsService } from '../nats/nats.service.js';
import { injectTraceContext } from '../telemetry/telemetry.js';

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
 */
@Injectable()
export class DurablePublisher implements BeforeApplicationShutdown {
  private readonly logger = new Logger('DurablePublisher');
  private readonly queue: OutboxEntry[] = [];
  private inFlight = 0;
  private pumping = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly concurrency = 64;
  private readonly idleWaiters: Array<() => void> = [];
  private readonly depthGauge;
  private readonly published;
  private readonly failures;

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

  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  /** Queues an event; returns at once. `messageId` makes redelivery idempotent (use the event's own id). */
  publish(subject: string, event: unknown, messageId: string): void {
    const headers = createHeaders();
    headers.set(natsHeaders.messageId, messageId);
    injectTraceContext(headers);
    this.queue.push({ subject, payload: JSON.stringify(event), messageId, headers, attempts: 0 });
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
      const ack = await this.nats.jetstream().publish(entry.subject, entry.payload, { msgID: entry.messageId, headers: entry.headers, timeout: 5_000 });
      this.published.inc({ duplicate: String(ack.duplicate) });
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

  private scheduleRetry(delayMs: number): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, delayMs);
  }

  /** Resolves when every queued event is acked, or after `timeoutMs` (returns what is still pending). */
  async flush(timeoutMs = 10_000): Promise<number> {
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
