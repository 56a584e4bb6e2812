import 'reflect-metadata';
import type { DynamicModule, INestApplication, LoggerService, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ServerNats } from '@nestjs/microservices';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { GatewayExceptionFilter, type HttpErrorRenderer } from './http/gateway-exception.filter.js';
import { installJsonBodyParser } from './http/json-body-parser.js';
import { extractTraceContext, otelContext, otelTrace, SpanKind, tracer, type Span } from './telemetry/telemetry.js';

export interface ServiceBootstrapOptions {
  serviceName: string;
  module: Type<unknown> | DynamicModule;
  /** The service's HTTP port (the admin port for every service but ingress, whose public API it is). */
  port: number;
  host?: string;
  natsUrl: string;
  /** Serve the module's `@MessagePattern` handlers over Nest's NATS transport (queue group = service name). */
  rpc?: boolean;
  bodyLimitBytes?: number;
  logger?: LoggerService;
  shutdownTimeoutMs?: number;
  /** Errors of some routes in another API family's shape (body-parser failures included). */
  httpErrorRenderer?: HttpErrorRenderer;
  /** Last adjustments before the server listens (hooks on the Fastify instance, CORS...). */
  beforeListen?: (app: NestFastifyApplication) => void | Promise<void>;
}

/** The NATS subject of a Nest NATS request, for span names. */
function rpcSubject(context: unknown): string {
  const args = (context as { getArgs?: () => unknown[] }).getArgs?.();
  return typeof args?.[0] === 'string' ? args[0] : 'rpc';
}

/**
 * Boots one Switchyard service: Nest on Fastify (body limit, OpenRouter-shaped errors for everything including
 * body-parser failures and unknown routes), the NATS microservice transport for RPC handlers with W3C trace
 * context continued from message headers, graceful shutdown on SIGTERM/SIGINT with a hard deadline.
 */
export async function bootstrapService(options: ServiceBootstrapOptions): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: options.bodyLimitBytes ?? 1_048_576, logger: false, return503OnClosing: true });
  // Nest's body parsers are off: JSON bodies go through installJsonBodyParser (no service takes form bodies).
  const app = await NestFactory.create<NestFastifyApplication>(options.module, adapter, { logger: options.logger, abortOnError: false, bodyParser: false });
  installJsonBodyParser(adapter.getInstance());
  app.useGlobalFilters(new GatewayExceptionFilter(options.httpErrorRenderer));

  if (options.rpc !== false) {
    const server = new ServerNats({
      servers: options.natsUrl.split(','),
      name: `${options.serviceName}-rpc`,
      queue: options.serviceName,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      waitOnFirstConnect: true,
      gracefulShutdown: true,
      gracePeriod: 200,
    });
    const spans = new WeakMap<object, Span>();
    server.setOnProcessingStartHook((_transport, context, done) => {
      const headers = (context as { getHeaders?: () => { get(key: string): string } | undefined }).getHeaders?.();
      const parent = extractTraceContext(headers);
      const span = tracer().startSpan(`rpc ${rpcSubject(context)}`, { kind: SpanKind.SERVER }, parent);
      spans.set(context as object, span);
      return otelContext.with(otelTrace.setSpan(parent, span), done);
    });
    server.setOnProcessingEndHook((_transport, context) => {
      spans.get(context as object)?.end();
      spans.delete(context as object);
    });
    app.connectMicroservice({ strategy: server }, { inheritAppConfig: true });
  }

  app.enableShutdownHooks();
  const deadline = options.shutdownTimeoutMs ?? 10_000;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => setTimeout(() => process.exit(1), deadline).unref());
  }
  await options.beforeListen?.(app);
  await app.startAllMicroservices();
  await app.listen(options.port, options.host ?? '0.0.0.0');
  return app;
}

/** The port an app actually listens on (tests pass port 0). */
export function listeningPort(app: INestApplication): number {
  const address = app.getHttpServer().address();
  return typeof address === 'object' && address ? address.port : 0;
}
