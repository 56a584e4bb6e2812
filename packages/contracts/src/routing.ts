import { routingTableSchema } from '@switchyard/llm-spec';
import { z } from 'zod';

/** `sy.routing.table-updated.v1` (core NATS) carries the whole table (it is small); `sy.routing.table.v1` replies with it. */
export const routingTableMessageSchema = routingTableSchema;

/** `sy.routing.explain.v1` request: why a request would route as it does. */
export const explainRequestSchema = z.object({
  request: z.record(z.string(), z.unknown()),
  accountId: z.string().optional(),
  sessionKey: z.string().nullish(),
});
export type ExplainRequest = z.input<typeof explainRequestSchema>;
