import 'reflect-metadata';
import { bootstrapService, createLogger, parseConfig, startTelemetry } from '@switchyard/nest-kit';
import { simulatorConfigSchema } from './config/simulator.config.js';

const config = parseConfig(simulatorConfigSchema);
startTelemetry({ serviceName: 'simulator', otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, samplingRatio: config.OTEL_TRACES_SAMPLER_ARG });
const { AppModule } = await import('./app.module.js');
await bootstrapService({
  serviceName: 'simulator',
  module: AppModule.forRoot(config),
  port: config.PORT,
  host: config.HOST,
  natsUrl: config.NATS_URL,
  // No RPC handlers: NATS serves health only.
  rpc: false,
  logger: createLogger('simulator', { level: config.LOG_LEVEL, format: config.LOG_FORMAT }),
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
});
