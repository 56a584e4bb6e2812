import { Inject, Injectable, Logger } from '@nestjs/common';
import { type ParsedGenerationCompleted, subjects } from '@switchyard/contracts';
import { MetricsService, NatsService } from '@switchyard/nest-kit';
import { Decimal, formatMoney, toDecimal } from '@switchyard/money';
import { SpendAlertAnnouncer } from '../alerts/spend-alert-announcer.js';
import { type NewSpendAlert, type SpendAlertRow, SpendAlertsRepository } from '../alerts/spend-alerts.repository.js';
import { AccountsRepository } from '../accounts/accounts.repository.js';
import { CLOCK, type Clock } from '../common/clock.js';
import type { Sql } from '../common/sql.js';
import { KeysRepository } from '../keys/keys.repository.js';
import { LeasesRepository } from '../leases/leases.repository.js';
import { LedgerRepository, type NewLedgerEntry } from '../ledger/ledger.repository.js';
import { consumeLots } from '../ledger/lots.js';
import { isoDay, utcDayStart, utcMonthStart, utcWeekStart } from '../common/time.js';
import { reachedLimit, windowsOfBatch } from '../keys/key-limits.js';
import { reachedUserLimit, userSpendOfBatch, userWindowEnd } from '../keys/user-limits.js';
import { type ChangeSet, ChangeFeed } from '../records/change-feed.service.js';
import { RecordsRepository } from '../records/records.repository.js';
import { type DebitEvent, type DebitPlan, isBillable, occurredAt, planDebits } from './debit-plan.js';

/** A key the runaway stop disabled, with what it spent in the trailing hour. */
type RunawayKey = Awaited<ReturnType<KeysRepository['overHourlySpend']>>[number];

export interface DebitOutcome {
  /** Events debited now (new ledger entries). */
  debited: number;
  /** Events already debited before (redeliveries): nothing changed. */
  duplicates: number;
  /** Zero-cost, non-BYOK events: nothing to record. */
  skipped: number;
  /** Events of accounts billing does not know: dropped (logged). */
  unknownAccount: number;
}

/**
 * Debits generation costs: each generation exactly once (the ledger's unique idempotency key is the generation id),
 * exactly the event's `cost`. One transaction per batch: ledger entries, balances (lots consumed oldest first, the
 * rest as debt), per-key day usage and totals, monthly BYOK usage, lease accounting; then `keys-changed` with the
 * new balances and the new `limitRemaining` of limited keys. Keys with a `max_spend_per_hour` that the batch took
 * past it in the trailing hour are disabled in the same transaction (the runaway stop).
 */
@Injectable()
export class DebitsService {
  private readonly logger = new Logger('Debits');
  private readonly debitedCounter;
  private readonly runawayStops;
  private readonly userLimitsReached;

  constructor(
    private readonly feed: ChangeFeed,
    private readonly accounts: AccountsRepository,
    private readonly ledger: LedgerRepository,
    private readonly keys: KeysRepository,
    private readonly leases: LeasesRepository,
    private readonly alerts: SpendAlertsRepository,
    private readonly announcer: SpendAlertAnnouncer,
    private readonly records: RecordsRepository,
    private readonly nats: NatsService,
    @Inject(CLOCK) private readonly clock: Clock,
    metrics: MetricsService,
  ) {
    this.debitedCounter = metrics.counter({ name: 'switchyard_billing_generations_total', help: 'Generation events handled by billing', labelNames: ['outcome'] });
    this.userLimitsReached = metrics.counter({ name: 'switchyard_billing_user_limits_reached_total', help: 'Keys one of whose end users a debit batch took to the key\'s user_limit (announced to ingress)' });
    this.runawayStops = metrics.counter({ name: 'switchyard_billing_runaway_stops_total', help: 'Keys disabled by the runaway stop (more than max_spend_per_hour in the trailing hour)' });
  }

