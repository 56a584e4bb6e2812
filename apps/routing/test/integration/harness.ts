import 'reflect-metadata';
import { connect, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  type AttemptCompleted,
  type KeySnapshot,
  type ParsedProviderChatRequest,
  type ParsedProviderEmbedRequest,
  providerChatRequestSchema,
  providerEmbedRequestSchema,
  type RoutingTableAnnouncement,
  routingTableUpdatedSchema,
  subjects,
} from '@switchyard/contracts';
import { type CatalogSnapshot, type CatalogSnapshotInput, catalogSnapshotSchema, type RoutingTable } from '@switchyard/llm-spec';
import { bootstrapService, createLogger, dropSchema, listeningPort } from '@switchyard/nest-kit';
import { TEST_ADMIN_TOKEN, TEST_DATABASE_URL, TEST_NATS_URL, uniqueSchema } from '@switchyard/nest-kit/testing';
import { AppModule } from '../../src/app.module.js';
import { CatalogService } from '../../src/catalog/catalog.service.js';
import { routingConfigSchema } from '../../src/config/routing.config.js';

/** Fast timings for tests: cool-down 400 ms, ticks every 50 ms. */
export const FAST_ENV: Record<string, string> = {
  BREAKER_COOL_DOWN_MS: '400',
  BREAKER_MAX_COOL_DOWN_MS: '5000',
  BREAKER_TICK_MS: '50',
  PROBE_INTERVAL_MS: '300',
  PROBE_TIMEOUT_MS: '2000',
  PROBE_LIVENESS_MS: '1500',
  TABLE_MIN_PUBLISH_INTERVAL_MS: '50',
  TABLE_PUBLISH_INTERVAL_MS: '5000',
  STATS_SNAPSHOT_INTERVAL_MS: '60000',
  DRAIN_SYNC_INTERVAL_MS: '60000',
  CATALOG_REFRESH_INTERVAL_MS: '60000',
  ACCOUNT_LOOKUP_TIMEOUT_MS: '300',
  LOG_LEVEL: 'warn',
};

export interface RoutingInstance {
  app: NestFastifyApplication;
  base: string;
  close(): Promise<void>;
  admin(path: string, init?: RequestInit): Promise<Response>;
  /** One endpoint's row of `GET /admin/health-table`. */
  healthRow(endpointId: string): Promise<any>;
}

/** A response body as JSON (tests assert on its shape). */
export async function json(response: Response): Promise<any> {
  return response.json();
}

export async function startRouting(schema: string, env: Record<string, string> = {}): Promise<RoutingInstance> {
  const config = routingConfigSchema.parse({
    ...FAST_ENV,
    ...env,
    DATABASE_URL: TEST_DATABASE_URL,
    NATS_URL: TEST_NATS_URL,
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    DB_SCHEMA: schema,
    PORT: '0',
    HOST: '127.0.0.1',
  });
  const app = await bootstrapService({ serviceName: 'routing', module: AppModule.forRoot(config) as never, port: 0, host: '127.0.0.1', natsUrl: TEST_NATS_URL, logger: createLogger('routing', { level: process.env.TEST_SERVICE_LOGS ? 'debug' : 'warn' }) });
  const base = `http://127.0.0.1:${listeningPort(app)}`;
  let closed = false;
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string> | undefined) },
    });
  return {
    app,
    base,
    close: async () => {
      if (closed) return;
      closed = true;
      await app.close();
    },
    admin,
    healthRow: async (endpointId) => {
      const body = await json(await admin('/admin/health-table'));
      return body.endpoints.find((endpoint: { id: string }) => endpoint.id === endpointId);
    },
  };
}

/**
 * One routing service with its fake peers for a test file: started before the file's tests (with `catalog` and
 * extra `env` if given), stopped after them, its schema dropped. Tests read `suite.peers` and `suite.routing`.
 */
