import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { newAttemptId, newGenerationId, subjects, type AttemptTimeouts, type ProviderChatRequest } from '@switchyard/contracts';
import { catalogSnapshotSchema, type CatalogProvider, type CatalogSnapshot, type StreamPart } from '@switchyard/llm-spec';
import { bootstrapService, createLogger, decodeEvents, HealthRegistry, listeningPort, NatsService, ProviderAttemptClient, type AttemptOutcome } from '@switchyard/nest-kit';
import { TEST_ADMIN_TOKEN, TEST_DATABASE_URL, TEST_NATS_URL, waitFor } from '@switchyard/nest-kit/testing';
import type { Subscription } from '@nats-io/transport-node';
import { randomBytes } from 'node:crypto';
import { AppModule } from '../../../src/app.module.js';
import { AttemptHandler } from '../../../src/attempts/attempt.handler.js';
import { ProviderDirectory } from '../../../src/catalog/provider-directory.service.js';
import { loadProvidersConfig } from '../../../src/config/providers.config.js';

export const TEST_SECRETS_KEY = randomBytes(32).toString('base64');

export interface ProvidersInstance {
  app: NestFastifyApplication;
  base: string;
  handler: AttemptHandler;
  directory: ProviderDirectory;
  close(): Promise<void>;
}

/** Boots the providers app in-process on port 0 (real NATS and Postgres) and waits until it takes attempts. */
export async function bootProviders(options: { schema: string; env?: Record<string, string> }): Promise<ProvidersInstance> {
  const config = loadProvidersConfig({
    NODE_ENV: 'test',
    NATS_URL: TEST_NATS_URL,
    DATABASE_URL: TEST_DATABASE_URL,
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    DB_SCHEMA: options.schema,
    SECRETS_KEY: TEST_SECRETS_KEY,
    LOG_LEVEL: process.env.TEST_SERVICE_LOGS ? 'debug' : 'error',
    ...options.env,
  });
  const app = await bootstrapService({
    serviceName: 'providers',
    module: AppModule.forRoot(config),
    port: 0,
    host: '127.0.0.1',
    natsUrl: TEST_NATS_URL,
    logger: createLogger('providers', { level: config.LOG_LEVEL }),
  });
  const handler = app.get(AttemptHandler);
  await waitFor(() => handler.accepting, { timeoutMs: 15_000, message: 'providers takes attempts' });
  return { app, base: `http://127.0.0.1:${listeningPort(app)}`, handler, directory: app.get(ProviderDirectory), close: () => app.close() };
}

/** A NATS connection of the test's own, standing in for ingress. */
export async function connectCaller(name = 'test-caller'): Promise<NatsService> {
  const nats = new NatsService({ url: TEST_NATS_URL, name }, new HealthRegistry());
  await nats.onModuleInit();
  return nats;
}

export function provider(slug: string, baseUrl: string, overrides: Partial<CatalogProvider> = {}): CatalogProvider {
  return {
    slug,
    name: slug,
    wireFormat: 'openai',
    adapter: 'openai',
    baseUrl,
    dataPolicy: { training: false, retainsPrompts: false, retentionDays: null, zdr: false, moderated: false },
    statusPageUrl: null,
    privacyPolicyUrl: null,
    termsOfServiceUrl: null,
    headquarters: null,
    datacenters: [],
    status: 'active',
    ...overrides,
  };
}

/**
 * Stands in for the catalog service: answers `catalog.snapshot` (Nest's NATS reply shape) with a snapshot the test
 * controls and announces changes on `catalog.changed` carrying only the version.
 */
export class FakeCatalog {
  private subscription: Subscription | undefined;
  snapshot: CatalogSnapshot;
  requests = 0;

  constructor(
    private readonly nats: NatsService,
    providers: CatalogProvider[],
  ) {
    this.snapshot = catalogSnapshotSchema.parse({ version: 1, generatedAt: new Date().toISOString(), providers, models: [], endpoints: [] });
  }

