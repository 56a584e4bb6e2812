import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { KeysModule } from '../keys/keys.module.js';
import { AuthCodesHandler } from './auth-codes.handler.js';
import { AuthCodesRepository } from './auth-codes.repository.js';
import { AuthCodesService } from './auth-codes.service.js';

@Module({
  imports: [AccountsModule, KeysModule],
  controllers: [AuthCodesHandler],
  providers: [AuthCodesRepository, AuthCodesService],
})
export class AuthCodesModule {}
