import 'reflect-metadata';
import { bootstrapService, createLogger, startTelemetry } from '@switchyard/nest-kit';
import { loadProvidersConfig } from './config/providers.config.js';

const config = loadProvidersConfig(); // fail fast, every bad key listed
startTelemetry({ serviceName: 'providers', otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, samplingRatio: config.OTEL_TRACES_SAMPLER_ARG });
const { AppModule } = await import('./app.module.js'); // after telemetry
await bootstrapService({
  serviceName: 'providers',
  module: AppModule.forRoot(config),
  port: config.PORT,
  host: config.HOST,
  natsUrl: config.NATS_URL,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  logger: createLogger('providers', { level: config.LOG_LEVEL, format: config.LOG_FORMAT }),
});
