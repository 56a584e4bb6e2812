import type { JsMsg } from '@nats-io/jetstream';
import type { NatsService } from '../nats/nats.service.js';
import { DurableConsumer, fetchCount, type ConsumedMessage } from './durable-consumer.js';

/** A JetStream message stand-in that records its ack. */
function message(seq: number, acked: number[]): JsMsg {
  const data = new TextEncoder().encode(JSON.stringify({ seq }));
  return { subject: 't.events.v1', seq, data, headers: undefined, redelivered: false, info: { pending: 0 }, json: () => ({ seq }), ack: () => acked.push(seq), nak: () => undefined } as unknown as JsMsg;
}

/** A NATS stand-in whose first fetch delivers two messages, then fails as a fetch whose heartbeats were missed. */
function fetchFailingAfterDelivery(acked: number[]) {
  let fetches = 0;
  const consumer = {
    fetch: async () => {
      fetches += 1;
      const first = fetches === 1;
      return {
        stop: () => undefined,
        async *[Symbol.asyncIterator]() {
          if (!first) {
            await new Promise((resolve) => setTimeout(resolve, 20));
            return;
          }
          yield message(1, acked);
          yield message(2, acked);
          throw new Error('heartbeats missed');
        },
      };
    },
  };
  const jsm = { streams: { info: async () => ({ config: { subjects: [] } }), update: async () => undefined, add: async () => undefined }, consumers: { info: async () => ({}), add: async () => undefined } };
  return { nats: { jetstream: () => ({ consumers: { get: async () => consumer } }), jetstreamManager: async () => jsm, maxPayload: 1024 * 1024 } as unknown as NatsService, fetches: () => fetches };
}

describe('DurableConsumer', () => {
  it('handles and acks the messages a fetch delivered before it failed, instead of leaving them to ack_wait', async () => {
    const acked: number[] = [];
    const handled: number[] = [];
    const { nats, fetches } = fetchFailingAfterDelivery(acked);
    const consumer = new DurableConsumer(nats, {
      durable: 'test-durable',
      filterSubject: 't.events.v1',
      handler: async (messages: ConsumedMessage[]) => {
        for (const consumed of messages) handled.push(consumed.seq);
      },
    });
    await consumer.start();
    const deadline = Date.now() + 3_000;
    while (fetches() < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await consumer.stop();
    expect(handled).toEqual([1, 2]);
    expect(acked).toEqual([1, 2]);
    expect(fetches()).toBeGreaterThanOrEqual(2); // and it went on fetching after the failure
  });

  it('fetches as many messages as fit in its bytes at their average size (full batch messages until known), at most batchSize', () => {
    expect(fetchCount({ batchSize: 250 }, undefined)).toBe(4);
    expect(fetchCount({ batchSize: 2 }, undefined)).toBe(2);
    expect(fetchCount({ batchSize: 250 }, 2_500)).toBe(250); // single events: the whole batch
    expect(fetchCount({ batchSize: 250 }, 100_000)).toBe(10); // batch messages of ~40 events: 1 MiB of them
    expect(fetchCount({ batchSize: 2_000 }, 2_000)).toBe(2_000); // batchSize × 4 KiB
    expect(fetchCount({ batchSize: 250, fetchMaxBytes: 300_000 }, 100_000)).toBe(3);
    expect(fetchCount({ batchSize: 250 }, 5_000_000)).toBe(1);
  });
});
