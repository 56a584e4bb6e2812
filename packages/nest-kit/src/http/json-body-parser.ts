import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';

/**
 * The JSON body parser of every service's HTTP server, installed on Fastify itself (Nest's own parser is off:
 * it reads a Buffer and builds a parser per request, measurably slower on ingress's hot path). The body is read as
 * a string within the server's body limit (413 above it) and parsed once; `__proto__` and `constructor.prototype`
 * keys are refused, and a syntax error keeps the parser's message (which says where), so a client gets a 400 that
 * tells it what is wrong (see toHttpError).
 */
export function installJsonBodyParser(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.length === 0) {
      done(Object.assign(new Error('empty JSON body'), { code: 'FST_ERR_CTP_EMPTY_JSON_BODY', statusCode: 400 }), undefined);
      return;
    }
    try {
      done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (error) {
      done(Object.assign(error as Error, { statusCode: 400 }), undefined);
    }
  });
}
