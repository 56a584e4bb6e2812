import type { RoutingTable } from '@switchyard/llm-spec';
import { applyRoutingTableUpdate, type RoutingTableAnnouncement } from './routing.js';

const table = (version: number, state: 'closed' | 'open' = 'closed'): RoutingTable => ({
  version,
  generatedAt: new Date(version).toISOString(),
  endpoints: { 'm@p': { state, weight: 1, lastFailureAt: null, retryAfterUntil: null, uptime5m: null, uptime30m: null, uptime1d: null, latency30m: null, throughput30m: null, latencyP50Last5m: null, throughputP50Last5m: null, toolCallSuccessRate: null } },
});
const announcement = (version: number): RoutingTableAnnouncement => ({ version, generatedAt: new Date(version).toISOString(), endpointCount: 4_000, paged: true });

describe('applyRoutingTableUpdate', () => {
  it('takes a published table that is not older, and ignores an older one', () => {
    const current = table(1_000);
    expect(applyRoutingTableUpdate(current, table(1_001, 'open'))).toEqual(table(1_001, 'open'));
    expect(applyRoutingTableUpdate(current, table(1_000, 'open'))).toEqual(table(1_000, 'open'));
    expect(applyRoutingTableUpdate(current, table(999, 'open'))).toBe('ignore');
  });

  it('fetches the table when a newer version is announced (a table too large to publish whole), else ignores it', () => {
    const current = table(1_000);
    expect(applyRoutingTableUpdate(current, announcement(1_001))).toBe('refetch');
    expect(applyRoutingTableUpdate(current, announcement(1_000))).toBe('ignore');
    expect(applyRoutingTableUpdate(current, announcement(5))).toBe('ignore');
  });

  it('throws on an event that is neither a table nor an announcement', () => {
    expect(() => applyRoutingTableUpdate(table(1), { version: 2 })).toThrow();
    expect(() => applyRoutingTableUpdate(table(1), { version: 2, generatedAt: 'x', endpointCount: 1, paged: false })).toThrow();
  });
});
