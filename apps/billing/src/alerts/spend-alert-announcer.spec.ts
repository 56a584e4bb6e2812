import { spendAlertSchema, subjects } from '@switchyard/contracts';
import { MetricsService, type NatsService } from '@switchyard/nest-kit';
import type { AlertWebhookService } from './alert-webhook.service.js';
import { SpendAlertAnnouncer } from './spend-alert-announcer.js';
import type { SpendAlertRow } from './spend-alerts.repository.js';

const lowBalance: SpendAlertRow = {
  id: '41',
  account_id: 'acct-1',
  kind: 'low_balance',
  threshold: '5.000000000000',
  value: '4.990000000000',
  day: null,
  key_hash: null,
  key_name: null,
  created_at: new Date('2026-11-25T10:00:00Z'),
  webhook_state: 'pending',
  webhook_attempts: 0,
  webhook_error: null,
};

function setup(publish: (subject: string, data: unknown) => void) {
  const metrics = new MetricsService();
  const kicks = { count: 0 };
  const webhook = { kick: () => void kicks.count++ } as unknown as AlertWebhookService;
  const announcer = new SpendAlertAnnouncer({ publish } as unknown as NatsService, webhook, metrics);
  const counted = async () => (await metrics.registry.getSingleMetric('switchyard_billing_spend_alerts_total')!.get()).values.map(({ labels, value }) => [labels.kind, value]);
  return { announcer, counted, kicks };
}

describe('SpendAlertAnnouncer', () => {
  it('publishes the alert as a sy.billing.spend-alert.v1 event, money in canonical form, and counts it by kind', async () => {
    const sent: Array<{ subject: string; data: unknown }> = [];
    const { announcer, counted, kicks } = setup((subject, data) => sent.push({ subject, data }));
    expect(announcer.announce(lowBalance)).toBe(true);
    // The webhook delivery is told at once.
    expect(kicks.count).toBe(1);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.subject).toBe(subjects.billing.spendAlert);
    expect(spendAlertSchema.parse(sent[0]!.data)).toEqual({ id: '41', accountId: 'acct-1', kind: 'low_balance', threshold: '5', value: '4.99', day: null, keyHash: null, keyName: null, at: '2026-11-25T10:00:00.000Z' });
    expect(await counted()).toEqual([['low_balance', 1]]);
  });

  it('keeps going when NATS refuses the publish: the alert is still counted, and the caller told it did not go out', async () => {
    const { announcer, counted, kicks } = setup(() => {
      throw new Error('CONNECTION_CLOSED');
    });
    expect(announcer.announce({ ...lowBalance, kind: 'daily_spend', day: '2026-11-25' })).toBe(false);
    expect(await counted()).toEqual([['daily_spend', 1]]);
    // The row is still delivered to the webhook: it does not depend on NATS.
    expect(kicks.count).toBe(1);
  });
});
