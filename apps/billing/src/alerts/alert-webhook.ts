import { createHmac } from 'node:crypto';
import { formatMoney } from '@switchyard/money';
import type { SpendAlertRow } from './spend-alerts.repository.js';

/** What an alert's webhook message names beyond the alert itself. */
export type WebhookAlert = Omit<SpendAlertRow, 'webhook_state' | 'webhook_attempts' | 'webhook_error'> & { account_name: string };

const usd = (amount: string) => `$${formatMoney(amount)}`;

/** One line saying what happened (the log line, and the webhook's text after the account's name). */
export function alertSummary(alert: Pick<SpendAlertRow, 'kind' | 'threshold' | 'value' | 'day' | 'key_hash' | 'key_name'>): string {
  switch (alert.kind) {
    case 'low_balance':
      return `balance ${usd(alert.value)} is below its alert threshold of ${usd(alert.threshold)}`;
    case 'daily_spend':
      return `spend of ${alert.day} (UTC) ${usd(alert.value)} is above its daily alert threshold of ${usd(alert.threshold)}`;
    case 'key_limit':
      return `key "${alert.key_name ?? alert.key_hash}" reached its limit of ${usd(alert.threshold)} (${usd(alert.value)} used in its current window): it is refused until the window resets or the limit is raised (PATCH /api/v1/keys/${alert.key_hash})`;
    case 'runaway_stop':
      return (
        `key "${alert.key_name ?? alert.key_hash}" was disabled by the runaway stop: it spent ${usd(alert.value)} in the last hour, ` +
        `more than its max_spend_per_hour of ${usd(alert.threshold)}; re-enable it with PATCH /api/v1/keys/${alert.key_hash} {"disabled": false}`
      );
  }
}

/**
 * The body POSTed to the webhook: `text` (what Slack, Mattermost, Rocket.Chat, Google Chat and Teams workflows show;
 * Discord takes it at its `/slack` URL) and `alert`, the same fields as the `sy.billing.spend-alert.v1` event in
 * OpenRouter's snake_case, for receivers that act on it. Money as exact decimal strings.
 */
export function webhookPayload(alert: WebhookAlert): { text: string; alert: Record<string, unknown> } {
  return {
    text: `Switchyard: account "${alert.account_name}" ${alertSummary(alert)}.`,
    alert: {
      id: alert.id,
      kind: alert.kind,
      account_id: alert.account_id,
      account_name: alert.account_name,
      threshold: formatMoney(alert.threshold),
      value: formatMoney(alert.value),
      day: alert.day,
      key_hash: alert.key_hash,
      key_name: alert.key_name,
      created_at: new Date(alert.created_at).toISOString(),
    },
  };
}

/**
 * `X-Switchyard-Signature` when a secret is configured: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, as
 * Stripe signs: the receiver recomputes it with the shared secret and rejects a stale `t` (replays).
 */
export function webhookSignature(secret: string, unixSeconds: number, body: string): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

/**
 * What one attempt's answer means: a 2xx delivered it; 408, 425, 429 and 5xx (and no answer at all) are worth
 * another attempt; any other status will not change by retrying (a wrong URL, a refused payload).
 */
export function attemptOutcome(status: number | undefined): 'delivered' | 'retry' | 'failed' {
  if (status === undefined) return 'retry';
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 408 || status === 425 || status === 429 || status >= 500) return 'retry';
  return 'failed';
}

/** The wait before attempt `attempt + 1` after `attempt` failed: doubling from `baseMs`, at most ten minutes. */
export function retryDelayMs(attempt: number, baseMs: number): number {
  return Math.min(600_000, baseMs * 2 ** Math.max(0, attempt - 1));
}
