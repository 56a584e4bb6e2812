import { routingTableSchema, type RoutingTable } from '@switchyard/llm-spec';
import { z } from 'zod';

/**
 * `sy.routing.table-updated.v1` when the table is larger than one message: its version only. A subscriber with an
 * older table fetches the table (`sy.routing.table.v1`, which answers in pages).
 */
export const routingTableAnnouncementSchema = z.object({
  version: z.number().int().nonnegative(),
  generatedAt: z.string(),
  endpointCount: z.number().int().nonnegative(),
  paged: z.literal(true),
});
export type RoutingTableAnnouncement = z.infer<typeof routingTableAnnouncementSchema>;

/** `sy.routing.table-updated.v1` (core NATS): the whole table when it fits in one message, else its announcement. */
export const routingTableUpdatedSchema = z.union([routingTableSchema, routingTableAnnouncementSchema]);

/**
 * What a subscriber's copy of the table becomes on a table-updated event: the published table if it is not older,
 * a fetch of the table when an announced version is newer, else unchanged. Throws on a malformed event.
 */
export function applyRoutingTableUpdate(current: RoutingTable, event: unknown): RoutingTable | 'refetch' | 'ignore' {
  const update = routingTableUpdatedSchema.parse(event);
  if ('paged' in update) return update.version > current.version ? 'refetch' : 'ignore';
  return update.version >= current.version ? update : 'ignore';
}

/** `sy.routing.explain.v1` request: why a request would route as it does. */
export const explainRequestSchema = z.object({
  request: z.record(z.string(), z.unknown()),
  accountId: z.string().optional(),
  sessionKey: z.string().nullish(),
});
export type ExplainRequest = z.input<typeof explainRequestSchema>;
