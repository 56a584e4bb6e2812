import { Injectable, Logger } from '@nestjs/common';
import { subjects, type SpendAlert } from '@switchyard/contracts';
import { formatMoney } from '@switchyard/money';
import { MetricsService, NatsService } from '@switchyard/nest-kit';
import { alertSummary } from './alert-webhook.js';
import { AlertWebhookService } from './alert-webhook.service.js';
import type { SpendAlertRow } from './spend-alerts.repository.js';

/**
 * Tells the world about a spend alert once the debit that raised it committed: `switchyard_billing_spend_alerts_total`
 * {kind}, a warning in the log, a `sy.billing.spend-alert.v1` event (core NATS) and the webhook (AlertWebhookService,
 * from the alert's row). A publish NATS refuses is only logged: the alert stays in `spend_alerts`, where `GET
 * /api/v1/alerts` and the admin API list it and the webhook delivery finds it.
 */
@Injectable()
export class SpendAlertAnnouncer {
  private readonly logger = new Logger('SpendAlerts');
  private readonly raised;

  constructor(
    private readonly nats: NatsService,
    private readonly webhook: AlertWebhookService,
    metrics: MetricsService,
  ) {
    this.raised = metrics.counter({
      name: 'switchyard_billing_spend_alerts_total',
      help: 'Spend alerts raised (an account balance below its threshold, a day of spend above its threshold, a key disabled by the runaway stop)',
      labelNames: ['kind'],
    });
  }

  /** True when the event went out. */
  announce(alert: SpendAlertRow): boolean {
    this.raised.inc({ kind: alert.kind });
    // The row is the webhook's outbox: deliver it now rather than at the next round.
    this.webhook.kick();
    this.logger.warn(`spend alert ${alert.id} for account ${alert.account_id}: ${alertSummary(alert)}`);
    const event: SpendAlert = {
      id: alert.id,
      accountId: alert.account_id,
      kind: alert.kind,
      threshold: formatMoney(alert.threshold),
      value: formatMoney(alert.value),
      day: alert.day,
      keyHash: alert.key_hash,
      keyName: alert.key_name,
      at: new Date(alert.created_at).toISOString(),
    };
    try {
      this.nats.publish(subjects.billing.spendAlert, event);
      return true;
    } catch (error) {
      this.logger.warn(`could not publish spend alert ${alert.id}: ${(error as Error).message} (kept in spend_alerts)`);
      return false;
    }
  }
}
