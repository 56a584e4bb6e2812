import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIMULATOR_CONFIG, type SimulatorConfig } from '../config/simulator.config.js';
import { PromptCache } from '../generation/generation-plan.js';
import { KnobStore } from '../knobs/knob-store.js';
import { WILDCARD_MODEL, type EffectiveKnobs } from '../knobs/knobs.schema.js';
import type { Outcome, TokenCounts } from '../ledger/usage-ledger.js';
import { UsageLedger } from '../ledger/usage-ledger.js';
import { SimulatorMetrics } from '../ledger/simulator-metrics.js';
import { Exchange, type ExchangeHost, type InflightView } from './exchange.js';
import { authenticationStatus, renderError, RequestError, type ErrorResponse, type WireFormat } from './formats/errors.js';
import { renderOpenAiModels } from './formats/openai-misc.renderer.js';
import { formatOfPath, matchRoute, prepareRequest, type PreparedRequest, type Route } from './routes.js';

/** Models listed by GET /openai/v1/models besides those named in the knobs (the simulator answers any model id). */
export const LISTED_MODELS: readonly string[] = Object.freeze([
  'openai/gpt-4o-mini',
  'openai/gpt-4.1-nano',
  'anthropic/claude-sonnet-4.5',
  'anthropic/claude-haiku-4.5',
  'google/gemini-2.5-flash',
  'meta-llama/llama-3.3-70b-instruct',
  'deepseek/deepseek-r1',
]);

/** How long a graceful close waits for answers to drain before it drops the remaining connections. */
const CLOSE_DEADLINE_MS = 5_000;

function safeEqual(presented: string, expected: string): boolean {
  const left = Buffer.from(presented);
  const right = Buffer.from(expected);
  return left.length === right.length && timingSafeEqual(left, right);
}

function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  return header.length > 7 && header.slice(0, 7).toLowerCase() === 'bearer ' ? header.slice(7).trim() : undefined;
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The simulated upstream providers: a plain node:http server (keep-alive, no framework) on SIMULATOR_PORT, started
 * and closed with the Nest application. Per request: route, read the body, authenticate, validate, consult the
 * knobs, then answer through an Exchange.
 */
@Injectable()
export class SimulatorServer implements OnApplicationBootstrap, BeforeApplicationShutdown, ExchangeHost {
  private readonly logger = new Logger('SimulatorServer');
  private server: Server | undefined;
  private readonly inflight = new Map<string, Exchange>();
  private readonly bootId = randomBytes(4).toString('hex');
  private sequence = 0;
  readonly promptCache = new PromptCache();

  constructor(
    @Inject(SIMULATOR_CONFIG) private readonly config: SimulatorConfig,
    private readonly knobs: KnobStore,
    private readonly ledger: UsageLedger,
    private readonly metrics: SimulatorMetrics,
  ) {
  }

  async onApplicationBootstrap(): Promise<void> {
    const server = createServer({ keepAlive: true, keepAliveTimeout: 65_000, headersTimeout: 66_000, requestTimeout: 300_000 }, this.onRequest);
    server.keepAliveTimeout = 65_000;
    server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      if (error.code === 'ECONNRESET' || !socket.writable) {
        socket.destroy();
        return;
      }
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.SIMULATOR_PORT, this.config.SIMULATOR_HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.logger.log(`simulated upstreams listening on http://${this.config.SIMULATOR_HOST}:${this.port}`);
  }

  /** The port the upstream server listens on (tests start it on port 0). */
  get port(): number {
    const address = this.server?.address() as AddressInfo | null | undefined;
    return address?.port ?? 0;
  }

  inflightRequests(): InflightView[] {
    const now = Date.now();
    return [...this.inflight.values()].map((exchange) => exchange.view(now));
  }

