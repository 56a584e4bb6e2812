import { createHmac } from 'node:crypto';
import { alertSummary, attemptOutcome, retryDelayMs, webhookPayload, webhookSignature, type WebhookAlert } from './alert-webhook.js';

const base: WebhookAlert = {
  id: '7',
  account_id: 'acct-1',
  account_name: 'Acme',
  kind: 'low_balance',
  threshold: '5.000000000000',
  value: '4.200000000000',
  day: null,
  key_hash: null,
  key_name: null,
  created_at: new Date('2026-11-25T09:00:00Z'),
};

describe('webhookPayload', () => {
  it('says what happened in one line of text, with exact money, and carries the alert in snake_case', () => {
    expect(webhookPayload(base)).toEqual({
      text: 'Switchyard: account "Acme" balance $4.2 is below its alert threshold of $5.',
      alert: { id: '7', kind: 'low_balance', account_id: 'acct-1', account_name: 'Acme', threshold: '5', value: '4.2', day: null, key_hash: null, key_name: null, created_at: '2026-11-25T09:00:00.000Z' },
    });
    expect(webhookPayload({ ...base, kind: 'daily_spend', threshold: '20', value: '21.000000000001', day: '2026-11-25' }).text).toBe(
      'Switchyard: account "Acme" spend of 2026-11-25 (UTC) $21.000000000001 is above its daily alert threshold of $20.',
    );
  });

  it('names the key a runaway stop disabled, or that reached its limit, and what to do', () => {
    const runaway = { ...base, kind: 'runaway_stop' as const, threshold: '10', value: '12.5', key_hash: 'abc123', key_name: 'agent-7' };
    expect(webhookPayload(runaway).text).toBe(
      'Switchyard: account "Acme" key "agent-7" was disabled by the runaway stop: it spent $12.5 in the last hour, more than its max_spend_per_hour of $10; ' +
        're-enable it with PATCH /api/v1/keys/abc123 {"disabled": false}.',
    );
    expect(webhookPayload(runaway).alert).toMatchObject({ kind: 'runaway_stop', key_hash: 'abc123', key_name: 'agent-7' });
    expect(alertSummary({ ...runaway, key_name: null })).toContain('key "abc123"');
    expect(webhookPayload({ ...runaway, kind: 'key_limit', threshold: '50', value: '50.25' }).text).toBe(
      'Switchyard: account "Acme" key "agent-7" reached its limit of $50 ($50.25 used in its current window): it is refused until the window resets or the limit is raised (PATCH /api/v1/keys/abc123).',
    );
  });
});

describe('webhookSignature', () => {
  it('is t=<seconds>,v1=<HMAC-SHA256 of "t.body"> a receiver can recompute, and changes with the body, the time or the secret', () => {
    const body = JSON.stringify(webhookPayload(base));
    const signature = webhookSignature('a-shared-secret-of-16+', 1_764_061_200, body);
    const [t, v1] = signature.split(',').map((part) => part.split('=')[1]);
    expect(t).toBe('1764061200');
    expect(v1).toBe(createHmac('sha256', 'a-shared-secret-of-16+').update(`${t}.${body}`).digest('hex'));
    expect(webhookSignature('a-shared-secret-of-16+', 1_764_061_200, `${body} `)).not.toBe(signature);
    expect(webhookSignature('a-shared-secret-of-16+', 1_764_061_201, body)).not.toBe(signature);
    expect(webhookSignature('another-secret-of-16+', 1_764_061_200, body)).not.toBe(signature);
  });
});

describe('attemptOutcome and retryDelayMs', () => {
  it('delivers on 2xx, retries what may pass later (no answer, 408, 425, 429, 5xx), fails what will not (other 4xx, 3xx)', () => {
    expect([200, 202, 204].map(attemptOutcome)).toEqual(['delivered', 'delivered', 'delivered']);
    expect([undefined, 408, 425, 429, 500, 502, 503].map(attemptOutcome)).toEqual(Array(7).fill('retry'));
    expect([301, 400, 401, 403, 404, 410].map(attemptOutcome)).toEqual(Array(6).fill('failed'));
  });

  it('doubles the wait after each failed attempt, capped at ten minutes', () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(attempt, 2_000))).toEqual([2_000, 4_000, 8_000, 16_000]);
    expect(retryDelayMs(20, 2_000)).toBe(600_000);
  });
});
