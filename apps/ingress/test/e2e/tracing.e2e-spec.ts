import { jest } from '@jest/globals';
import { freePort, waitFor } from '@switchyard/nest-kit/testing';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Stack } from './stack.js';

jest.setTimeout(120_000);

interface ExportedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  links: Array<{ traceId: string }>;
  /** OTLP attributes, flattened to their values (string, int as a string or number, array as its values). */
  attributes: Record<string, unknown>;
}

type OtlpValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean; arrayValue?: { values?: OtlpValue[] } };
const otlpValue = (value: OtlpValue): unknown =>
  value.arrayValue ? (value.arrayValue.values ?? []).map(otlpValue) : value.intValue !== undefined ? Number(value.intValue) : (value.stringValue ?? value.doubleValue ?? value.boolValue);

/** A minimal OTLP/HTTP (JSON) trace receiver: what the services export when OTEL_EXPORTER_OTLP_ENDPOINT is set. */
class FakeCollector {
  readonly spans: ExportedSpan[] = [];
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (request.url === '/v1/traces') {
          const body = JSON.parse(Buffer.concat(chunks).toString()) as {
            resourceSpans: Array<{
              resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
              scopeSpans: Array<{ spans: Array<Omit<ExportedSpan, 'service' | 'attributes'> & { links?: Array<{ traceId: string }>; attributes?: Array<{ key: string; value: OtlpValue }> }> }>;
            }>;
          };
          for (const resourceSpans of body.resourceSpans) {
            const service = resourceSpans.resource.attributes.find((attribute) => attribute.key === 'service.name')?.value.stringValue ?? '?';
            for (const scope of resourceSpans.scopeSpans) {
              for (const span of scope.spans) {
                const attributes = Object.fromEntries((span.attributes ?? []).map((attribute) => [attribute.key, otlpValue(attribute.value)]));
                this.spans.push({ ...span, service, links: span.links ?? [], parentSpanId: span.parentSpanId ?? '', attributes });
              }
            }
          }
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

describe('OpenTelemetry: one trace from the client through ingress, providers and the upstream, with metering and billing linked', () => {
  const collector = new FakeCollector();
  let stack: Stack;

  beforeAll(async () => {
    await collector.start();
    stack = new Stack({ commonEnv: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}`, OTEL_TRACES_SAMPLER_ARG: '1' } });
    await stack.start();
  }, 120_000);

  afterAll(async () => {
    await stack.stop();
    await collector.stop();
  });

  it('continues the caller traceparent across NATS and links the asynchronous consumers to it', async () => {
    const traceId = randomBytes(16).toString('hex');
    const clientSpanId = randomBytes(8).toString('hex');
    const response = await fetch(`${stack.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.demoKey}`, 'content-type': 'application/json', traceparent: `00-${traceId}-${clientSpanId}-01` },
      body: JSON.stringify({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'trace me' }], max_tokens: 24, temperature: 0.5, provider: { only: ['simulator'] } }),
    });
    expect(response.status).toBe(200);

    const spansOf = (service: string) => collector.spans.filter((span) => span.service === service && span.traceId === traceId);
    const linkedFrom = (service: string) => collector.spans.filter((span) => span.service === service && span.links.some((link) => link.traceId === traceId));
    await waitFor(() => spansOf('providers').some((span) => span.name.startsWith('upstream')) && linkedFrom('metering').length > 0 && linkedFrom('billing').length > 0, {
      timeoutMs: 20_000,
      message: 'spans of every hop exported',
    });

    const server = spansOf('ingress').find((span) => span.name === 'POST /api/v1/chat/completions');
    expect(server).toBeDefined();
    expect(server!.parentSpanId).toBe(clientSpanId);
    const plan = spansOf('ingress').find((span) => span.name === 'plan');
    expect(plan?.parentSpanId).toBe(server!.spanId);
    const attempt = spansOf('ingress').find((span) => span.name === 'providers.attempt');
    expect(attempt?.parentSpanId).toBe(server!.spanId);
    const handled = spansOf('providers').find((span) => span.name === 'providers.attempt');
    expect(handled?.parentSpanId).toBe(attempt!.spanId);
    const upstream = spansOf('providers').find((span) => span.name.startsWith('upstream'));
    expect(upstream?.parentSpanId).toBe(handled!.spanId);
    // The upstream call as OpenTelemetry's GenAI conventions describe an LLM call, with the tokens the answer reported.
    const usage = ((await response.json()) as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;
    expect(upstream!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'simulator',
      'gen_ai.request.model': expect.any(String),
      'gen_ai.request.max_tokens': 24,
      'gen_ai.request.temperature': 0.5,
      'gen_ai.response.finish_reasons': [expect.any(String)],
      'gen_ai.usage.input_tokens': usage.prompt_tokens,
      'gen_ai.usage.output_tokens': usage.completion_tokens,
    });
  });
});
