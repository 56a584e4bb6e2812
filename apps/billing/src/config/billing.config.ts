import { baseConfigSchema, envPort } from '@switchyard/nest-kit';
import { z } from 'zod';

/** A non-negative plain decimal ("0.055", "25000"): money and rates from the environment, never floats. */
const envDecimal = (fallback: string) =>
  z
    .string()
    .trim()
    .default(fallback)
    .refine((value) => /^\d+(\.\d+)?$/.test(value), { message: 'expected a non-negative plain decimal such as "0.055"' });

const envInt = (fallback: number, minimum = 0) => z.coerce.number().int().min(minimum).default(fallback);

export const billingConfigSchema = baseConfigSchema.extend({
  PORT: envPort.default(9084),
  DB_SCHEMA: z.string().default('billing'),
  DB_POOL_SIZE: envInt(10, 1),

  /** Top-up fees, charged on top of the credits bought (OpenRouter: card 5.5 % with $0.80 minimum, crypto 5 %). */
  CARD_FEE_RATE: envDecimal('0.055'),
  CARD_FEE_MINIMUM: envDecimal('0.80'),
  CRYPTO_FEE_RATE: envDecimal('0.05'),
  CRYPTO_FEE_MINIMUM: envDecimal('0'),
  /** Largest single top-up, USD (a guard against typos in admin calls). */
  MAX_TOP_UP_USD: envDecimal('1000000'),

  /** Credits expire this many calendar months after purchase (OpenRouter: one year). */
  CREDIT_EXPIRY_MONTHS: envInt(12, 1),
  /** Unused credits of a card purchase are refundable this long after it, hours. */
  REFUND_WINDOW_HOURS: envInt(24),
  /** How often the credit-expiry sweep runs, ms (it is also `POST /admin/expire`). */
  EXPIRY_SWEEP_INTERVAL_MS: envInt(3_600_000, 1_000),

  /** A credit lease that is not renewed stops counting after this long, ms. */
  LEASE_TTL_MS: envInt(300_000, 1_000),

  /** `:free` model quotas (OpenRouter: 20/min; 50/day, or 1000/day once $10 was bought). */
  FREE_REQUESTS_PER_MINUTE: envInt(20, 1),
  FREE_REQUESTS_PER_DAY: envInt(50, 1),
  FREE_REQUESTS_PER_DAY_PAID: envInt(1000, 1),
  FREE_PAID_THRESHOLD_USD: envDecimal('10'),
  /** How often the daily free-quota counters are persisted, ms. */
  FREE_QUOTA_FLUSH_MS: envInt(1_000, 50),

  /** BYOK: list-price usage per month (USD) without the 5 % fee. */
  BYOK_MONTHLY_ALLOWANCE_USD: envDecimal('25000'),
  /** BYOK: when set, the allowance counts requests per month instead of USD (OpenRouter's older rule: 1,000,000). */
  BYOK_MONTHLY_ALLOWANCE_REQUESTS: z.coerce.number().int().positive().optional(),

  /** Generation events debited per database transaction. */
  DEBIT_BATCH_SIZE: envInt(200, 1),
  /** JetStream redelivers a debit batch not acked within this time (e.g. billing was killed mid-batch); set when the durable consumer is created. */
  DEBIT_ACK_WAIT_MS: envInt(30_000, 1_000),
  /** How often key expiries and limit-window rollovers are checked (and announced), ms. */
  MAINTENANCE_INTERVAL_MS: envInt(1_000, 50),
  /** How long `keys-changed` waits for a missing earlier version before publishing out of order, ms. */
  KEYS_CHANGED_GAP_WAIT_MS: envInt(200, 0),
  /**
   * Largest page of the key snapshot, bytes of JSON (capped below the NATS server's max_payload): a snapshot of many
   * thousands of keys is answered in pages instead of one message the server would refuse.
   */
  KEY_SNAPSHOT_PAGE_BYTES: envInt(512 * 1024, 1_024),

  /**
   * Alert delivery: every spend alert and runaway stop is POSTed to this URL (a Slack-compatible `{text, alert}`
   * JSON; set by the operator, never by an account), retried with backoff until delivered. Unset: alerts are only
   * listed, logged, counted and published on NATS.
   */
  ALERT_WEBHOOK_URL: z
    .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
    .optional()
    .or(z.literal('').transform(() => undefined)),
  /** Signs each delivery (`X-Switchyard-Signature: t=…,v1=<HMAC-SHA256>`) when set. */
  ALERT_WEBHOOK_SECRET: z
    .string()
    .min(16, 'expected 16 characters or more')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  /** One attempt's deadline, ms. */
  ALERT_WEBHOOK_TIMEOUT_MS: envInt(5_000, 100),
  /** Attempts before an alert's delivery is given up (failed); the wait doubles from ALERT_WEBHOOK_RETRY_BASE_MS, at most 10 min. */
  ALERT_WEBHOOK_MAX_ATTEMPTS: envInt(10, 1),
  ALERT_WEBHOOK_RETRY_BASE_MS: envInt(2_000, 10),
  /** How often pending deliveries are looked for, ms (a new alert is sent at once, without waiting for this). */
  ALERT_WEBHOOK_INTERVAL_MS: envInt(5_000, 50),
  /** An alert not delivered within this long is dropped (expired), ms: a webhook switched on late does not replay old alerts. */
  ALERT_WEBHOOK_MAX_AGE_MS: envInt(86_400_000, 1_000),

  /** Demo seeding: a full API key; on start an account "Demo" owning it is ensured (idempotent). */
  SWITCHYARD_DEMO_API_KEY: z.string().trim().min(16).optional(),
  SWITCHYARD_DEMO_CREDIT: envDecimal('10'),
});

export type BillingConfig = z.infer<typeof billingConfigSchema>;

export const BILLING_CONFIG = Symbol('BILLING_CONFIG');
