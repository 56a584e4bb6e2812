import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { AlertsModule } from '../alerts/alerts.module.js';
import { KeysModule } from '../keys/keys.module.js';
import { LeasesModule } from '../leases/leases.module.js';
import { LedgerModule } from '../ledger/ledger.module.js';
import { DebitsConsumer } from './debits.consumer.js';
import { DebitsService } from './debits.service.js';

@Module({
  imports: [AccountsModule, AlertsModule, LedgerModule, KeysModule, LeasesModule],
  providers: [DebitsService, DebitsConsumer],
  exports: [DebitsService],
})
export class DebitsModule {}
