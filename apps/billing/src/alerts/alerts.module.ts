import { Module } from '@nestjs/common';
import { SpendAlertsRepository } from './spend-alerts.repository.js';

@Module({
  providers: [SpendAlertsRepository],
  exports: [SpendAlertsRepository],
})
export class AlertsModule {}
