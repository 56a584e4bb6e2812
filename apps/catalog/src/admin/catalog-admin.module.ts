import { Module } from '@nestjs/common';
import { StoreModule } from '../store/store.module.js';
import { CatalogAdminService } from './catalog-admin.service.js';
import { CatalogController } from './catalog.controller.js';
import { EndpointsController } from './endpoints.controller.js';
import { ModelsController } from './models.controller.js';
import { ProvidersController } from './providers.controller.js';

@Module({
  imports: [StoreModule],
  controllers: [ProvidersController, ModelsController, EndpointsController, CatalogController],
  providers: [CatalogAdminService],
})
export class CatalogAdminModule {}
