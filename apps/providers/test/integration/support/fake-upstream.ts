import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake upstream received, and how its connection ended. */
export interface UpstreamCall {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  receivedAt: number;
  /** When the response closed (performance.now()). */
  closedAt?: number;
  /** The connection closed before the response was complete (the client went away). */
  aborted?: boolean;
}

export interface ScenarioContext {
  request: IncomingMessage;
  response: ServerResponse;
  body: Record<string, unknown>;
  call: UpstreamCall;
  /** Resolves when the response closes (done or aborted). */
  closed: Promise<void>;
}

export type Scenario = (context: ScenarioContext) => Promise<void> | void;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A tiny upstream on node:http speaking the OpenAI Chat Completions and Anthropic Messages wire formats. The
 * scenario is picked by the request's `model` (the endpoint's upstream model id); unknown models get a normal
 * answer. Every call is recorded with how its connection ended, so tests can see what reached the upstream and
 * when a cancel closed the socket.
 */
export class FakeUpstream {
  readonly calls: UpstreamCall[] = [];
  private readonly scenarios = new Map<string, Scenario>();
  private server: Server | undefined;
  private closeWaiters: Array<() => void> = [];
  baseUrl = '';
  port = 0;

  on(model: string, scenario: Scenario): this {
    this.scenarios.set(model, scenario);
    return this;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => void this.handle(request, response));
    this.server.keepAliveTimeout = 10_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    this.baseUrl = `http://127.0.0.1:${this.port}`;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  callsFor(model: string): UpstreamCall[] {
    return this.calls.filter((call) => call.body.model === model);
  }