  async debit(events: readonly (ParsedGenerationCompleted | DebitEvent)[]): Promise<DebitOutcome> {
    const unique = new Map<string, DebitEvent>();
    for (const event of events) if (!unique.has(event.id)) unique.set(event.id, event);
    const billable = [...unique.values()].filter(isBillable);
    const outcome: DebitOutcome = { debited: 0, duplicates: events.length - unique.size, skipped: unique.size - billable.length, unknownAccount: 0 };
    if (billable.length > 0) {
      const stopped: RunawayKey[] = [];
      const raised: SpendAlertRow[] = [];
      const usersAtLimit: string[] = [];
      const result = await this.feed.transact(async (manager, changes) => {
        stopped.length = 0; // a retried transaction starts over
        raised.length = 0;
        usersAtLimit.length = 0;
        const now = this.clock.now();
        const at = new Date(now);
        const accountIds = [...new Set(billable.map((event) => event.accountId))].sort();
        const balances = new Map((await this.accounts.lockBalances(manager, accountIds)).map((balance) => [balance.account_id, balance]));
        const known = billable.filter((event) => balances.has(event.accountId));
        const entries: NewLedgerEntry[] = known.map((event) => ({
          accountId: event.accountId,
          kind: event.isByok ? 'byok_fee' : 'usage',
          amount: formatMoney(toDecimal(event.cost).negated()),
          idempotencyKey: event.id,
          keyId: event.keyId,
          leaseId: event.leaseId,
          generationId: event.id,
          byokUsage: event.isByok ? formatMoney(event.upstreamCost) : null,
          occurredAt: new Date(occurredAt(event, now)),
        }));
        const inserted = await this.ledger.insertEntries(manager, entries, at);
        const fresh = known.filter((event) => inserted.has(event.id));
        const counts = { debited: fresh.length, duplicates: known.length - fresh.length, unknownAccount: billable.length - known.length };
        if (fresh.length === 0) return counts;

        const plan = planDebits(fresh, now);
        const charged = [...plan.accountTotals].filter(([, total]) => toDecimal(total).gt(0));
        const lots = await this.ledger.openLots(manager, charged.map(([accountId]) => accountId));
        for (const [accountId, total] of charged) {
          const consumption = consumeLots(lots.get(accountId) ?? [], total);
          await this.ledger.setRemaining(manager, consumption.changes);
          const debt = formatMoney(toDecimal(balances.get(accountId)!.debt).plus(consumption.uncovered));
          await this.accounts.applyBalance(manager, accountId, { usage: total, debt }, at);
        }
        await this.keys.addDailyUsage(manager, plan.keyDays);
        await this.keys.addTotals(manager, plan.keyTotals);
        await this.accounts.addByokMonthly(manager, plan.byokMonths);
        await this.leases.applyDebits(manager, plan.leaseDebits);
        for (const accountId of plan.accountTotals.keys()) changes.account(accountId);
        for (const total of plan.keyTotals) changes.keyUsage(total.keyId);
        stopped.push(...(await this.stopRunaways(manager, changes, plan.keyTotals.map((total) => total.keyId), at)));
        // A runaway stop is an alert too, and so is a key reaching its limit: the account holder and the operator's
        // webhook hear of them.
        const runawayAlerts: NewSpendAlert[] = stopped.map((key) => ({ accountId: key.account_id, kind: 'runaway_stop', threshold: key.max_spend_per_hour, value: key.spent, day: null, keyHash: key.hash, keyName: key.name }));
        const keyAlerts = [...runawayAlerts, ...(await this.keysAtLimit(manager, plan, now))];
        raised.push(...(await this.alerts.insert(manager, [...keyAlerts, ...(await this.crossedThresholds(manager, fresh, balances, plan.accountTotals, now))], at)));
        usersAtLimit.push(...(await this.addUserSpend(manager, fresh, now)));
        return counts;
      });
      outcome.debited = result.debited;
      outcome.duplicates += result.duplicates;
      outcome.unknownAccount = result.unknownAccount;
      if (result.unknownAccount > 0) this.logger.warn(`dropped ${result.unknownAccount} generation(s) of unknown accounts`);
      for (const alert of raised) this.announcer.announce(alert);
      // Ingress replicas fetch the key's blocked end users again and refuse them until the window ends.
      for (const keyHash of usersAtLimit) this.nats.publish(subjects.billing.userLimitsChanged, { keyHash });
      if (usersAtLimit.length > 0) this.userLimitsReached.inc(usersAtLimit.length);
      for (const key of stopped) {
        this.runawayStops.inc();
        this.logger.warn(`runaway stop: disabled key ${key.id} of account ${key.account_id}: $${formatMoney(key.spent)} in the last hour, above its max_spend_per_hour of $${formatMoney(key.max_spend_per_hour)}`);
      }
    }
    this.debitedCounter.inc({ outcome: 'debited' }, outcome.debited);
    this.debitedCounter.inc({ outcome: 'duplicate' }, outcome.duplicates);
    this.debitedCounter.inc({ outcome: 'skipped' }, outcome.skipped);
    this.debitedCounter.inc({ outcome: 'unknown_account' }, outcome.unknownAccount);
    return outcome;
  }

  /**
   * Per-end-user budgets: adds what each named end user (`user`) spent through a key with a `user_limit` in the
   * window of its generation; returns the hashes of keys one of whose users the batch took to the limit in a window
   * still running (announced after commit).
   */
  private async addUserSpend(manager: Sql, events: readonly DebitEvent[], now: number): Promise<string[]> {
    const named = events.filter((event) => event.externalUser);
    if (named.length === 0) return [];
    const keys = new Map((await this.keys.userLimited(manager, [...new Set(named.map((event) => event.keyId))])).map((key) => [key.id, key]));
    if (keys.size === 0) return [];
    const added = userSpendOfBatch(named.map((event) => ({ keyId: event.keyId, externalUser: event.externalUser, cost: event.cost, at: occurredAt(event, now) })), keys);
    const addedOf = new Map(added.map((entry) => [JSON.stringify([entry.keyId, entry.user, entry.windowStart]), entry.spend]));
    const reached = new Set<string>();
    for (const total of await this.keys.addUserSpend(manager, added, new Date(now))) {
      const key = keys.get(total.keyId)!;
      const end = userWindowEnd(key.user_limit_reset, total.windowStart);
      const spent = addedOf.get(JSON.stringify([total.keyId, total.user, total.windowStart])) ?? '0';
      if ((end === null || end > now) && reachedUserLimit(total.spend, spent, key.user_limit)) reached.add(key.hash);
    }
    return [...reached];
  }

