import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module.js';
import { HealthModule } from '../health/health.module.js';
import { ProbeService } from './probe.service.js';

@Module({
  imports: [HealthModule, CatalogModule],
  providers: [ProbeService],
  exports: [ProbeService],
})
export class ProbesModule {}
