import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { InjectDataSource } from '@nestjs/typeorm';
import { alertsRequestSchema, subjects } from '@switchyard/contracts';
import { formatMoney } from '@switchyard/money';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { AccountsService } from '../accounts/accounts.service.js';
import { nonNegativeMoneySchema, signedMoneySchema } from '../common/money-input.js';
import { parseOrBadRequest } from '../common/validation.js';
import type { AccountRow } from '../records/records.repository.js';
import { SpendAlertsRepository } from './spend-alerts.repository.js';

/** How many recent alerts `GET /api/v1/alerts` shows. */
export const RECENT_ALERTS = 20;

/** `PATCH /api/v1/alerts`: either threshold (USD; null clears it), OpenRouter's snake_case. */
const alertsBodySchema = z
  .object({
    balance_below: signedMoneySchema.nullable().optional(),
    daily_spend_above: nonNegativeMoneySchema.nullable().optional(),
  })
  .strict();

const threshold = (value: string | null) => (value === null ? null : formatMoney(value));

/**
 * The account holder's spend alerts (`sy.billing.alerts.v1`, from ingress's `GET|PATCH /api/v1/alerts` under a
 * management key): the two thresholds the debits check (`DebitsService`), and the alerts they raised lately. The
 * operator's admin API sets the same thresholds.
 */
@Controller()
export class AlertsHandler {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly accounts: AccountsService,
    private readonly alerts: SpendAlertsRepository,
  ) {}

  @MessagePattern(subjects.billing.alerts)
  async handle(@Payload() payload: unknown): Promise<unknown> {
    const request = parseOrBadRequest(alertsRequestSchema, payload, 'alerts request');
    let account: AccountRow;
    if (request.op === 'update') {
      const body = parseOrBadRequest(alertsBodySchema, request.body, 'alerts');
      const alerts = {
        ...(body.balance_below !== undefined ? { balanceBelow: body.balance_below } : {}),
        ...(body.daily_spend_above !== undefined ? { dailySpendAbove: body.daily_spend_above } : {}),
      };
      account = await this.accounts.update(request.accountId, { alerts });
    } else {
      account = await this.accounts.row(request.accountId);
    }
    const recent = await this.alerts.forAccount(this.dataSource, account.id, RECENT_ALERTS);
    return {
      data: {
        balance_below: threshold(account.alert_balance_below),
        daily_spend_above: threshold(account.alert_daily_spend_above),
        recent: recent.map((row) => ({
          id: row.id,
          kind: row.kind,
          threshold: formatMoney(row.threshold),
          value: formatMoney(row.value),
          day: row.day,
          key_hash: row.key_hash,
          key_name: row.key_name,
          created_at: new Date(row.created_at).toISOString(),
        })),
      },
    };
  }
}
