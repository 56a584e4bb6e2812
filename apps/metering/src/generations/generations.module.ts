import { Module } from '@nestjs/common';
import { DeadLettersModule } from '../dead-letters/dead-letters.module.js';
import { GenerationIngestService } from './generation-ingest.service.js';
import { GenerationsConsumer } from './generations.consumer.js';
import { GenerationsController } from './generations.controller.js';
import { GenerationsHandler } from './generations.handler.js';
import { GenerationsRepository } from './generations.repository.js';

/** The generation log: the durable consumer that writes it, the lookup RPC and the admin listing. */
@Module({
  imports: [DeadLettersModule],
  controllers: [GenerationsHandler, GenerationsController],
  providers: [GenerationsRepository, GenerationIngestService, GenerationsConsumer],
  exports: [GenerationsRepository],
})
export class GenerationsModule {}
