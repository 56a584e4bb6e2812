import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { FreeQuotaModule } from '../free-quota/free-quota.module.js';
import { KeysModule } from '../keys/keys.module.js';
import { LeasesModule } from '../leases/leases.module.js';
import { LedgerModule } from '../ledger/ledger.module.js';
import { MaintenanceService } from './maintenance.service.js';

@Module({
  imports: [AccountsModule, KeysModule, LeasesModule, LedgerModule, FreeQuotaModule],
  providers: [MaintenanceService],
  exports: [MaintenanceService],
})
export class MaintenanceModule {}
