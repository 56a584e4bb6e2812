import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { exchange, type ExchangeSink } from './upstream-exchange.js';

/** A sink that records what it was told, and can refuse the head or a chunk. */
function recorder(options: { stopAtHead?: boolean; stopAfterBytes?: number } = {}) {
  const events: string[] = [];
  let bytes = 0;
  const sink: ExchangeSink = {
    onHead: (status, headers) => {
      events.push(`head ${status} ${headers['content-type'] ?? ''}`);
      return !options.stopAtHead;
    },
    onChunk: (chunk) => {
      bytes += chunk.length;
      events.push(`chunk ${chunk.toString('utf8')}`);
      return options.stopAfterBytes === undefined || bytes < options.stopAfterBytes;
    },
    onEnd: () => void events.push('end'),
    onError: (error) => void events.push(`error ${error.name}: ${error.message}`),
  };
  return { events, sink };
}

describe('exchange (undici dispatch driving a sink)', () => {
  let server: Server;
  let pool: Pool;
  let closedEarly = 0;

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        if (request.url === '/json') {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end('{"ok":true}');
        } else if (request.url === '/chunks') {
          response.writeHead(200, { 'content-type': 'text/event-stream' });
          response.write('data: one\n\n');
          setTimeout(() => response.write('data: two\n\n'), 20);
          setTimeout(() => response.end('data: [DONE]\n\n'), 40);
        } else if (request.url === '/burst') {
          // Three HTTP chunks in one write: they reach the client in one read.
          response.writeHead(200, { 'content-type': 'text/event-stream' });
          response.cork();
          for (const index of [1, 2, 3]) response.write(`data: ${index}\n\n`);
          response.end();
          response.uncork();
        } else if (request.url === '/endless') {
          response.writeHead(200, { 'content-type': 'text/event-stream' });
          const timer = setInterval(() => response.write('data: more\n\n'), 10);
          response.on('close', () => {
            clearInterval(timer);
            closedEarly += 1;
          });
        } else {
          response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '2' });
          response.end('{"error":{"message":"slow down"}}');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { connections: 2 });
  });

  afterAll(async () => {
    await pool.close();
    await new Promise((resolve) => server.close(resolve));
  });

  const post = (path: string) => ({ path, method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: '{}' });

  it('hands over the head, every chunk in order and the end, then resolves', async () => {
    const { events, sink } = recorder();
    await exchange(pool, post('/chunks'), new AbortController().signal, sink);
    expect(events).toEqual(['head 200 text/event-stream', 'chunk data: one\n\n', 'chunk data: two\n\n', 'chunk data: [DONE]\n\n', 'end']);
  });

  it('reports an error status like any other head (the owner reads its body)', async () => {
    const { events, sink } = recorder();
    await exchange(pool, post('/limited'), new AbortController().signal, sink);
    expect(events).toEqual(['head 429 application/json', 'chunk {"error":{"message":"slow down"}}', 'end']);
  });

  it('stops reading when the sink refuses a chunk: no end, the connection is closed', async () => {
    const { events, sink } = recorder({ stopAfterBytes: 20 });
    const before = closedEarly;
    await exchange(pool, post('/endless'), new AbortController().signal, sink);
    expect(events.filter((event) => event.startsWith('chunk'))).toHaveLength(2);
    expect(events.some((event) => event === 'end' || event.startsWith('error'))).toBe(false);
    await waitUntil(() => closedEarly > before);
  });

  it("lets the event loop turn after a chunk when the sink yields, then hands over the rest of the burst in order", async () => {
    /** Records the burst's chunks, marking those handed over after an event-loop turn that began after chunk 1. */
    async function burst(firstVerdict: true | 'yield'): Promise<string[]> {
      const events: string[] = [];
      let turned = false;
      const sink: ExchangeSink = {
        onHead: () => true,
        onChunk: (chunk) => {
          events.push(`chunk ${chunk.toString('utf8').trim()}${turned ? ' (after a turn)' : ''}`);
          if (events.length > 1) return true;
          setImmediate(() => (turned = true));
          return firstVerdict;
        },
        onEnd: () => void events.push('end'),
        onError: (error) => void events.push(`error ${error.message}`),
      };
      await exchange(pool, post('/burst'), new AbortController().signal, sink);
      return events;
    }
    // Control: without a yield the whole burst is handed over in one go (it arrives in one read)...
    expect(await burst(true)).toEqual(['chunk data: 1', 'chunk data: 2', 'chunk data: 3', 'end']);
    // ...and with one, what follows the first chunk waits for the event loop.
    expect(await burst('yield')).toEqual(['chunk data: 1', 'chunk data: 2 (after a turn)', 'chunk data: 3 (after a turn)', 'end']);
  });

  it('stops at the head when the sink refuses it', async () => {
    const { events, sink } = recorder({ stopAtHead: true });
    await exchange(pool, post('/json'), new AbortController().signal, sink);
    expect(events).toEqual(['head 200 application/json']);
  });

  it('ends with onError carrying the reason when the signal aborts mid-body', async () => {
    const { events, sink } = recorder();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('caller went away')), 35);
    await exchange(pool, post('/endless'), controller.signal, sink);
    expect(events.at(-1)).toBe('error Error: caller went away');
    expect(events.filter((event) => event.startsWith('chunk')).length).toBeGreaterThan(0);
  });

  it('does not call at all with a signal aborted already', async () => {
    const { events, sink } = recorder();
    const controller = new AbortController();
    controller.abort(new Error('too late'));
    await exchange(pool, post('/json'), controller.signal, sink);
    expect(events).toEqual(['error Error: too late']);
  });

  it('reports a refused connection through onError', async () => {
    const closed = new Pool('http://127.0.0.1:9', { connections: 1 });
    const { events, sink } = recorder();
    await exchange(closed, post('/json'), new AbortController().signal, sink);
    await closed.close();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatch(/^error .*ECONNREFUSED|^error .*connect/i);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
