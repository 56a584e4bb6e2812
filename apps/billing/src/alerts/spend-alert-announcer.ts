import { Injectable, Logger } from '@nestjs/common';
import { subjects, type SpendAlert } from '@switchyard/contracts';
import { formatMoney } from '@switchyard/money';
import { MetricsService, NatsService } from '@switchyard/nest-kit';
import type { SpendAlertRow } from './spend-alerts.repository.js';

/**
 * Tells the world about a spend alert once the debit that raised it committed: `switchyard_billing_spend_alerts_total`
 * {kind}, a warning in the log and a `sy.billing.spend-alert.v1` event (core NATS). A publish NATS refuses is only
 * logged: the alert stays in `spend_alerts`, where `GET /api/v1/alerts` and the admin API list it.
 */
@Injectable()
export class SpendAlertAnnouncer {
  private readonly logger = new Logger('SpendAlerts');
  private readonly raised;

  constructor(
    private readonly nats: NatsService,
    metrics: MetricsService,
  ) {
    this.raised = metrics.counter({ name: 'switchyard_billing_spend_alerts_total', help: 'Spend alerts raised (an account balance below its threshold, a day of spend above its threshold)', labelNames: ['kind'] });
  }

  /** True when the event went out. */
  announce(alert: SpendAlertRow): boolean {
    this.raised.inc({ kind: alert.kind });
    const what = alert.kind === 'low_balance' ? `balance $${formatMoney(alert.value)} below $${formatMoney(alert.threshold)}` : `spend of ${alert.day} $${formatMoney(alert.value)} above $${formatMoney(alert.threshold)}`;
    this.logger.warn(`spend alert for account ${alert.account_id}: ${what}`);
    const event: SpendAlert = { id: alert.id, accountId: alert.account_id, kind: alert.kind, threshold: formatMoney(alert.threshold), value: formatMoney(alert.value), day: alert.day, at: new Date(alert.created_at).toISOString() };
    try {
      this.nats.publish(subjects.billing.spendAlert, event);
      return true;
    } catch (error) {
      this.logger.warn(`could not publish spend alert ${alert.id}: ${(error as Error).message} (kept in spend_alerts)`);
      return false;
    }
  }
}