export function routingSuite(options: { catalog?: CatalogSnapshot; env?: Record<string, string> } = {}): { peers: Peers; routing: RoutingInstance } {
  const schema = uniqueSchema('routing');
  const suite = {} as { peers: Peers; routing: RoutingInstance };
  beforeAll(async () => {
    suite.peers = new Peers();
    if (options.catalog) suite.peers.catalog = options.catalog;
    await suite.peers.start();
    suite.routing = await startRouting(schema, options.env);
    await suite.routing.app.get(CatalogService).ready;
  });
  afterAll(async () => {
    await suite.routing?.close();
    await suite.peers?.stop();
    await dropSchema(TEST_DATABASE_URL, schema);
  });
  return suite;
}

// ---------------------------------------------------------------------------------------------------------------
// Catalog fixtures

export const MODEL = 'acme/chat-1';
export const ENDPOINT_A = `${MODEL}@alpha`;
export const ENDPOINT_B = `${MODEL}@beta`;

function provider(slug: string, training = false): CatalogSnapshotInput['providers'][number] {
  return { slug, name: slug.toUpperCase(), wireFormat: 'openai', baseUrl: `https://${slug}.example.com/v1`, dataPolicy: { training, retainsPrompts: false, zdr: !training } };
}

function endpoint(tag: string, prompt: string): CatalogSnapshotInput['endpoints'][number] {
  return {
    id: `${MODEL}@${tag}`,
    modelId: MODEL,
    providerSlug: tag,
    tag,
    upstreamModelId: `chat-1-${tag}`,
    pricing: { prompt, completion: prompt },
    contextLength: 32_000,
    supportedParameters: ['max_tokens', 'temperature', 'tools'],
  };
}

/** acme/chat-1 at alpha (cheaper) and beta; gamma trains on prompts (dropped by the default privacy policy). */
export function catalogSnapshot(version = 1): CatalogSnapshot {
  return catalogSnapshotSchema.parse({
    version,
    generatedAt: new Date().toISOString(),
    providers: [provider('alpha'), provider('beta'), provider('gamma', true)],
    models: [{ id: MODEL, canonicalSlug: MODEL, name: 'Chat 1', created: 1_700_000_000, contextLength: 32_000 }],
    endpoints: [endpoint('alpha', '0.000001'), endpoint('beta', '0.000002'), endpoint('gamma', '0.0000005')],
  });
}

/** acme/chat-1 at `count` providers p00, p01…, for tables of many entries. */
export function catalogWithEndpoints(count: number, version = 1): CatalogSnapshot {
  const tags = Array.from({ length: count }, (_, index) => `p${String(index).padStart(2, '0')}`);
  return catalogSnapshotSchema.parse({
    version,
    generatedAt: new Date().toISOString(),
    providers: tags.map((tag) => provider(tag)),
    models: [{ id: MODEL, canonicalSlug: MODEL, name: 'Chat 1', created: 1_700_000_000, contextLength: 32_000 }],
    endpoints: tags.map((tag) => endpoint(tag, '0.000001')),
  });
}

export const EMBED_MODEL = 'acme/embed-1';
export const EMBED_ENDPOINT = `${EMBED_MODEL}@alpha`;
export const RERANK_MODEL = 'acme/rerank-1';
export const RERANK_ENDPOINT = `${RERANK_MODEL}@alpha`;

