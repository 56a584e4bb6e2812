import type { INestApplication } from '@nestjs/common';
import { BadRequestError, GatewayError, NotFoundError, ServiceUnavailableError } from '@switchyard/contracts';
import { sendHttpError } from '@switchyard/nest-kit';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { KeyCacheService } from '../auth/key-cache.service.js';
import { ResponseCacheService } from './response-cache.service.js';

/** Exactly one of: a key (by hash), an account (every key of it), or everything. */
const purgeQuerySchema = z
  .object({
    key_hash: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 hash in hex').optional(),
    account_id: z.string().min(1).max(200).optional(),
    all: z.literal('true').optional(),
  })
  .strict()
  .refine((query) => [query.key_hash, query.account_id, query.all].filter((value) => value !== undefined).length === 1, 'give exactly one of key_hash, account_id or all=true');

/**
 * `DELETE /admin/response-cache?key_hash=<hash>|account_id=<id>|all=true` on ingress's admin port: removes stored
 * responses (a wrong answer that would otherwise be replayed for up to a day, an account's data on request) from
 * the cache every replica shares, so one call to any replica is enough. Answers `{purged}`, the entries removed.
 */
export function responseCacheAdminRoutes(app: INestApplication): (server: FastifyInstance) => void {
  return (server) => {
    server.delete('/admin/response-cache', async (request, reply) => {
      const cache = app.get(ResponseCacheService);
      const keys = app.get(KeyCacheService);
      try {
        const parsed = purgeQuerySchema.safeParse(request.query ?? {});
        if (!parsed.success) throw new BadRequestError(`Invalid purge: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'query'}: ${issue.message}`).join('; ')}`);
        const query = parsed.data;
        let scope: Parameters<ResponseCacheService['purge']>[0] = 'all';
        if (query.key_hash !== undefined) {
          const key = keys.key(query.key_hash);
          if (!key) throw new NotFoundError(`No key with hash ${query.key_hash}`);
          scope = { keyIds: [key.keyId] };
        } else if (query.account_id !== undefined) {
          scope = { keyIds: keys.keysOf(query.account_id).map((key) => key.keyId) };
        }
        return reply.send({ purged: await cache.purge(scope) });
      } catch (error) {
        const failure = error instanceof GatewayError ? error : new ServiceUnavailableError(`The response cache could not be purged: ${(error as Error).message}`);
        sendHttpError(reply, failure, request);
        return reply;
      }
    });
  };
}
