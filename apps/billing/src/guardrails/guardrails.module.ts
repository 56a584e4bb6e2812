import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { GuardrailsHandler } from './guardrails.handler.js';

@Module({
  imports: [AccountsModule],
  controllers: [GuardrailsHandler],
})
export class GuardrailsModule {}