/** The catalog above plus an embedding model (output modality "embeddings") and a rerank model ("rerank") served at alpha. */
export function catalogWithEmbeddings(version = 1): CatalogSnapshot {
  const base = catalogSnapshot(version);
  return catalogSnapshotSchema.parse({
    ...base,
    models: [
      ...base.models,
      { id: EMBED_MODEL, canonicalSlug: EMBED_MODEL, name: 'Embed 1', created: 1_700_000_000, contextLength: 8_192, outputModalities: ['embeddings'] },
      { id: RERANK_MODEL, canonicalSlug: RERANK_MODEL, name: 'Rerank 1', created: 1_700_000_000, contextLength: 4_096, outputModalities: ['rerank'] },
    ],
    endpoints: [
      ...base.endpoints,
      { id: EMBED_ENDPOINT, modelId: EMBED_MODEL, providerSlug: 'alpha', tag: 'alpha', upstreamModelId: 'embed-1-alpha', pricing: { prompt: '0.0000001', completion: '0' }, contextLength: 8_192, supportedParameters: [] },
      { id: RERANK_ENDPOINT, modelId: RERANK_MODEL, providerSlug: 'alpha', tag: 'alpha', upstreamModelId: 'rerank-1-alpha', pricing: { prompt: '0', completion: '0', request: '0.002' }, contextLength: 4_096, supportedParameters: [] },
    ],
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Fake peers on real NATS

/** Answers a Nest-transport RPC (`{pattern, data, id}` → `{id, response, isDisposed}`). */
function replyRpc(message: Msg, response: unknown): void {
  const request = JSON.parse(new TextDecoder().decode(message.data)) as { id: string };
  message.respond(JSON.stringify({ id: request.id, response, isDisposed: true }));
}

export type ProbeBehaviour = 'ok' | 'fail' | 'silent';

/**
 * The peers routing talks to: a catalog answering snapshots, a providers fake answering `providers.chat` with
 * frames like the real service (optionally publishing `attemptCompleted` for each attempt, as providers does), an
 * optional billing key snapshot, plus helpers to publish attempt events and collect published tables.
 */
export class Peers {
  nc!: NatsConnection;
  catalog: CatalogSnapshot = catalogSnapshot();
  keySnapshot: KeySnapshot | undefined;
  /** What the providers status RPC reports as providers without a platform key (null: it cannot tell). */
  uncredentialed: string[] | null = null;
  readonly chatRequests: ParsedProviderChatRequest[] = [];
  readonly embedRequests: ParsedProviderEmbedRequest[] = [];
  /** Tables published whole on table-updated. */
  readonly tables: RoutingTable[] = [];
  /** Announcements published on table-updated instead of a table too large for one message. */
  readonly announcements: RoutingTableAnnouncement[] = [];
  behaviour = new Map<string, ProbeBehaviour>();
  publishAttemptEvents = false;
  private readonly subscriptions: Subscription[] = [];
  private sequence = 0;

  async start(): Promise<this> {
    this.nc = await connect({ servers: TEST_NATS_URL, name: 'routing-test-peers' });
    this.subscriptions.push(
      this.nc.subscribe(subjects.catalog.snapshot, { queue: 'catalog', callback: (_error, message) => replyRpc(message, this.catalog) }),
      this.nc.subscribe(subjects.billing.keySnapshot, {
        queue: 'billing',
        callback: (_error, message) => {
          if (this.keySnapshot) replyRpc(message, this.keySnapshot);
        },
      }),
      this.nc.subscribe(subjects.providers.status, { queue: 'providers', callback: (_error, message) => replyRpc(message, { uncredentialed: this.uncredentialed }) }),
      this.nc.subscribe(subjects.providers.chat, { queue: 'providers', callback: (_error, message) => this.answerChat(message) }),
      this.nc.subscribe(subjects.providers.embed, { queue: 'providers', callback: (_error, message) => this.answerEmbed(message) }),
      this.nc.subscribe(subjects.routing.tableUpdated, {
        callback: (_error, message) => {
          const update = routingTableUpdatedSchema.parse(JSON.parse(new TextDecoder().decode(message.data)));
          if ('paged' in update) this.announcements.push(update);
          else this.tables.push(update);
        },
      }),
    );
    await this.nc.flush();
    return this;
  }

  async stop(): Promise<void> {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    await this.nc?.drain();
  }

  private answerChat(message: Msg): void {
    const request = providerChatRequestSchema.parse(JSON.parse(new TextDecoder().decode(message.data)));
    this.chatRequests.push(request);
    const behaviour = this.behaviour.get(request.endpoint.id) ?? 'ok';
    if (behaviour === 'silent' || !message.reply) return;
    const ok = behaviour === 'ok';
    const frame = ok
      ? { k: 'parts', parts: [{ type: 'text-delta', text: 'p' }, { type: 'finish', finishReason: 'length' }], end: { upstreamMs: 12, ttftMs: 8, upstreamStatus: 200 } }
      : { k: 'failed', error: { status: 503, errorType: 'provider_overloaded', message: 'upstream overloaded', retryable: true, phase: 'status' }, contentSent: false, upstreamMs: 5, ttftMs: null };
    this.nc.publish(message.reply, JSON.stringify(frame));
    if (this.publishAttemptEvents) {
      this.publishAttempt({
        attemptId: request.attemptId,
        generationId: request.generationId,
        endpointId: request.endpoint.id,
        ok,
        status: ok ? 200 : 503,
        errorType: ok ? null : 'provider_overloaded',
        ttftMs: ok ? 8 : null,
      });
    }
  }

  /** Answers an embeddings call as providers does: the vectors, then `done` (or one `failed` frame); a rerank call with its scores on `done`. */
  private answerEmbed(message: Msg): void {
    const request = providerEmbedRequestSchema.parse(JSON.parse(new TextDecoder().decode(message.data)));
    this.embedRequests.push(request);
    const behaviour = this.behaviour.get(request.endpoint.id) ?? 'ok';
    if (behaviour === 'silent' || !message.reply) return;
    if (behaviour === 'fail') {
      this.nc.publish(message.reply, JSON.stringify({ k: 'failed', error: { status: 503, errorType: 'provider_overloaded', message: 'upstream overloaded', retryable: true, phase: 'status' }, upstreamMs: 5 }));
      return;
    }
    const call = request.request;
    const count = call.operation === 'rerank' ? 0 : call.input.length;
    if (count > 0) this.nc.publish(message.reply, JSON.stringify({ k: 'items', items: Array.from({ length: count }, (_, index) => ({ index, embedding: [0.1, 0.2] })) }));
    const results = call.operation === 'rerank' ? call.documents.map((_, index) => ({ index, relevanceScore: 1 / (index + 1) })) : undefined;
    const usage = { promptTokens: count, completionTokens: 0, totalTokens: count, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, estimated: false };
    this.nc.publish(message.reply, JSON.stringify({ k: 'done', count, ...(results ? { results } : {}), usage, upstreamId: null, upstreamModel: null, upstreamMs: 7, upstreamStatus: 200 }));
  }

  /** Publishes one `attemptCompleted` event (a success at alpha unless told otherwise). */
  publishAttempt(overrides: Partial<AttemptCompleted> = {}): void {
    this.sequence++;
    const event: AttemptCompleted = {
      attemptId: `att-test-${this.sequence}`,
      generationId: `gen-test-${this.sequence}`,
      endpointId: ENDPOINT_A,
      providerSlug: 'alpha',
      modelId: MODEL,
      ok: true,
      status: 200,
      ttftMs: 150,
      durationMs: 900,
      completionTokens: 40,
      tokensPerSecond: 60,
      at: Date.now(),
      ...overrides,
    };
    this.nc.publish(subjects.providers.attemptCompleted, JSON.stringify(event));
  }

  publishFailures(endpointId: string, count: number, overrides: Partial<AttemptCompleted> = {}): void {
    for (let index = 0; index < count; index++) {
      this.publishAttempt({ endpointId, ok: false, status: 502, errorType: 'provider_unavailable', retryable: true, ttftMs: null, completionTokens: 0, tokensPerSecond: null, ...overrides });
    }
  }

  /** Raw Nest-transport RPC (what ingress's NatsService.request sends). */
  async rpc<T>(subject: string, data: unknown): Promise<{ response?: T; err?: { status: number; message: string; errorType: string; metadata: Record<string, unknown> } }> {
    const reply = await this.nc.request(subject, JSON.stringify({ pattern: subject, data, id: `rpc-${++this.sequence}` }), { timeout: 5_000 });
    return JSON.parse(new TextDecoder().decode(reply.data));
  }

  /** Tables published since `since` (index into `tables`). */
  tablesSince(since: number): RoutingTable[] {
    return this.tables.slice(since);
  }
}
