import 'reflect-metadata';
import { bootstrapService, createLogger, parseConfig, startTelemetry } from '@switchyard/nest-kit';
import { billingConfigSchema } from './config/billing.config.js';

const config = parseConfig(billingConfigSchema);
startTelemetry({ serviceName: 'billing', otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, samplingRatio: config.OTEL_TRACES_SAMPLER_ARG });
const { AppModule } = await import('./app.module.js');
await bootstrapService({
  serviceName: 'billing',
  module: AppModule.forRoot(config),
  port: config.PORT,
  host: config.HOST,
  natsUrl: config.NATS_URL,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  logger: createLogger('billing', { level: config.LOG_LEVEL, format: config.LOG_FORMAT }),
});
