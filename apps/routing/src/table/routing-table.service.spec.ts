import { jest } from '@jest/globals';
import { subjects } from '@switchyard/contracts';
import { routingTableSchema } from '@switchyard/llm-spec';
import { MetricsService, type NatsService } from '@switchyard/nest-kit';
import type { CatalogService } from '../catalog/catalog.service.js';
import { routingConfigSchema } from '../config/routing.config.js';
import type { ChangeReason, HealthMonitorService } from '../health/health-monitor.service.js';
import { RoutingTableService } from './routing-table.service.js';

const START = 1_700_000_000_000;

const entry = { state: 'open', weight: 1, lastFailureAt: START, retryAfterUntil: null, uptime5m: 0, uptime30m: 0, uptime1d: 0, latency30m: null, throughput30m: null, latencyP50Last5m: null, throughputP50Last5m: null, toolCallSuccessRate: null };

function setup(minIntervalMs = 100, options: { endpoints?: number; pageBytes?: number; maxPayload?: number } = {}) {
  const clock = { time: START, now() { return this.time; } };
  const published: Array<{ subject: string; data: unknown }> = [];
  // The table goes out pre-encoded (measured once), announcements as values: both recorded as the values sent.
  const nats = {
    publish: (subject: string, data: unknown) => published.push({ subject, data }),
    publishEncoded: (subject: string, json: string) => published.push({ subject, data: JSON.parse(json) }),
    onReconnect: () => () => undefined,
    maxPayload: options.maxPayload ?? 1_048_576,
  } as unknown as NatsService;
  let changeListener: ((reason: ChangeReason) => void) | undefined;
  const entries = Object.fromEntries(Array.from({ length: options.endpoints ?? 1 }, (_, index) => [index === 0 ? 'm@p' : `m${index}@p`, entry]));
  const monitor = {
    tableEntries: () => entries,
    onChange: (listener: (reason: ChangeReason) => void) => {
      changeListener = listener;
      return () => undefined;
    },
  } as unknown as HealthMonitorService;
  const catalog = { onChange: () => () => undefined } as unknown as CatalogService;
  const config = routingConfigSchema.parse({ TABLE_MIN_PUBLISH_INTERVAL_MS: String(minIntervalMs), TABLE_PUBLISH_INTERVAL_MS: '60000', ...(options.pageBytes ? { TABLE_PAGE_BYTES: String(options.pageBytes) } : {}) });
  const service = new RoutingTableService(config, clock, nats, monitor, catalog, new MetricsService());
  service.onModuleInit();
  return { service, clock, published, change: (reason: ChangeReason = 'breaker') => changeListener!(reason) };
}

describe('RoutingTableService', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('versions tables by time, strictly increasing even when the clock stands still or goes back', () => {
    const { service, clock } = setup();
    const first = service.current();
    expect(first.version).toBe(START);
    expect(service.current().version).toBe(START + 1);
    clock.time = START - 60_000;
    expect(service.current().version).toBe(START + 2);
    clock.time = START + 10_000;
    expect(service.current().version).toBe(START + 10_000);
  });

  it('publishes a full, schema-valid table on the table-updated subject', () => {
    const { service, published } = setup();
    service.publishNow('start');
    expect(published).toHaveLength(1);
    expect(published[0].subject).toBe(subjects.routing.tableUpdated);
    const table = routingTableSchema.parse(published[0].data);
    expect(table.endpoints['m@p'].state).toBe('open');
    expect(table.generatedAt).toBe(new Date(START).toISOString());
  });

  it('announces a table larger than one message by its version instead of publishing it whole', () => {
    const { service, published } = setup(100, { endpoints: 10, pageBytes: 2_048 });
    const table = service.publishNow('start')!;
    expect(Buffer.byteLength(JSON.stringify(table))).toBeGreaterThan(2_048);
    expect(published).toHaveLength(1);
    expect(published[0].data).toEqual({ version: table.version, generatedAt: table.generatedAt, endpointCount: 10, paged: true });
    // The same table fits a larger page: published whole.
    const roomy = setup(100, { endpoints: 10, pageBytes: 64 * 1024 });
    roomy.service.publishNow('start');
    expect(routingTableSchema.parse(roomy.published[0].data).endpoints['m9@p']).toMatchObject({ state: 'open' });
  });

  it('sizes the whole-table message below the server max_payload whatever page size is configured', () => {
    const { service, published } = setup(100, { endpoints: 20, pageBytes: 512 * 1024, maxPayload: 4_096 });
    const table = service.publishNow('start')!;
    expect(Buffer.byteLength(JSON.stringify(table))).toBeGreaterThan(4_096 - 1_024);
    expect(published[0].data).toMatchObject({ version: table.version, paged: true });
  });

  it('publishes a change at once, and coalesces a burst into one more publication after the minimum interval', () => {
    const { published, change, clock } = setup(100);
    change();
    jest.advanceTimersByTime(0);
    expect(published).toHaveLength(1);
    for (let index = 0; index < 20; index++) change();
    jest.advanceTimersByTime(50);
    expect(published).toHaveLength(1);
    clock.time += 100;
    jest.advanceTimersByTime(50);
    expect(published).toHaveLength(2);
  });

  it('stops publishing once destroyed', () => {
    const { service, published, change } = setup();
    service.onModuleDestroy();
    change();
    jest.advanceTimersByTime(1_000);
    expect(service.publishNow('periodic')).toBeUndefined();
    expect(published).toHaveLength(0);
  });
});
