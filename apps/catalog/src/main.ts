import 'reflect-metadata';
import { bootstrapService, createLogger, parseConfig, startTelemetry } from '@switchyard/nest-kit';
import { catalogConfigSchema } from './config/catalog.config.js';

const config = parseConfig(catalogConfigSchema);
startTelemetry({ serviceName: 'catalog', otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, samplingRatio: config.OTEL_TRACES_SAMPLER_ARG });
const { AppModule } = await import('./app.module.js');
await bootstrapService({
  serviceName: 'catalog',
  module: AppModule.forRoot(config),
  port: config.PORT,
  host: config.HOST,
  natsUrl: config.NATS_URL,
  // imports post whole model lists; the same limit applies to fetched ones
  bodyLimitBytes: config.CATALOG_IMPORT_MAX_BYTES,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  logger: createLogger('catalog', { level: config.LOG_LEVEL, format: config.LOG_FORMAT }),
});
