// deploy/otel/collector.yaml: receives what the services send (OTLP/HTTP on the port of OTEL_EXPORTER_OTLP_ENDPOINT,
// and gRPC), and exports every trace to the viewer that docker-compose.yml runs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { composeEnvironment, deployDirectory, listApps, loadCompose, parseYaml, type YamlMap } from './support/repo.js';

const collector = parseYaml(readFileSync(path.join(deployDirectory, 'otel', 'collector.yaml'), 'utf8')) as YamlMap;
const compose = loadCompose();
const services = compose.services as Record<string, YamlMap>;
const componentType = (id: string): string => id.split('/')[0];

/** The ports Jaeger (v2 `--set` flags, or v1 all-in-one with COLLECTOR_OTLP_ENABLED) receives OTLP on. */
function jaegerOtlpPorts(): { grpc?: number; http?: number } {
  const jaeger = services.jaeger;
  const command = ((jaeger.command ?? []) as string[]).join(' ');
  const port = (protocol: string) => {
    const match = new RegExp(`receivers\\.otlp\\.protocols\\.${protocol}\\.endpoint=0\\.0\\.0\\.0:(\\d+)`).exec(command);
    return match ? Number(match[1]) : undefined;
  };
  if (String(jaeger.image).startsWith('jaegertracing/all-in-one:')) return composeEnvironment(jaeger).COLLECTOR_OTLP_ENABLED === 'true' ? { grpc: 4317, http: 4318 } : {};
  return { grpc: port('grpc'), http: port('http') };
}

describe('OpenTelemetry collector', () => {
  test('receives OTLP over gRPC and HTTP on every interface, on the port the services export to', () => {
    const protocols = collector.receivers.otlp.protocols;
    expect(protocols.grpc.endpoint).toBe('0.0.0.0:4317');
    expect(protocols.http.endpoint).toMatch(/^0\.0\.0\.0:\d+$/);
    for (const app of listApps()) {
      const endpoint = new URL(composeEnvironment(services[app]).OTEL_EXPORTER_OTLP_ENDPOINT);
      expect([app, endpoint.hostname, endpoint.port]).toEqual([app, 'otel-collector', protocols.http.endpoint.split(':')[1]]);
    }
  });

  test('exports the traces pipeline to the viewer named in docker-compose.yml, on a port it receives OTLP on', () => {
    const pipeline = collector.service.pipelines.traces;
    expect(pipeline.receivers).toContain('otlp');
    const exporters = (pipeline.exporters as string[]).filter((id) => ['otlp_grpc', 'otlp', 'otlp_http', 'otlphttp'].includes(componentType(id)));
    expect(exporters).toHaveLength(1);
    const exporter = collector.exporters[exporters[0]];
    const grpc = ['otlp_grpc', 'otlp'].includes(componentType(exporters[0]));
    const target = grpc ? new URL(`grpc://${exporter.endpoint}`) : new URL(exporter.endpoint);
    // The viewer is a compose service, started before the collector.
    expect(target.hostname).toBe('jaeger');
    expect(services['otel-collector'].depends_on?.jaeger).toBeDefined();
    const ports = jaegerOtlpPorts();
    expect(Number(target.port)).toBe(grpc ? ports.grpc : ports.http);
    if (grpc) expect(exporter.tls?.insecure).toBe(true); // Jaeger's receiver in compose speaks plaintext
  });

  test('every component a pipeline names is configured, and memory_limiter runs first', () => {
    for (const [name, pipeline] of Object.entries(collector.service.pipelines as Record<string, YamlMap>)) {
      for (const kind of ['receivers', 'processors', 'exporters']) {
        for (const id of (pipeline[kind] ?? []) as string[]) expect([name, kind, id, collector[kind]?.[id] !== undefined]).toEqual([name, kind, id, true]);
      }
      expect((pipeline.processors as string[])[0]).toBe('memory_limiter');
      expect(pipeline.processors).toContain('batch');
    }
    for (const id of collector.service.extensions ?? []) expect(collector.extensions[id]).toBeDefined();
  });

  test('the collector\'s memory limiter fits inside its container limit', () => {
    const limit = String(services['otel-collector'].deploy.resources.limits.memory);
    const megabytes = Number(/^(\d+)M$/.exec(limit)![1]);
    expect(collector.processors.memory_limiter.limit_mib).toBeLessThan(megabytes);
  });
});
