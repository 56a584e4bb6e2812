export { ConfigError, baseConfigSchema, type BaseConfig, parseConfig, envBoolean, envPort, DEVELOPMENT_ADMIN_TOKEN } from './config/config.js';
export { CoreModule, type CoreModuleOptions } from './core.module.js';
export { bootstrapService, listeningPort, type ServiceBootstrapOptions } from './bootstrap.js';
export { AdminModule, type AdminModuleOptions } from './admin/admin.module.js';
export { AdminController } from './admin/admin.controller.js';
export { startAdminServer } from './admin/admin-server.js';
export { AdminOnly, AdminTokenGuard, ADMIN_TOKEN } from './admin/admin-token.guard.js';
export { HealthRegistry, type HealthCheck, type HealthCheckResult, type HealthReport } from './admin/health.registry.js';
export { MetricsService, LATENCY_BUCKETS_SECONDS } from './admin/metrics.service.js';
export { NatsModule } from './nats/nats.module.js';
export { NatsService, NATS_OPTIONS, type NatsModuleOptions, type RequestOptions, type SubscribeOptions } from './nats/nats.service.js';
export { encodeJson, decodeJson } from './nats/nats-json.js';
export { ensureStream, ensureSwitchyardStream } from './jetstream/stream.js';
export { ensureInBackground } from './jetstream/ensure-in-background.js';
export { DurablePublisher } from './jetstream/durable-publisher.js';
export { DurableConsumer, parseConsumed, unpackMessages, type ConsumedMessage, type DurableConsumerOptions } from './jetstream/durable-consumer.js';
export {
  BATCH_HEADER,
  BATCH_TRACEPARENTS_HEADER,
  decodeEvents,
  encodeEvents,
  splitEventBatch,
  activeTraceparent,
  eventBatchWindowMs,
  EventBatcher,
  type BatchItem,
  type BatchedEvent,
  type EventBatcherOptions,
} from './nats/event-batch.js';
export { DatabaseModule, type DatabaseModuleOptions } from './database/database.module.js';
export { ensureDatabaseAndSchema, dropSchema } from './database/database.js';
export { RedactingTypeOrmLogger } from './database/redacting-logger.js';
export { SnapshotCache, type SnapshotCacheOptions } from './cache/snapshot-cache.js';
export { routingTableCache } from './cache/routing-table-cache.js';
export { mergeSnapshotPages, replyInPages, SNAPSHOT_PAGE_BYTES, snapshotPageLimit, snapshotPages } from './cache/snapshot-pages.js';
export { GatewayExceptionFilter, sendHttpError, toHttpError, type HttpErrorRenderer } from './http/gateway-exception.filter.js';
export { createLogger } from './logging/logger.js';
export {
  startTelemetry,
  shutdownTelemetry,
  flushTelemetry,
  tracer,
  withSpan,
  injectTraceContext,
  extractTraceContext,
  recordCarrier,
  linkFrom,
  SpanKind,
  SpanStatusCode,
  otelContext,
  otelTrace,
  type HeaderCarrier,
  type HeaderSource,
  type Span,
  type Context,
  type TelemetryOptions,
} from './telemetry/telemetry.js';
export { CancelSource, type CancelSignal } from './providers-client/cancel-signal.js';
export { ProviderAttemptClient, type AttemptOutcome, type AttemptCallbacks, type ProviderAttemptClientOptions } from './providers-client/provider-attempt.client.js';
export { EmbedAttemptClient, NO_REPLICA_MESSAGE, type Embedding, type EmbedOutcome } from './providers-client/embed-attempt.client.js';
