import { type DynamicModule, Global, Module } from '@nestjs/common';
import { AdminModule } from './admin/admin.module.js';
import { DurablePublisher } from './jetstream/durable-publisher.js';
import { NatsModule } from './nats/nats.module.js';

export interface CoreModuleOptions {
  serviceName: string;
  natsUrl: string;
  adminToken: string;
  /** Whether this app's HTTP server serves /admin/health and /metrics (false for ingress's public server). */
  adminControllers?: boolean;
}

/** What every service imports once: admin (health, metrics, token guard), NATS, and the JetStream outbox. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(options: CoreModuleOptions): DynamicModule {
    return {
      module: CoreModule,
      imports: [
        AdminModule.forRoot({ serviceName: options.serviceName, adminToken: options.adminToken, controllers: options.adminControllers }),
        NatsModule.forRoot({ url: options.natsUrl, name: options.serviceName }),
      ],
      providers: [DurablePublisher],
      exports: [AdminModule, NatsModule, DurablePublisher],
    };
  }
}
