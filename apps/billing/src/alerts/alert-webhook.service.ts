import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { MetricsService } from '@switchyard/nest-kit';
import type { DataSource } from 'typeorm';
import { request } from 'undici';
import { CLOCK, type Clock } from '../common/clock.js';
import { BILLING_CONFIG, type BillingConfig } from '../config/billing.config.js';
import { attemptOutcome, retryDelayMs, webhookPayload, webhookSignature } from './alert-webhook.js';
import { type DueAlertRow, SpendAlertsRepository } from './spend-alerts.repository.js';

/** Alerts claimed per round (each round's deliveries run side by side). */
const CLAIM_BATCH = 20;

/**
 * Delivers every alert (spend alerts, runaway stops) to the operator's `ALERT_WEBHOOK_URL`, at least once: the
 * alert's row in `spend_alerts` is the outbox. A new alert is sent as soon as its debit committed (`kick`); every
 * ALERT_WEBHOOK_INTERVAL_MS the rows still pending are looked for, so a failed attempt is retried with a doubling
 * wait, a billing restart loses nothing, and several billing replicas share the work (a claimed row is skipped by the
 * others until its attempt's lease runs out). A 2xx delivers; 408, 425, 429, 5xx and no answer retry, up to
 * ALERT_WEBHOOK_MAX_ATTEMPTS; other statuses fail at once. Receivers dedupe on `X-Switchyard-Alert-Id`.
 */
@Injectable()
export class AlertWebhookService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('AlertWebhook');
  private readonly deliveries;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly alerts: SpendAlertsRepository,
    @Inject(BILLING_CONFIG) private readonly config: BillingConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    metrics: MetricsService,
  ) {
    this.deliveries = metrics.counter({ name: 'switchyard_billing_alert_webhooks_total', help: 'Alert webhook attempts by outcome (delivered, retry, failed)', labelNames: ['outcome'] });
  }

  get enabled(): boolean {
    return this.config.ALERT_WEBHOOK_URL !== undefined;
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    this.timer = setInterval(() => this.kick(), this.config.ALERT_WEBHOOK_INTERVAL_MS);
    this.timer.unref();
    this.kick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** Looks for due deliveries now (one round at a time; a kick during a round runs another after it). */
  kick(): void {
    if (!this.enabled || this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      // A claim holds a row for longer than its attempt can take, so no other replica sends it meanwhile.
      const leaseMs = this.config.ALERT_WEBHOOK_TIMEOUT_MS * 2 + 1_000;
      for (;;) {
        const due = await this.alerts.claimDue(this.dataSource, new Date(this.clock.now()), { limit: CLAIM_BATCH, leaseMs, maxAgeMs: this.config.ALERT_WEBHOOK_MAX_AGE_MS });
        await Promise.all(due.map((alert) => this.deliver(alert)));
        if (due.length < CLAIM_BATCH || this.stopped) return;
      }
    } catch (error) {
      // The database is away: the rows wait, the next round tries again.
      this.logger.warn(`alert webhook round failed: ${(error as Error).message}`);
    }
  }

  private async deliver(alert: DueAlertRow): Promise<void> {
    const body = JSON.stringify(webhookPayload(alert));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'Switchyard-Alerts/1',
      'x-switchyard-alert-id': alert.id,
      'x-switchyard-alert-kind': alert.kind,
    };
    if (this.config.ALERT_WEBHOOK_SECRET) headers['x-switchyard-signature'] = webhookSignature(this.config.ALERT_WEBHOOK_SECRET, Math.floor(this.clock.now() / 1000), body);
    const timeout = this.config.ALERT_WEBHOOK_TIMEOUT_MS;
    let status: number | undefined;
    let problem: string;
    try {
      const response = await request(this.config.ALERT_WEBHOOK_URL!, { method: 'POST', body, headers, headersTimeout: timeout, bodyTimeout: timeout, signal: AbortSignal.timeout(timeout) });
      status = response.statusCode;
      await response.body.dump();
      problem = `HTTP ${status}`;
    } catch (error) {
      problem = (error as Error).message;
    }
    const outcome = attemptOutcome(status);
    const final = outcome === 'retry' && alert.webhook_attempts >= this.config.ALERT_WEBHOOK_MAX_ATTEMPTS ? 'failed' : outcome;
    this.deliveries.inc({ outcome: final });
    if (final === 'delivered') return this.alerts.recordDelivery(this.dataSource, alert.id, { state: 'delivered' });
    if (final === 'failed') {
      this.logger.warn(`alert ${alert.id} (${alert.kind}, account ${alert.account_id}) not delivered to the webhook after ${alert.webhook_attempts} attempt(s): ${problem}`);
      return this.alerts.recordDelivery(this.dataSource, alert.id, { state: 'failed', error: problem });
    }
    const nextAt = new Date(this.clock.now() + retryDelayMs(alert.webhook_attempts, this.config.ALERT_WEBHOOK_RETRY_BASE_MS));
    return this.alerts.recordDelivery(this.dataSource, alert.id, { state: 'pending', error: problem, nextAt });
  }
}
