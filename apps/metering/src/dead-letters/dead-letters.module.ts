import { Module } from '@nestjs/common';
import { DeadLettersController } from './dead-letters.controller.js';
import { DeadLettersRepository } from './dead-letters.repository.js';

@Module({
  controllers: [DeadLettersController],
  providers: [DeadLettersRepository],
  exports: [DeadLettersRepository],
})
export class DeadLettersModule {}
