import type { LoggerService } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { bootstrapService, startAdminServer } from '@switchyard/nest-kit';
import type { FastifyInstance } from 'fastify';
import { AppModule } from './app.module.js';
import type { IngressConfig } from './config/ingress.config.js';
import { familyErrorRenderer } from './http/family-error.renderer.js';
import { installRequestTiming } from './http/request-timing.js';
import { responseCacheAdminRoutes } from './response-cache/response-cache.admin.js';

export interface Ingress {
  app: NestFastifyApplication;
  admin: FastifyInstance;
  close(): Promise<void>;
}

/** Boots ingress: the public API (no NATS RPC handlers of its own) and the separate admin server. */
export async function createIngress(config: IngressConfig, logger?: LoggerService): Promise<Ingress> {
  let adminServer: FastifyInstance | undefined;
  const app = await bootstrapService({
    serviceName: 'ingress',
    module: AppModule.forRoot(config),
    port: config.PORT,
    host: config.HOST,
    natsUrl: config.NATS_URL,
    rpc: false,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    logger,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    httpErrorRenderer: familyErrorRenderer,
    beforeListen: (nest) => {
      const fastify = nest.getHttpAdapter().getInstance();
      installRequestTiming(fastify);
      // The admin server is created after the public one listens; it closes with it.
      fastify.addHook('onClose', async () => {
        await adminServer?.close();
      });
    },
  });
  adminServer = await startAdminServer(app, { port: config.ADMIN_PORT, host: config.HOST, routes: responseCacheAdminRoutes(app) });
  return { app, admin: adminServer, close: () => app.close() };
}
