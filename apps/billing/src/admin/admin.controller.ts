import { Body, Controller, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AdminOnly } from '@switchyard/nest-kit';
import { formatMoney } from '@switchyard/money';
import { accountCreateBodySchema, accountPatchBodySchema } from '../accounts/account.schema.js';
import { AccountsService } from '../accounts/accounts.service.js';
import { adminAlertView, SpendAlertsRepository } from '../alerts/spend-alerts.repository.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { parseOrBadRequest } from '../common/validation.js';
import { BILLING_CONFIG, type BillingConfig } from '../config/billing.config.js';
import { FreeQuotaService } from '../free-quota/free-quota.service.js';
import { adminKeyCreateBodySchema } from '../keys/key-body.schema.js';
import { KeysService } from '../keys/keys.service.js';
import { isLeaseActive, leaseOutstanding } from '../leases/lease-math.js';
import { LeasesRepository } from '../leases/leases.repository.js';
import { CreditsService } from '../ledger/credits.service.js';
import type { LedgerRow, LotRow } from '../ledger/ledger.repository.js';
import { MaintenanceService } from '../maintenance/maintenance.service.js';
import type { DataSource } from 'typeorm';
import { type AccountRow, RecordsRepository } from '../records/records.repository.js';
import { accountIdSchema, adjustmentBodySchema, ledgerQuerySchema, listQuerySchema, refundBodySchema, topUpBodySchema } from './admin.schema.js';

function lotView(lot: LotRow) {
  return {
    id: lot.id,
    method: lot.method,
    amount: formatMoney(lot.amount),
    fee: formatMoney(lot.fee),
    remaining: formatMoney(lot.remaining),
    refunded: formatMoney(lot.refunded),
    expired: formatMoney(lot.expired),
    purchasedAt: lot.purchased_at.toISOString(),
    expiresAt: lot.expires_at?.toISOString() ?? null,
    refundableUntil: lot.refundable_until?.toISOString() ?? null,
  };
}

function entryView(entry: LedgerRow) {
  return {
    id: entry.id,
    kind: entry.kind,
    amount: formatMoney(entry.amount),
    idempotencyKey: entry.idempotency_key,
    lotId: entry.lot_id,
    keyId: entry.key_id,
    leaseId: entry.lease_id,
    generationId: entry.generation_id,
    byokUsage: entry.byok_usage === null ? null : formatMoney(entry.byok_usage),
    reason: entry.reason,
    occurredAt: entry.occurred_at.toISOString(),
    createdAt: entry.created_at.toISOString(),
  };
}

