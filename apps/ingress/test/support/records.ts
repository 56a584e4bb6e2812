import type { AccountRecord, KeyRecord } from '@switchyard/contracts';

/** An account as billing announces it to ingress: $10, no overdraft, default privacy, no provider rules. */
export function accountRecord(overrides: Partial<AccountRecord> = {}): AccountRecord {
  return {
    accountId: 'acct-1',
    name: 'a',
    balance: '10',
    overdraft: '0',
    privacy: { allowTraining: false, allowRetention: true, requireZdr: false, logPrompts: false },
    allowedProviders: null,
    ignoredProviders: [],
    byokProviders: [],
    totalPurchased: '0',
    disabled: false,
    byokFeeWaived: false,
    byokUsageMonthly: '0',
    byokRequestsMonthly: 0,
    guardrails: { detectors: [], keywords: [], action: 'block' },
    ...overrides,
  };
}

/** An enabled inference key of `acct-1` without a limit. */
export function keyRecord(overrides: Partial<KeyRecord> = {}): KeyRecord {
  return { hash: 'hash-1', keyId: 'key-1', accountId: 'acct-1', name: 'k', label: 'sk-…', kind: 'inference', disabled: false, expiresAt: null, limit: null, limitReset: null, includeByokInLimit: false, limitRemaining: null, disabledReason: null, allowedModels: null, guardrails: null, ...overrides };
}
