import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { LeasesModule } from '../leases/leases.module.js';
import { CreditsService } from './credits.service.js';
import { LedgerRepository } from './ledger.repository.js';

@Module({
  imports: [AccountsModule, LeasesModule],
  providers: [LedgerRepository, CreditsService],
  exports: [LedgerRepository, CreditsService],
})
export class LedgerModule {}
