import { subjects } from '@switchyard/contracts';
import { MetricsService, type NatsService } from '@switchyard/nest-kit';
import type { DataSource } from 'typeorm';
import { systemClock } from '../common/clock.js';
import { type BillingConfig, billingConfigSchema } from '../config/billing.config.js';
import { ChangeFeed, type PreparedChange } from './change-feed.service.js';
import type { RecordsRepository } from './records.repository.js';

function feedWith(published: number[]) {
  let heard: ((data: unknown) => void) | undefined;
  const nats = {
    publish: (subject: string, data: PreparedChange) => {
      if (subject === subjects.billing.keysChanged) published.push(data.version);
    },
    subscribe: (_subject: string, handler: (data: unknown) => void) => {
      heard = handler;
      return { unsubscribe: () => undefined };
    },
  } as unknown as NatsService;
  const config: BillingConfig = billingConfigSchema.parse({ KEYS_CHANGED_GAP_WAIT_MS: '30' });
  const feed = new ChangeFeed({} as DataSource, {} as RecordsRepository, nats, config, systemClock, new MetricsService());
  feed.onApplicationBootstrap();
  return { feed, hear: (version: number) => heard!({ version, keys: [], accounts: [], removedKeyHashes: [] }) };
}

const change = (version: number): PreparedChange => ({ version, keys: [], accounts: [], removedKeyHashes: [] });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ChangeFeed publishing order', () => {
  it('publishes versions in order even when commits resolve out of order', () => {
    const published: number[] = [];
    const { feed } = feedWith(published);
    feed.publish(change(2));
    expect(published).toEqual([]);
    feed.publish(change(1));
    feed.publish(change(3));
    expect(published).toEqual([1, 2, 3]);
    feed.onModuleDestroy();
  });

  it('skips a version another replica published, as soon as it hears it', () => {
    const published: number[] = [];
    const { feed, hear } = feedWith(published);
    feed.publish(change(1));
    feed.publish(change(3));
    expect(published).toEqual([1]);
    hear(2);
    expect(published).toEqual([1, 3]);
    feed.onModuleDestroy();
  });

  it('publishes after a short wait when an earlier version never shows up', async () => {
    const published: number[] = [];
    const { feed } = feedWith(published);
    feed.publish(change(2));
    feed.publish(change(3));
    expect(published).toEqual([]);
    await sleep(80);
    expect(published).toEqual([2, 3]);
    feed.publish(change(4));
    expect(published).toEqual([2, 3, 4]);
    feed.onModuleDestroy();
  });
});
