import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SseWriter } from './sse-writer.js';

/** What reached the socket, one entry per write the response made (a corked batch is one write). */
function recordSocketWrites(response: ServerResponse): string[] {
  const writes: string[] = [];
  const socket = response.socket as Socket & {
    _write(chunk: Buffer | string, encoding: BufferEncoding, callback: (error?: Error | null) => void): void;
    _writev(chunks: Array<{ chunk: Buffer | string }>, callback: (error?: Error | null) => void): void;
  };
  const write = socket._write.bind(socket);
  const writev = socket._writev.bind(socket);
  socket._write = (chunk, encoding, callback) => {
    writes.push(String(chunk));
    write(chunk, encoding, callback);
  };
  socket._writev = (chunks, callback) => {
    writes.push(chunks.map(({ chunk }) => String(chunk)).join(''));
    writev(chunks, callback);
  };
  return writes;
}

describe('SseWriter', () => {
  let server: Server;
  let handler: (response: ServerResponse) => void;

  beforeAll(async () => {
    server = createServer((_request, response) => handler(response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  /** Runs `act` on a fresh response; resolves with the socket writes and the body the client received. */
  async function exchange(act: (response: ServerResponse) => void): Promise<{ writes: string[]; body: string; headers: Headers }> {
    let writes: string[] = [];
    handler = (response) => {
      writes = recordSocketWrites(response);
      act(response);
    };
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const body = await response.text();
    return { writes, body, headers: response.headers };
  }

  it('sends the status line and headers in the same socket write as the first event, so the client wakes once', async () => {
    const { writes, body, headers } = await exchange((response) => {
      const writer = new SseWriter(response, { 'X-Generation-Id': 'gen-1' });
      writer.write('data: {"n":1}\n\n');
      writer.write('data: {"n":2}\n\n');
      setTimeout(() => writer.end('data: [DONE]\n\n'), 5);
    });
    expect(writes[0]).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(writes[0]).toContain('data: {"n":1}');
    expect(headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(headers.get('x-generation-id')).toBe('gen-1');
    expect(body).toBe('data: {"n":1}\n\ndata: {"n":2}\n\ndata: [DONE]\n\n');
  });

  it("puts the skin's opening text before the first event, in that same write", async () => {
    const { writes, body } = await exchange((response) => {
      const writer = new SseWriter(response, {}, () => 'event: open\ndata: {}\n\n');
      writer.write('data: {"n":1}\n\n');
      writer.end();
    });
    expect(writes[0]).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*event: open\ndata: \{\}\n\n[\s\S]*data: \{"n":1\}/);
    expect(body).toBe('event: open\ndata: {}\n\ndata: {"n":1}\n\n');
  });

  it('ends a stream that never wrote with the headers, the opening and the last text together', async () => {
    const { writes, body } = await exchange((response) => {
      const writer = new SseWriter(response, {}, () => ': opening\n\n');
      writer.write('');
      writer.end('data: [DONE]\n\n');
      writer.end('data: twice\n\n');
      writer.write('data: after the end\n\n');
    });
    expect(writes[0]).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*: opening\n\n[\s\S]*data: \[DONE\]/);
    expect(body).toBe(': opening\n\ndata: [DONE]\n\n');
  });

  it('flushes the headers alone when opened without any text', async () => {
    const { writes, body } = await exchange((response) => {
      const writer = new SseWriter(response, {});
      writer.open();
      expect(writer.isOpen).toBe(true);
      setTimeout(() => writer.end('data: late\n\n'), 5);
    });
    expect(writes[0]).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n$/);
    expect(body).toBe('data: late\n\n');
  });
});
