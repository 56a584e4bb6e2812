import 'reflect-metadata';
import { bootstrapService, createLogger, parseConfig, startTelemetry } from '@switchyard/nest-kit';
import { routingConfigSchema } from './config/routing.config.js';

const config = parseConfig(routingConfigSchema); // fail fast, every bad key listed
startTelemetry({ serviceName: 'routing', otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, samplingRatio: config.OTEL_TRACES_SAMPLER_ARG });
const { AppModule } = await import('./app.module.js'); // after telemetry
await bootstrapService({
  serviceName: 'routing',
  module: AppModule.forRoot(config),
  port: config.PORT,
  host: config.HOST,
  natsUrl: config.NATS_URL,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  logger: createLogger('routing', { level: config.LOG_LEVEL, format: config.LOG_FORMAT }),
});
