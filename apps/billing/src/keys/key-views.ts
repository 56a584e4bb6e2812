import type { Guardrails, KeyInfo } from '@switchyard/contracts';
import { moneyToNumber } from '@switchyard/money';
import type { KeyRow } from '../records/records.repository.js';
import { type UsageWindows, limitRemaining } from './key-limits.js';

/**
 * OpenRouter's key object (`/api/v1/keys`), amounts as JSON numbers computed from exact decimals, plus Switchyard's
 * runaway stop (`max_spend_per_hour`, and `disabled_reason` when billing stopped the key).
 */
export interface KeyObject {
  hash: string;
  name: string;
  label: string;
  disabled: boolean;
  limit: number | null;
  limit_remaining: number | null;
  limit_reset: KeyRow['limit_reset'];
  include_byok_in_limit: boolean;
  usage: number;
  usage_daily: number;
  usage_weekly: number;
  usage_monthly: number;
  byok_usage: number;
  byok_usage_daily: number;
  byok_usage_weekly: number;
  byok_usage_monthly: number;
  created_at: string;
  updated_at: string | null;
  expires_at: string | null;
  creator_user_id: string | null;
  max_spend_per_hour: number | null;
  /** The models the key may use (patterns); null = every model. */
  allowed_models: string[] | null;
  /** The key's own guardrails, applied with the account's; null = none. */
  guardrails: Guardrails | null;
  disabled_reason: string | null;
  /** Per-end-user budget (Switchyard's): what each `user` may spend through the key per window; null = none. */
  user_limit: number | null;
  user_limit_reset: KeyRow['user_limit_reset'];
}

export function usageNumbers(windows: UsageWindows) {
  return {
    usage: moneyToNumber(windows.usage),
    usage_daily: moneyToNumber(windows.usageDaily),
    usage_weekly: moneyToNumber(windows.usageWeekly),
    usage_monthly: moneyToNumber(windows.usageMonthly),
    byok_usage: moneyToNumber(windows.byokUsage),
    byok_usage_daily: moneyToNumber(windows.byokUsageDaily),
    byok_usage_weekly: moneyToNumber(windows.byokUsageWeekly),
    byok_usage_monthly: moneyToNumber(windows.byokUsageMonthly),
  };
}

function remainingNumber(row: KeyRow, windows: UsageWindows): number | null {
  const remaining = limitRemaining({ limit: row.limit, limitReset: row.limit_reset, includeByokInLimit: row.include_byok_in_limit }, windows);
  return remaining === null ? null : moneyToNumber(remaining);
}

function userLimitFields(row: KeyRow): Pick<KeyObject, 'user_limit' | 'user_limit_reset'> {
  return { user_limit: row.user_limit === null ? null : moneyToNumber(row.user_limit), user_limit_reset: row.user_limit_reset };
}

export function toKeyObject(row: KeyRow, windows: UsageWindows): KeyObject {
  return {
    hash: row.hash,
    name: row.name,
    label: row.label,
    disabled: row.disabled,
    limit: row.limit === null ? null : moneyToNumber(row.limit),
    limit_remaining: remainingNumber(row, windows),
    limit_reset: row.limit_reset,
    include_byok_in_limit: row.include_byok_in_limit,
    ...usageNumbers(windows),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    expires_at: row.expires_at?.toISOString() ?? null,
    creator_user_id: row.creator_user_id,
    max_spend_per_hour: row.max_spend_per_hour === null ? null : moneyToNumber(row.max_spend_per_hour),
    allowed_models: row.allowed_models,
    guardrails: row.guardrails,
    disabled_reason: row.disabled ? row.disabled_reason : null,
    ...userLimitFields(row),
  };
}

/** Beyond the contract: the account's BYOK month, so ingress (and users) see the fee allowance. */
export interface KeyInfoExtras {
  account_byok_usage_monthly: number;
  account_byok_requests_monthly: number;
  byok_fee_waived: boolean;
}

export function toKeyInfo(row: KeyRow, windows: UsageWindows, account: { totalPurchased: string; byokUsageMonthly: string; byokRequestsMonthly: number; byokFeeWaived: boolean }): KeyInfo & KeyInfoExtras {
  const management = row.kind === 'management';
  return {
    label: row.label,
    name: row.name,
    limit: row.limit === null ? null : moneyToNumber(row.limit),
    limit_remaining: remainingNumber(row, windows),
    limit_reset: row.limit_reset,
    include_byok_in_limit: row.include_byok_in_limit,
    ...usageNumbers(windows),
    is_free_tier: moneyToNumber(account.totalPurchased) === 0,
    is_management_key: management,
    is_provisioning_key: management,
    creator_user_id: row.creator_user_id,
    expires_at: row.expires_at?.toISOString() ?? null,
    rate_limit: { requests: -1, interval: '10s', note: 'This field is deprecated and safe to ignore.' },
    max_spend_per_hour: row.max_spend_per_hour === null ? null : moneyToNumber(row.max_spend_per_hour),
    allowed_models: row.allowed_models,
    ...userLimitFields(row),
    account_byok_usage_monthly: moneyToNumber(account.byokUsageMonthly),
    account_byok_requests_monthly: account.byokRequestsMonthly,
    byok_fee_waived: account.byokFeeWaived,
  };
}
