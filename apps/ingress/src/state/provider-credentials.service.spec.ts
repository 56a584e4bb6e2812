import { jest } from '@jest/globals';
import { MetricsService, type NatsService } from '@switchyard/nest-kit';
import { ingressConfigSchema } from '../config/ingress.config.js';
import { ProviderCredentialsService } from './provider-credentials.service.js';

describe('ProviderCredentialsService', () => {
  afterEach(() => jest.useRealTimers());

  it("keeps the providers' last answer when a refresh goes unanswered, asks again every second until the first answer from a replica with the catalog, then at the configured interval", async () => {
    jest.useFakeTimers();
    const answers: Array<() => Promise<unknown>> = [
      () => Promise.reject(new Error('no responders')),
      // A providers replica that has no catalog yet cannot tell: not an answer.
      () => Promise.resolve({ uncredentialed: null, credentials: [] }),
      () => Promise.resolve({ uncredentialed: ['OpenAI', 'azure'], credentials: [] }),
      () => Promise.reject(new Error('timeout')),
    ];
    const calls: number[] = [];
    const nats = { request: () => (calls.push(Date.now()), answers.shift()!()) } as unknown as NatsService;
    const metrics = new MetricsService();
    const service = new ProviderCredentialsService(nats, ingressConfigSchema.parse({ PROVIDER_STATUS_REFRESH_MS: '30000' }), metrics);
    const gauge = async () => (await metrics.registry.getSingleMetric('switchyard_ingress_uncredentialed_providers')!.get()).values[0]!.value;

    await service.refresh();
    expect(service.uncredentialed.size).toBe(0);
    expect(await gauge()).toBe(-1);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(calls).toHaveLength(2);
    expect(await gauge()).toBe(-1);
    await jest.advanceTimersByTimeAsync(1_000);
    expect([...service.uncredentialed]).toEqual(['openai', 'azure']);
    expect(await gauge()).toBe(2);
    await jest.advanceTimersByTimeAsync(29_999);
    expect(calls).toHaveLength(3);
    await jest.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(4);
    expect([...service.uncredentialed]).toEqual(['openai', 'azure']);
    service.onModuleDestroy();
  });
});