/** The billing admin API (Bearer ADMIN_TOKEN): accounts, credits, refunds, adjustments, keys, ledger, expiry. */
@Controller('admin')
@AdminOnly()
export class AdminController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly accounts: AccountsService,
    private readonly credits: CreditsService,
    private readonly keys: KeysService,
    private readonly leases: LeasesRepository,
    private readonly records: RecordsRepository,
    private readonly freeQuota: FreeQuotaService,
    private readonly maintenance: MaintenanceService,
    private readonly alerts: SpendAlertsRepository,
    @Inject(BILLING_CONFIG) private readonly config: BillingConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post('accounts')
  @HttpCode(201)
  async createAccount(@Body() body: unknown) {
    const account = await this.accounts.create(parseOrBadRequest(accountCreateBodySchema, body ?? {}, 'account'));
    return this.accountView(account);
  }

  @Get('accounts')
  async listAccounts(@Query() query: unknown) {
    const { limit, offset } = parseOrBadRequest(listQuerySchema, query ?? {}, 'query');
    const rows = await this.accounts.list(limit, offset);
    return { data: rows.map((row) => ({ id: row.id, name: row.name, disabled: row.disabled, balance: formatMoney(row.balance), createdAt: row.created_at.toISOString() })) };
  }

  @Get('accounts/:id')
  async getAccount(@Param('id') id: string) {
    return this.accountView(await this.accounts.row(parseOrBadRequest(accountIdSchema, id, 'account id')), { details: true });
  }

  @Patch('accounts/:id')
  async patchAccount(@Param('id') id: string, @Body() body: unknown) {
    const patch = parseOrBadRequest(accountPatchBodySchema, body ?? {}, 'account update');
    return this.accountView(await this.accounts.update(parseOrBadRequest(accountIdSchema, id, 'account id'), patch));
  }

  @Post('accounts/:id/top-ups')
  @HttpCode(201)
  async topUp(@Param('id') id: string, @Body() body: unknown) {
    const input = parseOrBadRequest(topUpBodySchema, body ?? {}, 'top-up');
    const result = await this.credits.topUp(parseOrBadRequest(accountIdSchema, id, 'account id'), input);
    return { lot: lotView(result.lot), fee: result.fee, totalCharged: result.totalCharged, balance: result.balance, replayed: result.replayed };
  }

  @Post('accounts/:id/refunds')
  @HttpCode(201)
  async refund(@Param('id') id: string, @Body() body: unknown) {
    const { purchaseId } = parseOrBadRequest(refundBodySchema, body ?? {}, 'refund');
    return this.credits.refund(parseOrBadRequest(accountIdSchema, id, 'account id'), purchaseId);
  }

  @Post('accounts/:id/adjustments')
  @HttpCode(201)
  async adjust(@Param('id') id: string, @Body() body: unknown) {
    const { amount, reason } = parseOrBadRequest(adjustmentBodySchema, body ?? {}, 'adjustment');
    return this.credits.adjust(parseOrBadRequest(accountIdSchema, id, 'account id'), amount, reason);
  }

  @Post('accounts/:id/keys')
  @HttpCode(201)
  async createKey(@Param('id') id: string, @Body() body: unknown) {
    const input = parseOrBadRequest(adminKeyCreateBodySchema, body ?? {}, 'key');
    return this.keys.create(parseOrBadRequest(accountIdSchema, id, 'account id'), input);
  }

  @Get('accounts/:id/keys')
  async listKeys(@Param('id') id: string) {
    const account = await this.accounts.row(parseOrBadRequest(accountIdSchema, id, 'account id'));
    return { data: await this.keys.accountKeys(account.id) };
  }

  /** The account's spend alerts, newest first (the last 100), with the state of each one's webhook delivery. */
  @Get('accounts/:id/alerts')
  async listAlerts(@Param('id') id: string) {
    const account = await this.accounts.row(parseOrBadRequest(accountIdSchema, id, 'account id'));
    const rows = await this.alerts.forAccount(this.dataSource, account.id, 100);
    return { data: rows.map(adminAlertView) };
  }

  @Get('accounts/:id/ledger')
  async ledger(@Param('id') id: string, @Query() query: unknown) {
    const { limit, before } = parseOrBadRequest(ledgerQuerySchema, query ?? {}, 'query');
    const account = await this.accounts.row(parseOrBadRequest(accountIdSchema, id, 'account id'));
    const entries = await this.credits.entries(account.id, limit, before);
    return { data: entries.map(entryView), next: entries.length === limit ? entries[entries.length - 1]!.id : null };
  }

  @Post('expire')
  @HttpCode(200)
  async expire() {
    return this.maintenance.sweep();
  }

  private async accountView(row: AccountRow, options: { details?: boolean } = {}) {
    const record = this.records.toAccountRecord(row);
    const view = {
      id: row.id,
      name: row.name,
      disabled: row.disabled,
      createdAt: row.created_at.toISOString(),
      overdraft: record.overdraft,
      privacy: record.privacy,
      allowedProviders: record.allowedProviders,
      ignoredProviders: record.ignoredProviders,
      byokProviders: record.byokProviders,
      balance: record.balance,
      totalCredits: formatMoney(row.total_credits),
      totalUsage: formatMoney(row.total_usage),
      totalPurchased: record.totalPurchased,
      debt: formatMoney(row.debt),
      isFreeTier: record.totalPurchased === '0',
      alerts: {
        balanceBelow: row.alert_balance_below === null ? null : formatMoney(row.alert_balance_below),
        dailySpendAbove: row.alert_daily_spend_above === null ? null : formatMoney(row.alert_daily_spend_above),
      },
      byok: {
        usageMonthly: record.byokUsageMonthly,
        requestsMonthly: record.byokRequestsMonthly,
        feeWaived: record.byokFeeWaived,
        allowanceUsd: this.config.BYOK_MONTHLY_ALLOWANCE_REQUESTS === undefined ? this.config.BYOK_MONTHLY_ALLOWANCE_USD : null,
        allowanceRequests: this.config.BYOK_MONTHLY_ALLOWANCE_REQUESTS ?? null,
      },
    };
    if (!options.details) return view;
    const now = this.clock.now();
    const [lots, leases] = await Promise.all([this.credits.lots(row.id), this.leases.forAccount(this.dataSource, row.id)]);
    return {
      ...view,
      freeQuota: { usedToday: this.freeQuota.usedToday(row.id), usedThisMinute: this.freeQuota.usedThisMinute(row.id) },
      lots: lots.map(lotView),
      leases: leases.map((lease) => ({
        replicaId: lease.replicaId,
        keyId: lease.keyId,
        leaseId: lease.leaseId,
        granted: formatMoney(lease.granted),
        debited: formatMoney(lease.debited),
        outstanding: formatMoney(leaseOutstanding(lease)),
        expiresAt: new Date(lease.expiresAt).toISOString(),
        active: isLeaseActive(lease, now),
      })),
    };
  }
}
