import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { AlertWebhookService } from './alert-webhook.service.js';
import { AlertsAdminController } from './alerts-admin.controller.js';
import { AlertsHandler } from './alerts.handler.js';
import { SpendAlertAnnouncer } from './spend-alert-announcer.js';
import { SpendAlertsRepository } from './spend-alerts.repository.js';

@Module({
  imports: [AccountsModule],
  controllers: [AlertsHandler, AlertsAdminController],
  providers: [SpendAlertsRepository, SpendAlertAnnouncer, AlertWebhookService],
  exports: [SpendAlertsRepository, SpendAlertAnnouncer],
})
export class AlertsModule {}
