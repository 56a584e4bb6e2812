import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Context,
  type Link,
  type Span,
  type SpanOptions,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export interface TelemetryOptions {
  serviceName: string;
  /** OTLP/HTTP base URL (the collector); spans are exported only when set. */
  otlpEndpoint?: string;
  /** Ratio of new traces sampled (parent-based: a sampled parent is always followed). */
  samplingRatio?: number;
  /** Tests pass an in-memory exporter here. */
  exporter?: SpanExporter;
}

let provider: TracerProvider | undefined;
let tracerInstance: Tracer = trace.getTracer('switchyard');

/**
 * Starts OpenTelemetry tracing: W3C trace context, AsyncLocalStorage context, a parent-based ratio sampler and the
 * OTLP/HTTP exporter when an endpoint is configured. Called first thing in every main.ts. Spans are few and
 * deliberate (one per hop); timing figures come from hrtime histograms, never from spans, so they do not depend
 * on the sampling rate.
 */
export function startTelemetry(options: TelemetryOptions): { shutdown: () => Promise<void> } {
  if (provider) return { shutdown: shutdownTelemetry };
  const processors: SpanProcessor[] = [];
  const exporter = options.exporter ?? (options.otlpEndpoint ? new OTLPTraceExporter({ url: `${options.otlpEndpoint.replace(/\/$/, '')}/v1/traces` }) : undefined);
  if (exporter) processors.push(new BatchSpanProcessor({ exporter, scheduledDelayMillis: 500, maxQueueSize: 4096, maxExportBatchSize: 512 }));
  provider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    // Without an exporter nothing would be kept: sample nothing, but trace ids still propagate through NATS.
    sampler: exporter ? new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.samplingRatio ?? 1) }) : new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0) }),
    spanProcessors: processors,
  });
  const contextManager = new AsyncLocalStorageContextManager();
  contextManager.enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  tracerInstance = trace.getTracer('switchyard', '0.1.0');
  return { shutdown: shutdownTelemetry };
}

export async function shutdownTelemetry(): Promise<void> {
  const current = provider;
  provider = undefined;
  if (current) await current.shutdown().catch(() => undefined);
}

export async function flushTelemetry(): Promise<void> {
  if (provider) await provider.forceFlush().catch(() => undefined);
}

export function tracer(): Tracer {
  return tracerInstance;
}

/** Anything header-like: NATS MsgHdrs (get/set) or a plain record. */
export interface HeaderCarrier {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

/** What extraction needs: NATS MsgHdrs, Nest's NatsContext headers or a record carrier. */
export interface HeaderSource {
  get(key: string): string | undefined;
}

const carrierSetter: TextMapSetter<HeaderCarrier> = {
  set: (carrier, key, value) => carrier.set(key, value),
};
const carrierGetter: TextMapGetter<HeaderSource> = {
  get: (carrier, key) => carrier.get(key) || undefined,
  keys: () => ['traceparent', 'tracestate'],
};

/** Writes the current (or given) trace context into message headers. */
export function injectTraceContext(carrier: HeaderCarrier, from: Context = context.active()): void {
  propagation.inject(from, carrier, carrierSetter);
}

/** Reads the trace context of an incoming message (ROOT when it carries none). */
export function extractTraceContext(carrier: HeaderSource | undefined): Context {
  if (!carrier) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, carrier, carrierGetter);
}

/** A plain-object carrier, for HTTP headers and JSON payloads. */
export function recordCarrier(record: Record<string, string | string[] | undefined>): HeaderCarrier {
  return {
    get: (key) => {
      const value = record[key];
      return Array.isArray(value) ? value[0] : value;
    },
    set: (key, value) => {
      record[key] = value;
    },
  };
}

/** Runs `fn` inside a new span (child of `parent` or the active context); records errors; ends the span. */
export async function withSpan<T>(
  name: string,
  fn: (span: Span) => Promise<T> | T,
  options: SpanOptions & { parent?: Context } = {},
): Promise<T> {
  const parent = options.parent ?? context.active();
  const parentSpan = trace.getSpan(parent);
  // Below an unsampled span nothing is recorded (parent-based sampling): no child span and, unless the parent is
  // another context, no context switch; the trace id still propagates. This is every span when no exporter is set.
  if (parentSpan && !parentSpan.isRecording() && (parentSpan.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) {
    return await (options.parent ? context.with(parent, () => fn(parentSpan)) : fn(parentSpan));
  }
  const span = tracerInstance.startSpan(name, options, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
    throw error;
  } finally {
    span.end();
  }
}

/** A link to the span context found in a carrier (metering and billing link their work to the request's trace). */
export function linkFrom(carrier: HeaderSource | undefined): Link[] {
  const spanContext = trace.getSpanContext(extractTraceContext(carrier));
  return spanContext && trace.isSpanContextValid(spanContext) ? [{ context: spanContext }] : [];
}

export { SpanKind, SpanStatusCode, context as otelContext, trace as otelTrace, type Span, type Context };
