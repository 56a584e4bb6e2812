import { Module } from '@nestjs/common';
import { AlertsModule } from '../alerts/alerts.module.js';
import { AccountsModule } from '../accounts/accounts.module.js';
import { FreeQuotaModule } from '../free-quota/free-quota.module.js';
import { KeysModule } from '../keys/keys.module.js';
import { LeasesModule } from '../leases/leases.module.js';
import { LedgerModule } from '../ledger/ledger.module.js';
import { MaintenanceModule } from '../maintenance/maintenance.module.js';
import { AdminController } from './admin.controller.js';

@Module({
  imports: [AccountsModule, AlertsModule, LedgerModule, KeysModule, LeasesModule, FreeQuotaModule, MaintenanceModule],
  controllers: [AdminController],
})
export class AdminApiModule {}