  start(): this {
    this.subscription = this.nats.connection.subscribe(subjects.catalog.snapshot, {
      callback: (_error, message) => {
        this.requests += 1;
        const packet = JSON.parse(new TextDecoder().decode(message.data)) as { id: string };
        message.respond(JSON.stringify({ id: packet.id, response: this.snapshot, isDisposed: true }));
      },
    });
    return this;
  }

  /** Replaces the providers under a new version and announces it. */
  publish(providers: CatalogProvider[]): number {
    this.snapshot = { ...this.snapshot, version: this.snapshot.version + 1, generatedAt: new Date().toISOString(), providers };
    this.nats.publish(subjects.catalog.changed, { version: this.snapshot.version, at: new Date().toISOString(), changes: [] });
    return this.snapshot.version;
  }

  stop(): void {
    this.subscription?.unsubscribe();
  }
}

export const defaultTimeouts: AttemptTimeouts = { connectMs: 2_000, firstTokenMs: 3_000, idleMs: 1_500 };

export function chatRequest(input: { provider: string; model: string; stream?: boolean; byok?: boolean; accountId?: string; timeouts?: Partial<AttemptTimeouts>; heartbeatMs?: number; request?: Record<string, unknown> }): ProviderChatRequest {
  return {
    attemptId: newAttemptId(),
    generationId: newGenerationId(),
    accountId: input.accountId ?? 'acct-1',
    endpoint: { id: `test/model@${input.provider}`, modelId: 'test/model', providerSlug: input.provider, upstreamModelId: input.model },
    byok: input.byok ?? false,
    request: { model: 'test/model', messages: [{ role: 'user', content: 'Say hello' }], stream: input.stream ?? false, ...input.request } as ProviderChatRequest['request'],
    timeouts: { ...defaultTimeouts, ...input.timeouts },
    heartbeatMs: input.heartbeatMs ?? 250,
  };
}

export interface AttemptRun {
  outcome: AttemptOutcome;
  parts: StreamPart[];
  /** performance.now() of each onParts batch. */
  batchTimes: number[];
  text: string;
  elapsedMs: number;
}

/** Runs one attempt exactly as ingress does, through nest-kit's ProviderAttemptClient. */
export async function runAttempt(client: ProviderAttemptClient, request: ProviderChatRequest, options: { signal?: AbortSignal; onParts?: (parts: StreamPart[]) => void } = {}): Promise<AttemptRun> {
  const parts: StreamPart[] = [];
  const batchTimes: number[] = [];
  const started = performance.now();
  const outcome = await client.run(
    request,
    {
      onParts: (batch) => {
        parts.push(...batch);
        batchTimes.push(performance.now());
        options.onParts?.(batch);
      },
    },
    options.signal,
  );
  const text = parts.map((part) => (part.type === 'text-delta' ? part.text : '')).join('');
  return { outcome, parts, batchTimes, text, elapsedMs: performance.now() - started };
}

/** Collects JSON messages published on a subject (core NATS). */
export class Recorder<T> {
  readonly messages: T[] = [];
  private readonly subscription: Subscription;

  constructor(nats: NatsService, subject: string) {
    this.subscription = nats.connection.subscribe(subject, {
      callback: (_error, message) => {
        // Events may travel in batches (nest-kit event-batch): one message, several events.
        this.messages.push(...decodeEvents<T>(message));
      },
    });
  }

  async find(predicate: (message: T) => boolean, timeoutMs = 5_000): Promise<T> {
    return waitFor(() => this.messages.find(predicate), { timeoutMs, message: 'expected message' });
  }

  stop(): void {
    this.subscription.unsubscribe();
  }
}

export function admin(base: string) {
  const headers = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' };
  return {
    get: (path: string) => fetch(`${base}${path}`, { headers }),
    post: (path: string, body: unknown) => fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) }),
    delete: (path: string) => fetch(`${base}${path}`, { method: 'DELETE', headers: { authorization: headers.authorization } }),
  };
}
