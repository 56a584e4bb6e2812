import { type DynamicModule, Global, Module } from '@nestjs/common';
import { AdminController } from './admin.controller.js';
import { ADMIN_TOKEN, AdminTokenGuard } from './admin-token.guard.js';
import { HealthRegistry } from './health.registry.js';
import { MetricsService } from './metrics.service.js';

export interface AdminModuleOptions {
  serviceName: string;
  adminToken: string;
  /** Serve /admin/health and /metrics from this app's HTTP server (false when a separate admin server does). */
  controllers?: boolean;
}

@Global()
@Module({})
export class AdminModule {
  static forRoot(options: AdminModuleOptions): DynamicModule {
    return {
      module: AdminModule,
      controllers: options.controllers === false ? [] : [AdminController],
      providers: [
        { provide: ADMIN_TOKEN, useValue: options.adminToken },
        AdminTokenGuard,
        {
          provide: HealthRegistry,
          useFactory: () => {
            const registry = new HealthRegistry();
            registry.serviceName = options.serviceName;
            return registry;
          },
        },
        {
          provide: MetricsService,
          useFactory: () => {
            const metrics = new MetricsService();
            metrics.setServiceLabel(options.serviceName);
            return metrics;
          },
        },
      ],
      exports: [ADMIN_TOKEN, AdminTokenGuard, HealthRegistry, MetricsService],
    };
  }
}
