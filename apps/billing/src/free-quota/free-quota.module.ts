import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { FreeQuotaHandler } from './free-quota.handler.js';
import { FreeQuotaRepository } from './free-quota.repository.js';
import { FreeQuotaService } from './free-quota.service.js';

@Module({
  imports: [AccountsModule],
  controllers: [FreeQuotaHandler],
  providers: [FreeQuotaRepository, FreeQuotaService],
  exports: [FreeQuotaService],
})
export class FreeQuotaModule {}
