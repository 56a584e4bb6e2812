import { type DynamicModule, Module } from '@nestjs/common';
import { CoreModule } from '@switchyard/nest-kit';
import type { SimulatorConfig } from './config/simulator.config.js';
import { SimulatorModule } from './simulator.module.js';

/** The simulator: NATS for health only, no Postgres. */
@Module({})
export class AppModule {
  static forRoot(config: SimulatorConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [CoreModule.forRoot({ serviceName: 'simulator', natsUrl: config.NATS_URL, adminToken: config.ADMIN_TOKEN! }), SimulatorModule.forRoot(config)],
    };
  }
}
