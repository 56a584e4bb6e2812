import { jest } from '@jest/globals';
import { HealthRegistry } from '../admin/health.registry.js';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { createContextKey } from '@opentelemetry/api';
import { MetricsService } from '../admin/metrics.service.js';
import { otelContext } from '../telemetry/telemetry.js';
import type { NatsService } from '../nats/nats.service.js';
import { DurablePublisher } from './durable-publisher.js';

/**
 * A connection that refuses synchronously, as a closed one does: `subscribe` throws the first `refusals` times,
 * then hands out a subscription whose publishes are never acked.
 */
function refusingNats(refusals: number) {
  const calls = { subscribe: 0, publish: 0 };
  const connection = {
    subscribe: () => {
      calls.subscribe += 1;
      if (calls.subscribe <= refusals) throw new Error('closed connection');
      return { isClosed: () => false, unsubscribe: () => undefined };
    },
    publish: () => {
      calls.publish += 1;
    },
  };
  return { calls, nats: { isConnected: true, connection } as unknown as NatsService };
}

describe('DurablePublisher', () => {
  it('backs off when the connection refuses at once, instead of retrying the same event in a tight loop', async () => {
    const { calls, nats } = refusingNats(1_000);
    const metrics = new MetricsService();
    const publisher = new DurablePublisher(nats, metrics, new HealthRegistry());
    publisher.publish('t.kit.events.v1', { id: 'e-1' }, 'e-1');
    // The event is kept (never dropped) while the event loop stays free: flush returns on its deadline.
    expect(await publisher.flush(400)).toBe(1);
    // Backing off from 100 ms, a handful of attempts fit in 400 ms; a tight loop would have made a thousand.
    expect(calls.subscribe).toBeGreaterThanOrEqual(1);
    expect(calls.subscribe).toBeLessThanOrEqual(5);
    const failures = (await metrics.registry.getSingleMetric('switchyard_outbox_publish_failures_total')?.get())?.values[0]?.value;
    expect(failures).toBe(calls.subscribe);
  });

  describe('defer', () => {
    afterEach(() => jest.useRealTimers());

    it('runs deferred tasks together when the batch window closes, then sends their events at once', async () => {
      jest.useFakeTimers();
      const { calls, nats } = refusingNats(0);
      const publisher = new DurablePublisher(nats, new MetricsService(), new HealthRegistry());
      const ran: string[] = [];
      publisher.defer(() => {
        ran.push('first');
        publisher.publish('t.kit.events.v1', { id: 'e-1' }, 'e-1');
      });
      publisher.defer(() => {
        ran.push('second');
        publisher.publish('t.kit.events.v1', { id: 'e-2' }, 'e-2');
      });
      expect(ran).toEqual([]);
      expect(publisher.pending).toBe(2);
      jest.advanceTimersByTime(19);
      expect(ran).toEqual([]);
      await jest.advanceTimersByTimeAsync(1);
      expect(ran).toEqual(['first', 'second']);
      // Both events in one batch message, sent without waiting for another window.
      expect(calls.publish).toBe(1);
      expect(publisher.pending).toBe(1);
    });

    it('flush runs pending tasks first, so their events are not lost at shutdown', async () => {
      const { calls, nats } = refusingNats(0);
      const publisher = new DurablePublisher(nats, new MetricsService(), new HealthRegistry());
      publisher.defer(() => publisher.publish('t.kit.events.v1', { id: 'e-1' }, 'e-1'));
      // Never acked by the fake: flush returns on its deadline with the event still held, after sending it.
      expect(await publisher.flush(50)).toBe(1);
      expect(calls.publish).toBe(1);
    });

    it('runs each task in the trace context it was deferred in', () => {
      jest.useFakeTimers();
      const manager = new AsyncLocalStorageContextManager().enable();
      otelContext.setGlobalContextManager(manager);
      try {
        const { nats } = refusingNats(0);
        const publisher = new DurablePublisher(nats, new MetricsService(), new HealthRegistry());
        const request = createContextKey('request');
        const seen: unknown[] = [];
        for (const id of ['req-1', 'req-2']) otelContext.with(otelContext.active().setValue(request, id), () => publisher.defer(() => seen.push(otelContext.active().getValue(request))));
        jest.advanceTimersByTime(20);
        expect(seen).toEqual(['req-1', 'req-2']);
      } finally {
        otelContext.disable();
      }
    });

    it('logs a task that throws and still runs the others', () => {
      jest.useFakeTimers();
      const { nats } = refusingNats(0);
      const publisher = new DurablePublisher(nats, new MetricsService(), new HealthRegistry());
      const logged = jest.spyOn((publisher as unknown as { logger: { error: (message: string) => void } }).logger, 'error').mockImplementation(() => undefined);
      const ran: string[] = [];
      publisher.defer(() => {
        throw new Error('broken task');
      });
      publisher.defer(() => ran.push('after'));
      jest.advanceTimersByTime(20);
      expect(ran).toEqual(['after']);
      expect(logged).toHaveBeenCalledWith(expect.stringContaining('broken task'), expect.anything());
      expect(publisher.pending).toBe(0);
    });
  });
});