  /** Waits until the call for `model` has closed. */
  async closedCall(model: string, timeoutMs = 5_000): Promise<UpstreamCall> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const call = this.callsFor(model).find((candidate) => candidate.closedAt !== undefined);
      if (call) return call;
      if (Date.now() > deadline) throw new Error(`no closed call for ${model} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.closeWaiters.push(resolve);
        setTimeout(resolve, 20);
      });
    }
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      body = {};
    }
    const call: UpstreamCall = { path: request.url ?? '', headers: request.headers, body, receivedAt: performance.now() };
    this.calls.push(call);
    const closed = new Promise<void>((resolve) => {
      response.on('close', () => {
        call.closedAt = performance.now();
        call.aborted = !response.writableFinished;
        this.closeWaiters.splice(0).forEach((wake) => wake());
        resolve();
      });
    });
    const model = typeof body.model === 'string' ? body.model : '';
    const anthropic = (request.url ?? '').endsWith('/messages');
    const scenario = this.scenarios.get(model) ?? (anthropic ? anthropicAnswer('Hello from Claude') : openAiAnswer(['Hello', ' there', '!']));
    try {
      await scenario({ request, response, body, call, closed });
    } catch {
      if (!response.destroyed) response.destroy();
    }
  }
}

export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function openAiChunk(model: string, delta: Record<string, unknown>, finishReason: string | null = null): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1_770_000_000, model, choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`;
}

export function openAiUsageChunk(model: string, usage: OpenAiUsage): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1_770_000_000, model, choices: [], usage })}\n\n`;
}

export function startSse(response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  response.flushHeaders();
}

/** A normal OpenAI answer: JSON for `stream: false`, SSE deltas + a usage chunk + [DONE] for streams. */
export function openAiAnswer(tokens: string[], options: { delayMs?: number; usage?: OpenAiUsage } = {}): Scenario {
  return async ({ response, body, closed }) => {
    const model = String(body.model);
    const usage = options.usage ?? { prompt_tokens: 11, completion_tokens: tokens.length, total_tokens: 11 + tokens.length };
    if (body.stream !== true) {
      if (options.delayMs) await sleep(options.delayMs);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id: 'chatcmpl-fake',
          object: 'chat.completion',
          created: 1_770_000_000,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: tokens.join('') }, finish_reason: 'stop' }],
          usage,
        }),
      );
      return;
    }
    let gone = false;
    void closed.then(() => (gone = true));
    startSse(response);
    response.write(openAiChunk(model, { role: 'assistant', content: '' }));
    for (const token of tokens) {
      if (options.delayMs) await sleep(options.delayMs);
      if (gone) return;
      response.write(openAiChunk(model, { content: token }));
    }
    response.write(openAiChunk(model, {}, 'stop'));
    response.write(openAiUsageChunk(model, usage));
    response.end('data: [DONE]\n\n');
  };
}

/** An error status with an OpenAI-style body and optional headers (Retry-After...). */
export function openAiError(status: number, message: string, options: { code?: string; headers?: Record<string, string> } = {}): Scenario {
  return ({ response }) => {
    response.writeHead(status, { 'content-type': 'application/json', ...options.headers });
    response.end(JSON.stringify({ error: { message, type: options.code ?? 'error', code: options.code ?? null } }));
  };
}

/** Never answers (until the client gives up and closes the socket). */
export function hang(): Scenario {
  return async ({ closed }) => {
    await closed;
  };
}

/** Headers, then the first token, then silence. */
export function stallAfterFirstToken(): Scenario {
  return async ({ response, body, closed }) => {
    startSse(response);
    response.write(openAiChunk(String(body.model), { role: 'assistant', content: 'Once' }));
    await closed;
  };
}

/** Headers and SSE comments only: the first token never comes. */
export function noFirstToken(): Scenario {
  return async ({ response, closed }) => {
    startSse(response);
    response.write(': keep-alive\n\n');
    await closed;
  };
}

/** An Anthropic Messages answer, JSON or SSE. */
export function anthropicAnswer(text: string): Scenario {
  return ({ response, body }) => {
    const model = String(body.model);
    if (body.stream !== true) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ id: 'msg_fake', type: 'message', role: 'assistant', model, content: [{ type: 'text', text }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 25, output_tokens: 15 } }),
      );
      return;
    }
    startSse(response);
    const event = (name: string, data: unknown) => response.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
    event('message_start', { type: 'message_start', message: { id: 'msg_fake', type: 'message', role: 'assistant', content: [], model, stop_reason: null, stop_sequence: null, usage: { input_tokens: 25, output_tokens: 1 } } });
    event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    event('ping', { type: 'ping' });
    for (const piece of text.split(/(?<= )/)) event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } });
    event('content_block_stop', { type: 'content_block_stop', index: 0 });
    event('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 15 } });
    event('message_stop', { type: 'message_stop' });
    response.end();
  };
}

/** Content, then a mid-stream error chunk (OpenRouter / OpenAI-compatible hosts report failures that way). */
export function midStreamError(tokens: string[], error: { message: string; code: string | number }): Scenario {
  return ({ response, body }) => {
    const model = String(body.model);
    startSse(response);
    for (const token of tokens) response.write(openAiChunk(model, { content: token }));
    response.end(`data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', model, error, choices: [] })}\n\n`);
  };
}

/** Content, then EOF without a finish_reason or [DONE]: a truncated generation. */
export function truncatedStream(tokens: string[]): Scenario {
  return ({ response, body }) => {
    startSse(response);
    for (const token of tokens) response.write(openAiChunk(String(body.model), { content: token }));
    response.end();
  };
}

/** One streamed tool call whose arguments arrive in pieces (valid JSON or not, as given). */
export function toolCallStream(name: string, argumentPieces: string[]): Scenario {
  return ({ response, body }) => {
    const model = String(body.model);
    startSse(response);
    response.write(openAiChunk(model, { role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_fake_1', type: 'function', function: { name, arguments: '' } }] }));
    for (const piece of argumentPieces) response.write(openAiChunk(model, { tool_calls: [{ index: 0, function: { arguments: piece } }] }));
    response.write(openAiChunk(model, {}, 'tool_calls'));
    response.write(openAiUsageChunk(model, { prompt_tokens: 40, completion_tokens: 9, total_tokens: 49 }));
    response.end('data: [DONE]\n\n');
  };
}
