#!/usr/bin/env node
// The floor of our shape, measured beside the gateway in the same run (see ../shared/STACK.md, "The floor of our
// shape"): the thinnest honest version of the hot path — Fastify → NATS request → a providers process → keep-alive
// HTTP to the simulator and back — with no validation, auth, planning, accounting or tracing. What the gateway adds
// on top of this is what its own code costs; what this adds over a direct call is what the shape costs on this
// machine at this moment (it varies with the host by up to 2×, so only figures of one run compare).
//
//   node bench/floor.mjs ingress   <port> <nats-url> <subject>
//   node bench/floor.mjs providers <upstream-origin> <nats-url> <subject>
//
// Non-streaming: the upstream's body is relayed as bytes. Streaming: each upstream chunk is one NATS message to
// the caller's inbox, and an empty message ends the stream.
import { connect, createInbox } from '@nats-io/transport-node';
import Fastify from 'fastify';
import { Pool } from 'undici';

const [role, target, natsUrl, subject] = process.argv.slice(2);
const nc = await connect({ servers: natsUrl });

if (role === 'providers') {
  const pool = new Pool(target, { connections: 64, keepAliveTimeout: 30_000 });
  nc.subscribe(subject, {
    queue: 'floor',
    callback: async (_error, message) => {
      try {
        const stream = JSON.parse(new TextDecoder().decode(message.data)).stream === true;
        const response = await pool.request({ path: '/openai/v1/chat/completions', method: 'POST', headers: { authorization: 'Bearer floor', 'content-type': 'application/json' }, body: message.data });
        if (!stream) {
          message.respond(new Uint8Array(await response.body.arrayBuffer()));
          return;
        }
        for await (const chunk of response.body) message.respond(chunk);
        message.respond(new Uint8Array(0));
      } catch (error) {
        message.respond(new Uint8Array(0));
        console.error(`floor providers: ${error.message}`);
      }
    },
  });
} else if (role === 'ingress') {
  const fastify = Fastify({ bodyLimit: 1024 * 1024 });
  const prefix = createInbox();
  const streams = new Map();
  let next = 0;
  nc.subscribe(`${prefix}.*`, { callback: (_error, message) => streams.get(message.subject)?.(message.data) });
  fastify.post('/chat', async (request, reply) => {
    const payload = JSON.stringify(request.body);
    if (request.body?.stream !== true) {
      const answer = await nc.request(subject, payload, { timeout: 10_000 });
      return reply.header('content-type', 'application/json').send(Buffer.from(answer.data));
    }
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream' });
    const inbox = `${prefix}.${(next += 1)}`;
    streams.set(inbox, (data) => {
      if (data.length > 0) return reply.raw.write(data);
      streams.delete(inbox);
      reply.raw.end();
    });
    nc.publish(subject, payload, { reply: inbox });
  });
  await fastify.listen({ port: Number(target), host: '127.0.0.1' });
} else {
  console.error('usage: node bench/floor.mjs ingress|providers ...');
  process.exit(2);
}

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, async () => {
    await nc.drain().catch(() => undefined);
    process.exit(0);
  });
}
