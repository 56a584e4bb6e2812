import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { AlertsHandler } from './alerts.handler.js';
import { SpendAlertsRepository } from './spend-alerts.repository.js';

@Module({
  imports: [AccountsModule],
  controllers: [AlertsHandler],
  providers: [SpendAlertsRepository],
  exports: [SpendAlertsRepository],
})
export class AlertsModule {}
