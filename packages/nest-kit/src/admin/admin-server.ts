import type { INestApplication } from '@nestjs/common';
import Fastify, { type FastifyInstance } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { AuthenticationError } from '@switchyard/contracts';
import { sendHttpError } from '../http/gateway-exception.filter.js';
import { ADMIN_TOKEN } from './admin-token.guard.js';
import { HealthRegistry } from './health.registry.js';
import { MetricsService } from './metrics.service.js';

function tokenMatches(presented: string, expected: string): boolean {
  const left = Buffer.from(presented);
  const right = Buffer.from(expected);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * A separate admin HTTP server (`/admin/health`, `/metrics` and the service's own `routes`, behind the admin token)
 * for a service whose main HTTP server is public (ingress): the admin surface stays on its own port, off the public
 * listener.
 */
export async function startAdminServer(app: INestApplication, options: { port: number; host?: string; routes?: (server: FastifyInstance) => void }): Promise<FastifyInstance> {
  const health = app.get(HealthRegistry);
  const metrics = app.get(MetricsService);
  const token = app.get<string>(ADMIN_TOKEN);
  const server = Fastify({ logger: false });
  server.addHook('onRequest', async (request, reply) => {
    const authorization = request.headers.authorization ?? '';
    const presented = authorization.toLowerCase().startsWith('bearer ') ? authorization.slice(7).trim() : String(request.headers['x-admin-token'] ?? '');
    if (!presented || !tokenMatches(presented, token)) {
      sendHttpError(reply, new AuthenticationError('Admin endpoints require a valid admin token'), request);
      return reply;
    }
    return undefined;
  });
  server.get('/admin/health', async (_request, reply) => {
    const report = await health.report();
    return reply.status(report.status === 'ok' ? 200 : 503).send(report);
  });
  server.get('/metrics', async (_request, reply) => reply.header('Content-Type', metrics.registry.contentType).header('Cache-Control', 'no-store').send(await metrics.registry.metrics()));
  // The service's own admin routes, behind the same token.
  options.routes?.(server);
  await server.listen({ port: options.port, host: options.host ?? '0.0.0.0' });
  return server;
}
