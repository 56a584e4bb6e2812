import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module.js';
import { HealthModule } from '../health/health.module.js';
import { RoutingTableController } from './routing-table.controller.js';
import { RoutingTableHandler } from './routing-table.handler.js';
import { RoutingTableService } from './routing-table.service.js';

@Module({
  imports: [HealthModule, CatalogModule],
  controllers: [RoutingTableHandler, RoutingTableController],
  providers: [RoutingTableService],
  exports: [RoutingTableService],
})
export class TableModule {}
