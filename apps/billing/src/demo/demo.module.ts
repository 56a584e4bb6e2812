import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { KeysModule } from '../keys/keys.module.js';
import { LedgerModule } from '../ledger/ledger.module.js';
import { DemoSeedService } from './demo-seed.service.js';

@Module({
  imports: [AccountsModule, KeysModule, LedgerModule],
  providers: [DemoSeedService],
  exports: [DemoSeedService],
})
export class DemoModule {}
