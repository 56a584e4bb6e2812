import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { type GenerationCompleted, type KeysChanged, generationCompletedSchema, keysChangedSchema, newGenerationId, subjects } from '@switchyard/contracts';
import { NatsService, bootstrapService, createLogger, dropSchema, listeningPort, parseConfig } from '@switchyard/nest-kit';
import { TEST_ADMIN_TOKEN, TEST_DATABASE_URL, TEST_NATS_URL, uniqueSchema } from '@switchyard/nest-kit/testing';
import type { z } from 'zod';
import { AppModule } from '../../src/app.module.js';
import { ManualClock } from '../../src/common/clock.js';
import { type BillingConfig, billingConfigSchema } from '../../src/config/billing.config.js';

export interface AdminResponse<T = any> {
  status: number;
  body: T;
}

/** One in-process billing app on the real NATS and Postgres, with a manual clock and a keys-changed recorder. */
export class BillingTestApp {
  app!: NestFastifyApplication;
  base = '';
  config: BillingConfig;
  readonly changes: Array<z.infer<typeof keysChangedSchema> & { receivedAt: number }> = [];
  private unsubscribe: (() => void) | undefined;

  constructor(
    readonly schema: string,
    readonly clock: ManualClock,
    env: Record<string, string> = {},
  ) {
    this.config = parseConfig(billingConfigSchema, {
      NODE_ENV: 'test',
      NATS_URL: TEST_NATS_URL,
      DATABASE_URL: TEST_DATABASE_URL,
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      DB_SCHEMA: schema,
      DB_POOL_SIZE: '6',
      ...env,
    });
  }

  static async start(options: { schema?: string; clock?: ManualClock; env?: Record<string, string> } = {}): Promise<BillingTestApp> {
    const app = new BillingTestApp(options.schema ?? uniqueSchema('billing'), options.clock ?? new ManualClock(Date.now()), options.env);
    await app.boot();
    return app;
  }

  async boot(): Promise<void> {
    this.app = await bootstrapService({
      serviceName: 'billing',
      module: AppModule.forRoot(this.config, { clock: this.clock }),
      port: 0,
      host: '127.0.0.1',
      natsUrl: TEST_NATS_URL,
      logger: createLogger('billing', { level: process.env.TEST_SERVICE_LOGS ? 'log' : 'error' }),
    });
    this.base = `http://127.0.0.1:${listeningPort(this.app)}`;
    const subscription = this.nats.subscribe(subjects.billing.keysChanged, (data) => {
      this.changes.push({ ...keysChangedSchema.parse(data), receivedAt: Date.now() });
    });
    this.unsubscribe = () => subscription.unsubscribe();
  }

  get nats(): NatsService {
    return this.app.get(NatsService);
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    await this.app.close();
  }

  async destroy(): Promise<void> {
    await this.close().catch(() => undefined);
    await dropSchema(TEST_DATABASE_URL, this.schema);
  }

  async admin<T = any>(method: string, path: string, body?: unknown, token = TEST_ADMIN_TOKEN): Promise<AdminResponse<T>> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  rpc<T = any>(subject: string, data: unknown): Promise<T> {
    return this.nats.request<T>(subject, data, { timeoutMs: 10_000 });
  }

  async createAccount(body: Record<string, unknown> = { name: 'Acme' }): Promise<any> {
    const response = await this.admin('POST', '/admin/accounts', body);
    if (response.status !== 201) throw new Error(`account creation failed: ${JSON.stringify(response.body)}`);
    return response.body;
  }

  async topUp(accountId: string, amount: string, method: 'card' | 'crypto' | 'grant' = 'grant'): Promise<any> {
    const response = await this.admin('POST', `/admin/accounts/${accountId}/top-ups`, { amount, method });
    if (response.status !== 201) throw new Error(`top-up failed: ${JSON.stringify(response.body)}`);
    return response.body;
  }

  async createKey(accountId: string, body: Record<string, unknown> = { name: 'key' }): Promise<{ data: any; key: string }> {
    const response = await this.admin('POST', `/admin/accounts/${accountId}/keys`, body);
    if (response.status !== 201) throw new Error(`key creation failed: ${JSON.stringify(response.body)}`);
    return response.body;
  }

  async account(accountId: string): Promise<any> {
    return (await this.admin('GET', `/admin/accounts/${accountId}`)).body;
  }

  generation(overrides: Partial<GenerationCompleted> & Pick<GenerationCompleted, 'accountId' | 'keyId' | 'keyHash'>): GenerationCompleted {
    const event: GenerationCompleted = {
      id: newGenerationId(this.clock.now()),
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      model: 'openai/gpt-4o-mini',
      requestedModel: 'openai/gpt-4o-mini',
      endpointId: 'openai/gpt-4o-mini@openai',
      providerSlug: 'openai',
      providerName: 'OpenAI',
      streamed: false,
      createdAt: new Date(this.clock.now()).toISOString(),
      latencyMs: 120,
      generationTimeMs: 100,
      overheadMs: 20,
      usage: { promptTokens: 100, completionTokens: 50, totalTokens: 150 },
      pricing: { prompt: '0.000001', completion: '0.000002' },
      cost: '0.0002',
      upstreamCost: '0.0002',
      finishReason: 'stop',
      attempts: [],
      ...overrides,
    };
    generationCompletedSchema.parse(event);
    return event;
  }

  /** Publishes a generation event to JetStream, as ingress does (message id = generation id unless given). */
  async publishGeneration(event: unknown, messageId?: string): Promise<void> {
    await this.nats.jetstream().publish(subjects.metering.generationCompleted, JSON.stringify(event), { msgID: messageId ?? (event as { id?: string }).id ?? String(Math.random()) });
  }

  /** The newest keys-changed event carrying this account / key, or undefined. */
  lastChangeWithAccount(accountId: string) {
    for (let index = this.changes.length - 1; index >= 0; index--) {
      const account = this.changes[index]!.accounts.find((candidate) => candidate.accountId === accountId);
      if (account) return { change: this.changes[index]!, account };
    }
    return undefined;
  }

  lastChangeWithKey(hash: string) {
    for (let index = this.changes.length - 1; index >= 0; index--) {
      const key = this.changes[index]!.keys.find((candidate) => candidate.hash === hash);
      if (key) return { change: this.changes[index]!, key };
    }
    return undefined;
  }
}

export type { KeysChanged };
