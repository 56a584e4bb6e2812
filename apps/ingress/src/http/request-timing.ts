import type { FastifyInstance, FastifyRequest } from 'fastify';

const STARTED_AT = Symbol('switchyard.startedAt');

/** Stamps every request with its arrival time (performance.now()), the start of the overhead measurement. */
export function installRequestTiming(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    (request as unknown as Record<symbol, number>)[STARTED_AT] = performance.now();
    done();
  });
}

export function requestStartedAt(request: FastifyRequest): number {
  return (request as unknown as Record<symbol, number>)[STARTED_AT] ?? performance.now();
}
