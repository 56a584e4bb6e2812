import 'reflect-metadata';
import { createLogger, parseConfig, startTelemetry } from '@switchyard/nest-kit';
import { ingressConfigSchema } from './config/ingress.config.js';

const config = parseConfig(ingressConfigSchema);
startTelemetry({ serviceName: 'ingress', otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, samplingRatio: config.OTEL_TRACES_SAMPLER_ARG });
const { createIngress } = await import('./ingress.js');
await createIngress(config, createLogger('ingress', { level: config.LOG_LEVEL, format: config.LOG_FORMAT }));
