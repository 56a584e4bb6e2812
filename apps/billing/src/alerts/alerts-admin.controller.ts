import { Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { NotFoundError } from '@switchyard/contracts';
import { AdminOnly } from '@switchyard/nest-kit';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { CLOCK, type Clock } from '../common/clock.js';
import { parseOrBadRequest } from '../common/validation.js';
import { AlertWebhookService } from './alert-webhook.service.js';
import { adminAlertView, SpendAlertsRepository } from './spend-alerts.repository.js';

const listQuerySchema = z
  .object({
    webhook_state: z.enum(['pending', 'delivered', 'failed', 'expired']).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    before: z.string().regex(/^\d{1,18}$/, 'an alert id').optional(),
  })
  .strict();

const alertIdSchema = z.string().regex(/^\d{1,18}$/, 'an alert id');

/**
 * The operator's view of every account's alerts and their webhook deliveries (`GET /admin/alerts?webhook_state=failed`),
 * and a redelivery for those a receiver outage outlasted (`POST /admin/alerts/:id/redeliver`).
 */
@Controller('admin/alerts')
@AdminOnly()
export class AlertsAdminController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly alerts: SpendAlertsRepository,
    private readonly webhook: AlertWebhookService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Newest first; `before` (an id) pages on. */
  @Get()
  async list(@Query() query: unknown) {
    const { webhook_state: state, limit, before } = parseOrBadRequest(listQuerySchema, query ?? {}, 'query');
    const rows = await this.alerts.list(this.dataSource, { state, limit, beforeId: before });
    return {
      data: rows.map((row) => ({ accountId: row.account_id, accountName: row.account_name, ...adminAlertView(row) })),
      nextBefore: rows.length === limit ? rows[rows.length - 1]!.id : null,
    };
  }

  /** Queues the alert for the webhook again (attempts from zero, sent at once when a webhook is configured). */
  @Post(':id/redeliver')
  @HttpCode(202)
  async redeliver(@Param('id') id: string) {
    const alertId = parseOrBadRequest(alertIdSchema, id, 'alert id');
    if (!(await this.alerts.requeue(this.dataSource, alertId, new Date(this.clock.now())))) throw new NotFoundError(`Alert ${alertId} not found`);
    this.webhook.kick();
    return { id: alertId, webhook: { state: 'pending', enabled: this.webhook.enabled } };
  }
}