  /**
   * Keys the batch took to their limit in the current window (below it before, at or past it after): a `key_limit`
   * alert each. Once per window: later batches find the key past it already.
   */
  private async keysAtLimit(manager: Sql, plan: DebitPlan, now: number): Promise<NewSpendAlert[]> {
    const limited = (await this.records.keyRows(manager, { ids: plan.keyTotals.map((total) => total.keyId) })).filter((row) => row.limit !== null);
    if (limited.length === 0) return [];
    const after = await this.records.windows(manager, limited, now);
    const starts = { day: isoDay(utcDayStart(now)), week: isoDay(utcWeekStart(now)), month: isoDay(utcMonthStart(now)) };
    const alerts: NewSpendAlert[] = [];
    for (const row of limited) {
      const total = plan.keyTotals.find((entry) => entry.keyId === row.id)!;
      const batch = windowsOfBatch(plan.keyDays.filter((entry) => entry.keyId === row.id), total, starts);
      const reached = reachedLimit({ limit: row.limit, limitReset: row.limit_reset, includeByokInLimit: row.include_byok_in_limit }, after.get(row.id)!, batch);
      if (reached) alerts.push({ accountId: row.account_id, kind: 'key_limit', threshold: formatMoney(row.limit!), value: reached.used, day: null, keyHash: row.hash, keyName: row.name });
    }
    return alerts;
  }

  /**
   * The runaway stop, in the debit's transaction: each key the batch charged that spent more than its
   * max_spend_per_hour in the trailing hour is disabled with the reason, and keys-changed tells every ingress at once.
   */
  private async stopRunaways(manager: Sql, changes: ChangeSet, keyIds: readonly string[], at: Date): Promise<RunawayKey[]> {
    const runaways = await this.keys.overHourlySpend(manager, keyIds, at);
    for (const runaway of runaways) {
      const reason = `runaway stop: it spent $${formatMoney(runaway.spent)} in the last hour, more than its max_spend_per_hour of $${formatMoney(runaway.max_spend_per_hour)}; re-enable it (PATCH /api/v1/keys/{hash} {"disabled": false}) after raising the limit or once the hour has passed`;
      await this.keys.stop(manager, runaway.id, reason, at);
      changes.key(runaway.id);
    }
    return runaways;
  }

  /**
   * Spend alerts a batch raises: an account whose balance crossed below its `alert_balance_below`, or whose spend of
   * today (UTC; its keys' day rows, this batch included) crossed above its `alert_daily_spend_above`.
   */
  private async crossedThresholds(
    manager: Sql,
    fresh: readonly DebitEvent[],
    balances: ReadonlyMap<string, { balance: string; alert_balance_below: string | null; alert_daily_spend_above: string | null }>,
    totals: ReadonlyMap<string, string>,
    now: number,
  ): Promise<NewSpendAlert[]> {
    const alerts: NewSpendAlert[] = [];
    const today = new Date(now).toISOString().slice(0, 10);
    const daily: string[] = [];
    for (const [accountId, total] of totals) {
      const balance = balances.get(accountId);
      if (!balance) continue;
      if (balance.alert_balance_below !== null) {
        const threshold = toDecimal(balance.alert_balance_below);
        const after = toDecimal(balance.balance).minus(toDecimal(total));
        if (toDecimal(balance.balance).gte(threshold) && after.lt(threshold)) alerts.push({ accountId, kind: 'low_balance', threshold: formatMoney(threshold), value: formatMoney(after), day: null });
      }
      if (balance.alert_daily_spend_above !== null) daily.push(accountId);
    }
    if (daily.length > 0) {
      const spent = await this.alerts.daySpend(manager, daily, today);
      const batchToday = new Map<string, Decimal>();
      for (const event of fresh) {
        if (new Date(occurredAt(event, now)).toISOString().slice(0, 10) === today) batchToday.set(event.accountId, (batchToday.get(event.accountId) ?? new Decimal(0)).plus(toDecimal(event.cost)));
      }
      for (const accountId of daily) {
        const threshold = toDecimal(balances.get(accountId)!.alert_daily_spend_above!);
        const after = toDecimal(spent.get(accountId) ?? '0');
        const before = after.minus(batchToday.get(accountId) ?? 0);
        if (before.lte(threshold) && after.gt(threshold)) alerts.push({ accountId, kind: 'daily_spend', threshold: formatMoney(threshold), value: formatMoney(after), day: today });
      }
    }
    return alerts;
  }

}
