import { spendAlertSchema, subjects } from '@switchyard/contracts';
import { MetricsService, type NatsService } from '@switchyard/nest-kit';
import { SpendAlertAnnouncer } from './spend-alert-announcer.js';
import type { SpendAlertRow } from './spend-alerts.repository.js';

const lowBalance: SpendAlertRow = { id: '41', account_id: 'acct-1', kind: 'low_balance', threshold: '5.000000000000', value: '4.990000000000', day: null, created_at: new Date('2026-11-25T10:00:00Z') };

function setup(publish: (subject: string, data: unknown) => void) {
  const metrics = new MetricsService();
  const announcer = new SpendAlertAnnouncer({ publish } as unknown as NatsService, metrics);
  const counted = async () => (await metrics.registry.getSingleMetric('switchyard_billing_spend_alerts_total')!.get()).values.map(({ labels, value }) => [labels.kind, value]);
  return { announcer, counted };
}

describe('SpendAlertAnnouncer', () => {
  it('publishes the alert as a sy.billing.spend-alert.v1 event, money in canonical form, and counts it by kind', async () => {
    const sent: Array<{ subject: string; data: unknown }> = [];
    const { announcer, counted } = setup((subject, data) => sent.push({ subject, data }));
    expect(announcer.announce(lowBalance)).toBe(true);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.subject).toBe(subjects.billing.spendAlert);
    expect(spendAlertSchema.parse(sent[0]!.data)).toEqual({ id: '41', accountId: 'acct-1', kind: 'low_balance', threshold: '5', value: '4.99', day: null, at: '2026-11-25T10:00:00.000Z' });
    expect(await counted()).toEqual([['low_balance', 1]]);
  });

  it('keeps going when NATS refuses the publish: the alert is still counted, and the caller told it did not go out', async () => {
    const { announcer, counted } = setup(() => {
      throw new Error('CONNECTION_CLOSED');
    });
    expect(announcer.announce({ ...lowBalance, kind: 'daily_spend', day: '2026-11-25' })).toBe(false);
    expect(await counted()).toEqual([['daily_spend', 1]]);
  });
});
