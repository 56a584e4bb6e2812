import { Module } from '@nestjs/common';
import { DeadLettersModule } from '../dead-letters/dead-letters.module.js';
import { GenerationsModule } from '../generations/generations.module.js';
import { AttemptUsageIngestService } from './attempt-usage-ingest.service.js';
import { AttemptUsageConsumer } from './attempt-usage.consumer.js';
import { AttemptUsageRepository } from './attempt-usage.repository.js';
import { ReconcilerService } from './reconciler.service.js';

/** Providers' attempt usage and the reconciler of generations whose completion event never came. */
@Module({
  imports: [GenerationsModule, DeadLettersModule],
  providers: [AttemptUsageRepository, AttemptUsageIngestService, AttemptUsageConsumer, ReconcilerService],
})
export class ReconciliationModule {}