  /** Graceful close: no new connections; answers in flight are sent in full at once; idle keep-alive sockets closed. */
  async beforeApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const exchange of [...this.inflight.values()]) exchange.shutdown();
    server.closeIdleConnections();
    const deadline = setTimeout(() => server.closeAllConnections(), CLOSE_DEADLINE_MS);
    deadline.unref();
    await closed;
    clearTimeout(deadline);
  }

  /** Knobs or counters were reset: forget the cache prefixes seen too. */
  resetState(): void {
    this.promptCache.clear();
  }

  nextRequestFails(model: string, knobs: EffectiveKnobs): boolean {
    return this.knobs.nextRequestFails(model, knobs);
  }

  ended(exchange: Exchange, outcome: Outcome, tokens: TokenCounts | undefined, usageReported: boolean): void {
    this.inflight.delete(exchange.id);
    this.metrics.inflight.set(this.inflight.size);
    this.ledger.record(exchange.model, outcome, tokens, usageReported);
    this.metrics.requests.inc({ route: exchange.route.label, model: exchange.model, outcome });
    if (tokens) {
      const model = exchange.model;
      if (tokens.promptTokens) this.metrics.tokens.inc({ model, kind: 'prompt' }, tokens.promptTokens);
      if (tokens.completionTokens) this.metrics.tokens.inc({ model, kind: 'completion' }, tokens.completionTokens);
      if (tokens.reasoningTokens) this.metrics.tokens.inc({ model, kind: 'reasoning' }, tokens.reasoningTokens);
      if (tokens.cachedTokens) this.metrics.tokens.inc({ model, kind: 'cached' }, tokens.cachedTokens);
      if (tokens.cacheWriteTokens) this.metrics.tokens.inc({ model, kind: 'cache_write' }, tokens.cacheWriteTokens);
    }
  }

  private readonly onRequest = (request: IncomingMessage, response: ServerResponse): void => {
    const url = request.url ?? '/';
    const queryStart = url.indexOf('?');
    const path = queryStart === -1 ? url : url.slice(0, queryStart);
    const query = queryStart === -1 ? '' : url.slice(queryStart + 1);
    const route = matchRoute(path);
    if (!route || request.method !== route.method) {
      if (path === '/health' || path === '/') {
        response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' }).end('ok');
        return;
      }
      const format = route?.format ?? formatOfPath(path);
      const status = route ? 405 : 404;
      this.sendError(response, renderError(format, status, `Invalid URL (${request.method ?? 'GET'} ${path})`), route?.label ?? 'unknown', '', 'not_found');
      request.resume();
      return;
    }
    if (route.method === 'GET') {
      request.resume();
      this.dispatch(route, request, response, query, '');
      return;
    }
    const limit = this.config.SIMULATOR_BODY_LIMIT_BYTES;
    const chunks: Buffer[] = [];
    let size = 0;
    let rejected = false;
    request.on('data', (chunk: Buffer) => {
      if (rejected) return;
      size += chunk.length;
      if (size > limit) {
        rejected = true;
        const error = renderError(route.format, 413, `Request body is larger than ${limit} bytes.`);
        error.headers.connection = 'close';
        this.sendError(response, error, route.label, '', 'invalid');
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (rejected) return;
      const raw = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
      this.dispatch(route, request, response, query, raw);
    });
    request.on('error', () => {
      rejected = true;
    });
  };

  private dispatch(route: Route, request: IncomingMessage, response: ServerResponse, query: string, raw: string): void {
    const format = route.format;
    const params = query ? new URLSearchParams(query) : undefined;
    const requestId = `${this.bootId}${(++this.sequence).toString(36)}`;
    const responseHeaders: Record<string, string> = format === 'anthropic' ? { 'request-id': `req_${requestId}` } : format === 'gemini' ? {} : { 'x-request-id': requestId };

    const authentication = this.authenticate(format, request, params);
    if (authentication) {
      const status = authenticationStatus(format, authentication);
      return this.sendError(response, renderError(format, status, undefined, { authentication, requestId: responseHeaders['request-id'] }), route.label, '', 'unauthorized', responseHeaders);
    }
    if (format === 'anthropic' && !header(request, 'anthropic-version')) {
      return this.sendError(response, renderError(format, 400, 'anthropic-version: header is required', { requestId: responseHeaders['request-id'] }), route.label, '', 'invalid', responseHeaders);
    }
    if (format === 'azure' && !params?.get('api-version')) {
      return this.sendError(response, { status: 404, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: { code: '404', message: 'Resource not found' } }) }, route.label, '', 'not_found', responseHeaders);
    }
    if (route.kind === 'openai-models') {
      const models = [...new Set([...LISTED_MODELS, ...Object.keys(this.knobs.entries()).filter((model) => model !== WILDCARD_MODEL)])];
      const body = renderOpenAiModels(models, 1_735_689_600);
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...responseHeaders });
      response.end(body);
      this.metrics.requests.inc({ route: route.label, model: '', outcome: 'completed' });
      return;
    }

    let body: unknown;
    try {
      body = raw.length === 0 ? undefined : JSON.parse(raw);
    } catch (error) {
      const message = format === 'anthropic' ? `There was an error parsing the body: ${(error as Error).message}` : `We could not parse the JSON body of your request: ${(error as Error).message}`;
      return this.sendError(response, renderError(format, 400, message, { requestId: responseHeaders['request-id'] }), route.label, '', 'invalid', responseHeaders);
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      return this.sendError(response, renderError(format, 400, 'The request body must be a JSON object.', { requestId: responseHeaders['request-id'] }), route.label, '', 'invalid', responseHeaders);
    }

    let prepared: PreparedRequest;
    try {
      prepared = prepareRequest(route, body, raw, {
        requestId,
        created: Math.floor(Date.now() / 1000),
        promptCache: this.promptCache,
        embeddingDimensions: this.config.DEFAULT_EMBEDDING_DIMENSIONS,
        geminiSse: params?.get('alt') === 'sse',
      });
    } catch (error) {
      const model = typeof (body as { model?: unknown }).model === 'string' ? ((body as { model: string }).model as string) : (route.pathModel ?? '');
      if (error instanceof RequestError) {
        return this.sendError(response, renderError(format, error.status, error.message, { param: error.param, requestId: responseHeaders['request-id'] }), route.label, model, 'invalid', responseHeaders);
      }
      this.logger.error(`${route.label} failed to prepare an answer: ${(error as Error).message}`, (error as Error).stack);
      return this.sendError(response, renderError(format, 500, undefined, { requestId: responseHeaders['request-id'] }), route.label, model, 'error', responseHeaders);
    }

    const exchange = new Exchange(requestId, this, request, response, route, prepared, this.knobs.forModel(prepared.model), responseHeaders);
    this.inflight.set(requestId, exchange);
    this.metrics.inflight.set(this.inflight.size);
    try {
      exchange.start();
    } catch (error) {
      // A bug while building the answer must not take the process down: answer 500 and end the exchange.
      this.logger.error(`${route.label} failed: ${(error as Error).message}`, (error as Error).stack);
      exchange.crash();
    }
  }

  /** undefined when the request may pass; otherwise why not. */
  private authenticate(format: WireFormat, request: IncomingMessage, params: URLSearchParams | undefined): 'missing' | 'invalid' | undefined {
    let key: string | undefined;
    switch (format) {
      case 'openai':
        key = bearer(header(request, 'authorization'));
        break;
      case 'azure':
        key = header(request, 'api-key') ?? bearer(header(request, 'authorization'));
        break;
      case 'anthropic':
        key = header(request, 'x-api-key') ?? bearer(header(request, 'authorization'));
        break;
      case 'gemini':
        key = header(request, 'x-goog-api-key') ?? params?.get('key') ?? undefined;
        break;
    }
    if (!key) return 'missing';
    const expected = this.config.SIMULATOR_API_KEY;
    if (expected !== undefined && !safeEqual(key, expected)) return 'invalid';
    return undefined;
  }

  private sendError(response: ServerResponse, error: ErrorResponse, route: string, model: string, outcome: string, extraHeaders: Record<string, string> = {}): void {
    if (!response.headersSent) {
      response.writeHead(error.status, { ...error.headers, ...extraHeaders, 'content-length': String(Buffer.byteLength(error.body)) });
      response.end(error.body);
    }
    this.metrics.requests.inc({ route, model, outcome });
  }
}
