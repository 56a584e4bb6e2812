import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { PresetsHandler } from './presets.handler.js';
import { PresetsRepository } from './presets.repository.js';

@Module({
  imports: [AccountsModule],
  controllers: [PresetsHandler],
  providers: [PresetsRepository],
})
export class PresetsModule {}
