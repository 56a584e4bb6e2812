import { HealthRegistry } from '../../src/admin/health.registry.js';
import { MetricsService } from '../../src/admin/metrics.service.js';
import { DurablePublisher } from '../../src/jetstream/durable-publisher.js';
import { NatsService } from '../../src/nats/nats.service.js';
import { TEST_NATS_URL } from '../../src/testing/index.js';

// After shutdown the connection is drained and closed; whatever still publishes must not spin or be lost silently.
describe('NatsService once its connection is closed (real NATS)', () => {
  it('reports itself disconnected, and an outbox publish waits without retrying in a loop', async () => {
    const nats = new NatsService({ url: TEST_NATS_URL, name: 'closed-spec' }, new HealthRegistry());
    await nats.onModuleInit();
    expect(nats.isConnected).toBe(true);
    await nats.onApplicationShutdown();
    expect(nats.isConnected).toBe(false);

    const metrics = new MetricsService();
    const publisher = new DurablePublisher(nats, metrics, new HealthRegistry());
    publisher.publish('t.closed.events.v1', { id: 'late' }, 'late-1');
    // Kept, not dropped; and not sent at all while the connection is closed (no failed attempts piling up).
    expect(await publisher.flush(300)).toBe(1);
    const failures = (await metrics.registry.getSingleMetric('switchyard_outbox_publish_failures_total')?.get())?.values[0]?.value ?? 0;
    expect(failures).toBe(0);
  });
});
