import { z } from 'zod';
import { serializedGatewayErrorSchema } from './errors.js';

/**
 * The reply envelope of every request/reply RPC over NATS: either `{ ok: true, data }` or
 * `{ ok: false, error }` with a serialised GatewayError the caller rehydrates.
 */
export const rpcReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), data: z.unknown() }),
  z.object({ ok: z.literal(false), error: serializedGatewayErrorSchema }),
]);
export type RpcReply = z.infer<typeof rpcReplySchema>;
