import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module.js';
import { CredentialsModule } from '../credentials/credentials.module.js';
import { UpstreamPools } from '../upstream/upstream-pools.service.js';
import { AttemptEvents } from './attempt-events.service.js';
import { AttemptHandler } from './attempt.handler.js';
import { InflightController } from './inflight.controller.js';
import { StatusHandler } from './status.handler.js';

@Module({
  imports: [CatalogModule, CredentialsModule],
  controllers: [InflightController, StatusHandler],
  providers: [AttemptHandler, AttemptEvents, UpstreamPools],
  exports: [AttemptHandler],
})
export class AttemptsModule {}
