import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module.js';
import { DrainRepository } from './drain.repository.js';
import { HealthAdminController } from './health-admin.controller.js';
import { HealthMonitorService } from './health-monitor.service.js';
import { StatsSnapshotRepository } from './stats-snapshot.repository.js';

@Module({
  imports: [CatalogModule],
  controllers: [HealthAdminController],
  providers: [HealthMonitorService, DrainRepository, StatsSnapshotRepository],
  exports: [HealthMonitorService],
})
export class HealthModule {}
