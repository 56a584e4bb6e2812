import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { extractTraceContext, flushTelemetry, otelContext, otelTrace, recordCarrier, startTelemetry, withSpan } from './telemetry.js';

const spans = new InMemorySpanExporter();
const telemetry = startTelemetry({ serviceName: 'telemetry-spec', exporter: spans, samplingRatio: 1 });
const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const carrier = (flags: string) => recordCarrier({ traceparent: `00-${traceId}-00f067aa0ba902b7-${flags}` });

afterAll(async () => {
  await telemetry.shutdown();
});

describe('withSpan', () => {
  it('records a child span of a sampled parent, in the same trace, with the child active inside', async () => {
    const parent = extractTraceContext(carrier('01'));
    const activeInside = await withSpan('sampled-child', () => otelTrace.getSpanContext(otelContext.active()), { parent });
    await flushTelemetry();
    const [span] = spans.getFinishedSpans().filter((finished) => finished.name === 'sampled-child');
    expect(span?.spanContext().traceId).toBe(traceId);
    expect(span?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(activeInside?.spanId).toBe(span?.spanContext().spanId);
  });

  it('adds no span below an unsampled parent but still runs in its trace (the trace id propagates)', async () => {
    const parent = extractTraceContext(carrier('00'));
    const seen = await withSpan('unsampled-child', (span) => ({ span: span.spanContext(), active: otelTrace.getSpanContext(otelContext.active()) }), { parent });
    expect(seen.span.traceId).toBe(traceId);
    expect(seen.active?.traceId).toBe(traceId);
    expect(seen.active?.spanId).toBe('00f067aa0ba902b7');
    const nested = await otelContext.with(parent, () => withSpan('nested', () => otelTrace.getSpanContext(otelContext.active())?.spanId));
    expect(nested).toBe('00f067aa0ba902b7');
    expect(spans.getFinishedSpans().map((span) => span.name)).not.toContain('unsampled-child');
  });

  it('passes errors through either way', async () => {
    await expect(withSpan('failing', () => Promise.reject(new Error('boom')), { parent: extractTraceContext(carrier('00')) })).rejects.toThrow('boom');
  });
});
