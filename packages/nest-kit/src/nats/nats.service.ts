import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { connect, createInbox, headers as createHeaders, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { GatewayError, serializedGatewayErrorSchema, ServiceUnavailableError } from '@switchyard/contracts';
import { randomUUID } from 'node:crypto';
import { HealthRegistry } from '../admin/health.registry.js';
import { extractTraceContext, injectTraceContext, otelContext, SpanKind, withSpan } from '../telemetry/telemetry.js';
import { decodeJson, encodeJson } from './nats-json.js';
import { activeTraceparent, encodeEvents, EventBatcher, eventBatchWindowMs, splitEventBatch, type BatchItem } from './event-batch.js';

export const NATS_OPTIONS = Symbol('NATS_OPTIONS');

export interface NatsModuleOptions {
  url: string;
  /** Connection name shown by the server, usually the service name. */
  name: string;
}

export interface RequestOptions {
  timeoutMs?: number;
}

export interface SubscribeOptions {
  /** Queue group: one member of the group receives each message (horizontal scaling). None = every replica. */
  queue?: string;
  /** Span name for handled messages; no span when omitted (cheap broadcast events). */
  spanName?: string;
}

/**
 * The service's NATS connection (core + JetStream), with JSON helpers that carry W3C trace context in message
 * headers. RPC requests speak the wire protocol of Nest's NATS transport (`{pattern, data, id}` →
 * `{id, response | err, isDisposed}`), so they reach `@MessagePattern` handlers, with a per-request timeout that
 * Nest's own client lacks.
 */
/** NATS' default `max_payload`, bytes. */
export const DEFAULT_MAX_PAYLOAD = 1_048_576;

@Injectable()
export class NatsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Nats');
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private jsm: Promise<JetStreamManager> | undefined;
  private connected = false;
  private readonly reconnectListeners = new Set<() => void>();
  private readonly batcher = new EventBatcher((subject, items) => this.sendBatch(subject, items), { windowMs: eventBatchWindowMs() });

  constructor(
    @Inject(NATS_OPTIONS) private readonly options: NatsModuleOptions,
    private readonly health: HealthRegistry,
  ) {}

  async onModuleInit(): Promise<void> {
    this.nc = await connect({
      servers: this.options.url.split(','),
      name: this.options.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      waitOnFirstConnect: true,
      pingInterval: 10_000,
    });
    this.connected = true;
    this.logger.log(`connected to ${this.nc.getServer()}`);
    void this.watchStatus(this.nc);
    this.health.register('nats', () => ({ ok: this.connected && !this.nc?.isClosed(), detail: this.connected ? this.nc?.getServer() : 'disconnected' }));
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        this.connected = false;
        this.logger.warn('disconnected from NATS; reconnecting');
      } else if (status.type === 'reconnect') {
        this.connected = true;
        this.logger.log('reconnected to NATS');
        for (const listener of this.reconnectListeners) listener();
      }
    }
  }

  get connection(): NatsConnection {
    if (!this.nc) throw new Error('NATS is not connected yet');
    return this.nc;
  }

  /**
   * The largest message the server takes, bytes (`max_payload` of its INFO; NATS' default 1 MiB before the first
   * INFO). Payloads that may grow (snapshots, frames) are sized below it.
   */
  get maxPayload(): number {
    return this.nc?.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
  }

  /** Connected now: false while reconnecting, and for good once the connection is closed (drained at shutdown). */
  get isConnected(): boolean {
    return this.connected && this.nc !== undefined && !this.nc.isClosed();
  }

  /** Called after every reconnect (caches refetch their snapshots). */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  jetstream(): JetStreamClient {
    this.js ??= jetstream(this.connection, { timeout: 5_000 });
    return this.js;
  }

  jetstreamManager(): Promise<JetStreamManager> {
    if (!this.jsm) {
      const pending = jetstreamManager(this.connection, { timeout: 5_000 });
      this.jsm = pending;
      // A failure (JetStream briefly unavailable) must not be cached forever.
      pending.catch(() => {
        if (this.jsm === pending) this.jsm = undefined;
      });
    }
    return this.jsm;
  }

  /** New headers carrying the active trace context. */
  traceHeaders(): MsgHdrs {
    const headers = createHeaders();
    injectTraceContext(headers);
    return headers;
  }

  publish(subject: string, data: unknown, options: { headers?: MsgHdrs; reply?: string } = {}): void {
    this.publishEncoded(subject, encodeJson(data), options);
  }

  /** `publish` of a payload already encoded as JSON (by a caller that had to measure it first). */
  publishEncoded(subject: string, json: string, options: { headers?: MsgHdrs; reply?: string } = {}): void {
    this.connection.publish(subject, json, { headers: options.headers ?? this.traceHeaders(), reply: options.reply });
  }

  /**
   * Publishes a broadcast event that may travel with others of its subject published within a few milliseconds
   * (one message per batch; `subscribe` hands the events over one by one). For high-rate, loss-tolerant core
   * events such as attempt outcomes; never throws (a closed connection drops the batch, as a core publish would).
   */
  publishBatched(subject: string, data: unknown): void {
    this.batcher.add(subject, encodeJson(data), activeTraceparent());
  }

  private sendBatch(subject: string, items: BatchItem[]): void {
    try {
      const { payload, headers } = encodeEvents(items);
      this.connection.publish(subject, payload, { headers });
    } catch (error) {
      this.logger.debug(`${items.length} event(s) on ${subject} not published: ${(error as Error).message}`);
    }
  }

  /** Request/reply to a Nest `@MessagePattern` handler; rehydrates a GatewayError the handler threw. */
  async request<T>(subject: string, data: unknown, options: RequestOptions = {}): Promise<T> {
    const timeout = options.timeoutMs ?? 5_000;
    let reply: Msg;
    try {
      reply = await this.connection.request(subject, encodeJson({ pattern: subject, data, id: randomUUID() }), { timeout, headers: this.traceHeaders() });
    } catch (error) {
      const code = (error as { code?: string; name?: string }).name ?? (error as { code?: string }).code;
      throw new ServiceUnavailableError(`${subject} did not answer (${code ?? 'error'}): ${(error as Error).message}`, { subject });
    }
    const packet = decodeJson(reply.data) as ReplyPacket;
    if (packet.err !== undefined && packet.err !== null) throw handlerError(subject, packet.err);
    return packet.response as T;
  }

  /**
   * Request/reply to a handler that may answer in several messages (it returns an Observable, e.g. a snapshot in
   * pages, see snapshot-pages.ts): every response in order, once the last one (`isDisposed`) arrived. A handler
   * that answers once gives one response. Fails like `request` on a timeout, no responder or a handler error.
   */
  requestAll<T>(subject: string, data: unknown, options: RequestOptions = {}): Promise<T[]> {
    const timeout = options.timeoutMs ?? 5_000;
    const nc = this.connection;
    return new Promise<T[]>((resolve, reject) => {
      const responses: T[] = [];
      const inbox = createInbox();
      let subscription: Subscription | undefined;
      const end = (error?: Error) => {
        clearTimeout(timer);
        subscription?.unsubscribe();
        if (error) reject(error);
        else resolve(responses);
      };
      const timer = setTimeout(() => end(new ServiceUnavailableError(`${subject} did not answer (TimeoutError): ${responses.length} message(s) in ${timeout} ms`, { subject })), timeout);
      try {
        subscription = nc.subscribe(inbox, {
          callback: (error, message) => {
            if (error) return end(new ServiceUnavailableError(`${subject} did not answer: ${error.message}`, { subject }));
            // nats-server answers a request nobody listens to with an empty message (status 503).
            if (message.data.length === 0) return end(new ServiceUnavailableError(`${subject} did not answer (no responders)`, { subject }));
            let packet: ReplyPacket;
            try {
              packet = decodeJson(message.data) as ReplyPacket;
            } catch {
              return end(new ServiceUnavailableError(`${subject} answered with something that is not JSON`, { subject }));
            }
            if (packet.err !== undefined && packet.err !== null) return end(handlerError(subject, packet.err));
            if (packet.response !== undefined) responses.push(packet.response as T);
            if (packet.isDisposed) end();
          },
        });
        nc.publish(subject, encodeJson({ pattern: subject, data, id: randomUUID() }), { reply: inbox, headers: this.traceHeaders() });
      } catch (error) {
        end(new ServiceUnavailableError(`${subject} could not be asked: ${(error as Error).message}`, { subject }));
      }
    });
  }

  /**
   * Subscribes with a JSON handler. Handler errors are logged, never thrown into the NATS client. With
   * `spanName`, each message runs in a span that continues the sender's trace. A batch message (publishBatched)
   * calls the handler once per event, each in its own trace context.
   */
  subscribe(subject: string, handler: (data: unknown, message: Msg) => unknown, options: SubscribeOptions = {}): Subscription {
    return this.connection.subscribe(subject, {
      queue: options.queue,
      callback: (error, message) => {
        if (error) {
          this.logger.error(`subscription ${subject} failed: ${error.message}`);
          return;
        }
        const batch = splitEventBatch(message);
        if (!batch) return this.deliver(subject, handler, options, message, message.data, message.headers);
        for (const event of batch) this.deliver(subject, handler, options, message, event.data, event.headers);
      },
    });
  }

  private deliver(subject: string, handler: (data: unknown, message: Msg) => unknown, options: SubscribeOptions, message: Msg, bytes: Uint8Array, headers: MsgHdrs | undefined): void {
    let data: unknown;
    try {
      data = decodeJson(bytes);
    } catch {
      this.logger.warn(`dropped a message on ${subject} that is not JSON`);
      return;
    }
    const run = () => handler(data, message);
    let outcome: unknown;
    try {
      outcome = options.spanName
        ? withSpan(options.spanName, run, { kind: SpanKind.CONSUMER, parent: extractTraceContext(headers) })
        : otelContext.with(extractTraceContext(headers), run);
    } catch (handlerError) {
      this.logger.error(`handler for ${subject} failed: ${(handlerError as Error).message}`, (handlerError as Error).stack);
      return;
    }
    if (outcome instanceof Promise) outcome.catch((handlerError: unknown) => this.logger.error(`handler for ${subject} failed: ${(handlerError as Error).message}`, (handlerError as Error).stack));
  }

  async onApplicationShutdown(): Promise<void> {
    const nc = this.nc;
    if (!nc || nc.isClosed()) return;
    this.batcher.closeAll();
    try {
      await nc.drain();
    } catch (error) {
      this.logger.warn(`drain failed: ${(error as Error).message}`);
      await nc.close().catch(() => undefined);
    }
  }
}

/** A reply of Nest's NATS transport. */
interface ReplyPacket {
  response?: unknown;
  err?: unknown;
  isDisposed?: boolean;
}

/** The GatewayError a handler threw (serialised by GatewayExceptionFilter), or a 500 naming the subject. */
function handlerError(subject: string, err: unknown): GatewayError {
  const parsed = serializedGatewayErrorSchema.safeParse(err);
  if (parsed.success) return GatewayError.fromJSON(parsed.data);
  return new GatewayError(500, `RPC ${subject} failed`, { errorType: 'server', metadata: { subject }, cause: err });
}
