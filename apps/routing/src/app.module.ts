import { type DynamicModule, Global, Module } from '@nestjs/common';
import { CoreModule, DatabaseModule } from '@switchyard/nest-kit';
import { CatalogModule } from './catalog/catalog.module.js';
import { CLOCK, type Clock, systemClock } from './clock.js';
import { ROUTING_CONFIG, type RoutingConfig } from './config/routing.config.js';
import { ExplainModule } from './explain/explain.module.js';
import { HealthModule } from './health/health.module.js';
import { CreateEndpointHealth1764000000000 } from './migrations/1764000000000-create-endpoint-health.js';
import { ProbesModule } from './probes/probes.module.js';
import { TableModule } from './table/table.module.js';

export interface AppModuleOptions {
  /** Tests inject a controllable clock; production uses the system clock. */
  clock?: Clock;
}

/** The typed config and the clock, available to every module. */
@Global()
@Module({})
class RoutingConfigModule {
  static forRoot(config: RoutingConfig, clock: Clock): DynamicModule {
    return {
      module: RoutingConfigModule,
      providers: [
        { provide: ROUTING_CONFIG, useValue: config },
        { provide: CLOCK, useValue: clock },
      ],
      exports: [ROUTING_CONFIG, CLOCK],
    };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: RoutingConfig, options: AppModuleOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RoutingConfigModule.forRoot(config, options.clock ?? systemClock),
        CoreModule.forRoot({ serviceName: 'routing', natsUrl: config.NATS_URL, adminToken: config.ADMIN_TOKEN! }),
        DatabaseModule.forRoot({ url: config.DATABASE_URL, schema: config.DB_SCHEMA, entities: [], migrations: [CreateEndpointHealth1764000000000], poolSize: 4 }),
        CatalogModule,
        HealthModule,
        ProbesModule,
        TableModule,
        ExplainModule,
      ],
    };
  }
}
