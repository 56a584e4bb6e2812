import type { ParsedGenerationCompleted } from '@switchyard/contracts';
import { Decimal, formatMoney, toDecimal } from '@switchyard/money';
import { isoDay, utcMonthStart } from '../common/time.js';

/** What billing keeps of a generation-completed event. */
export type DebitEvent = Pick<ParsedGenerationCompleted, 'id' | 'accountId' | 'keyId' | 'leaseId' | 'isByok' | 'cost' | 'upstreamCost' | 'createdAt'> & Partial<Pick<ParsedGenerationCompleted, 'externalUser'>>;

/**
 * Whether an event changes anything in billing: a cost to debit, or BYOK usage to count (a BYOK generation inside
 * the free allowance costs 0 but still counts towards the key's byok_usage and the account's monthly allowance).
 * A zero-cost, non-BYOK generation (insured empty response, free model) records nothing.
 */
export function isBillable(event: DebitEvent): boolean {
  return toDecimal(event.cost).gt(0) || (event.isByok && toDecimal(event.upstreamCost).gt(0));
}

/** When the generation happened (its usage counts in that UTC day's window); `fallback` for an unparsable time. */
export function occurredAt(event: DebitEvent, fallback: number): number {
  const parsed = Date.parse(event.createdAt);
  return Number.isNaN(parsed) ? fallback : parsed;
}

export interface DebitPlan {
  /** Total to debit per account. */
  accountTotals: Map<string, string>;
  keyDays: Array<{ keyId: string; day: string; usage: string; byokUsage: string; requests: number }>;
  keyTotals: Array<{ keyId: string; usage: string; byokUsage: string }>;
  byokMonths: Array<{ accountId: string; month: string; usage: string; requests: number }>;
  leaseDebits: Array<{ leaseId: string; keyId: string | null; amount: string }>;
}

function add(map: Map<string, Decimal>, key: string, amount: DecimalLike): void {
  map.set(key, (map.get(key) ?? new Decimal(0)).plus(toDecimal(amount)));
}
type DecimalLike = string | Decimal;

/** Groups a batch of new debits into the aggregate updates one transaction applies. */
export function planDebits(events: readonly DebitEvent[], now: number): DebitPlan {
  const accountTotals = new Map<string, Decimal>();
  const dayUsage = new Map<string, Decimal>();
  const dayByok = new Map<string, Decimal>();
  const dayRequests = new Map<string, number>();
  const keyUsage = new Map<string, Decimal>();
  const keyByok = new Map<string, Decimal>();
  const monthUsage = new Map<string, Decimal>();
  const monthRequests = new Map<string, number>();
  const leaseAmounts = new Map<string, Decimal>();
  for (const event of events) {
    const at = occurredAt(event, now);
    const byok = event.isByok ? toDecimal(event.upstreamCost) : new Decimal(0);
    add(accountTotals, event.accountId, event.cost);
    const dayKey = `${event.keyId}\u0000${isoDay(at)}`;
    add(dayUsage, dayKey, event.cost);
    add(dayByok, dayKey, byok);
    dayRequests.set(dayKey, (dayRequests.get(dayKey) ?? 0) + 1);
    add(keyUsage, event.keyId, event.cost);
    add(keyByok, event.keyId, byok);
    if (event.isByok) {
      const monthKey = `${event.accountId}\u0000${isoDay(utcMonthStart(at))}`;
      add(monthUsage, monthKey, byok);
      monthRequests.set(monthKey, (monthRequests.get(monthKey) ?? 0) + 1);
    }
    if (event.leaseId && toDecimal(event.cost).gt(0)) add(leaseAmounts, `${event.leaseId}\u0000${event.keyId}`, event.cost);
  }
  const split = (key: string) => key.split('\u0000') as [string, string];
  return {
    accountTotals: new Map([...accountTotals].map(([id, total]) => [id, formatMoney(total)])),
    keyDays: [...dayUsage].map(([key, usage]) => {
      const [keyId, day] = split(key);
      return { keyId, day, usage: formatMoney(usage), byokUsage: formatMoney(dayByok.get(key)!), requests: dayRequests.get(key)! };
    }),
    keyTotals: [...keyUsage].map(([keyId, usage]) => ({ keyId, usage: formatMoney(usage), byokUsage: formatMoney(keyByok.get(keyId)!) })),
    byokMonths: [...monthUsage].map(([key, usage]) => {
      const [accountId, month] = split(key);
      return { accountId, month, usage: formatMoney(usage), requests: monthRequests.get(key)! };
    }),
    leaseDebits: [...leaseAmounts].map(([key, amount]) => {
      const [leaseId, keyId] = split(key);
      return { leaseId, keyId, amount: formatMoney(amount) };
    }),
  };
}
