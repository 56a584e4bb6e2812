import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { KeysHandler } from './keys.handler.js';
import { KeysRepository } from './keys.repository.js';
import { KeysService } from './keys.service.js';

@Module({
  imports: [AccountsModule],
  controllers: [KeysHandler],
  providers: [KeysRepository, KeysService],
  exports: [KeysRepository, KeysService],
})
export class KeysModule {}
