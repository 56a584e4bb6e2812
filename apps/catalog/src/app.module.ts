import { type DynamicModule, Global, Module } from '@nestjs/common';
import { CoreModule, DatabaseModule } from '@switchyard/nest-kit';
import { CatalogAdminModule } from './admin/catalog-admin.module.js';
import { CATALOG_CONFIG, type CatalogConfig } from './config/catalog.config.js';
import { ImportModule } from './import/import.module.js';
import { CreateCatalog1764460800000 } from './migrations/1764460800000-create-catalog.js';
import { ProviderApiVersion1764547200000 } from './migrations/1764547200000-provider-api-version.js';
import { catalogEntities } from './store/catalog.repository.js';
import { StoreModule } from './store/store.module.js';

@Global()
@Module({})
class CatalogConfigModule {
  static forRoot(config: CatalogConfig): DynamicModule {
    return { module: CatalogConfigModule, providers: [{ provide: CATALOG_CONFIG, useValue: config }], exports: [CATALOG_CONFIG] };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: CatalogConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CatalogConfigModule.forRoot(config),
        CoreModule.forRoot({ serviceName: 'catalog', natsUrl: config.NATS_URL, adminToken: config.ADMIN_TOKEN! }),
        DatabaseModule.forRoot({ url: config.DATABASE_URL, schema: config.DB_SCHEMA, entities: catalogEntities, migrations: [CreateCatalog1764460800000, ProviderApiVersion1764547200000] }),
        StoreModule,
        CatalogAdminModule,
        ImportModule,
      ],
    };
  }
}
