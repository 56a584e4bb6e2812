import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { LeasesHandler } from './leases.handler.js';
import { LeasesRepository } from './leases.repository.js';
import { LeasesService } from './leases.service.js';

@Module({
  imports: [AccountsModule],
  controllers: [LeasesHandler],
  providers: [LeasesRepository, LeasesService],
  exports: [LeasesRepository, LeasesService],
})
export class LeasesModule {}
