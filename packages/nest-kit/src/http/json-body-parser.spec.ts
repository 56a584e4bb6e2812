import Fastify, { type FastifyInstance } from 'fastify';
import { sendHttpError } from './gateway-exception.filter.js';
import { installJsonBodyParser } from './json-body-parser.js';

let app: FastifyInstance;
let url: string;

beforeAll(async () => {
  app = Fastify({ bodyLimit: 1_024 });
  installJsonBodyParser(app);
  app.setErrorHandler((error, request, reply) => sendHttpError(reply, error, request));
  app.post('/echo', async (request) => ({ received: request.body }));
  url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/echo`;
});

afterAll(async () => {
  await app.close();
});

const post = async (body: string, contentType = 'application/json') => {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { statusCode: response.status, body: (await response.json()) as unknown };
};

describe('the JSON body parser', () => {
  it('parses a JSON body, whatever the charset parameter', async () => {
    const response = await post('{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"héllo"}]}', 'application/json; charset=utf-8');
    expect(response.statusCode).toBe(200);
    expect(response.body).toEqual({ received: { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'héllo' }] } });
  });

  it('answers malformed JSON with a 400 that keeps the parser message', async () => {
    const response = await post('{"model": "x", "messages": [');
    expect(response.statusCode).toBe(400);
    expect(response.body).toMatchObject({ error: { code: 400, message: expect.stringMatching(/^Malformed JSON in request body: .+/) } });
  });

  it('refuses __proto__ and constructor.prototype keys with a 400 (prototype poisoning)', async () => {
    for (const payload of ['{"a":1,"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"admin":true}}}']) {
      const response = await post(payload);
      expect(response.statusCode).toBe(400);
      expect(response.body).toMatchObject({ error: { code: 400, message: expect.stringContaining('prototype') } });
    }
  });

  it('answers an empty body with a 400 that says so', async () => {
    const response = await post('');
    expect(response.statusCode).toBe(400);
    expect(response.body).toMatchObject({ error: { code: 400, message: 'The request body is empty; send a JSON object' } });
  });

  it('answers a body over the server limit with a 413, before parsing it', async () => {
    const response = await post(JSON.stringify({ content: 'x'.repeat(2_000) }));
    expect(response.statusCode).toBe(413);
    expect(response.body).toMatchObject({ error: { code: 413, message: 'Request body is too large' } });
  });
});
