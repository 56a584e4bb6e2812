import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { AlertWebhookService } from './alert-webhook.service.js';
import { AlertsHandler } from './alerts.handler.js';
import { SpendAlertAnnouncer } from './spend-alert-announcer.js';
import { SpendAlertsRepository } from './spend-alerts.repository.js';

@Module({
  imports: [AccountsModule],
  controllers: [AlertsHandler],
  providers: [SpendAlertsRepository, SpendAlertAnnouncer, AlertWebhookService],
  exports: [SpendAlertsRepository, SpendAlertAnnouncer],
})
export class AlertsModule {}
