import { jest } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { Stack } from './stack.js';

jest.setTimeout(1_900_000);
it('holds a stack for manual poking', async () => {
  const stack = new Stack({
    env: {
      routing: { TABLE_PUBLISH_INTERVAL_MS: '1000', TABLE_MIN_PUBLISH_INTERVAL_MS: '50', BREAKER_WINDOW_MS: '10000', BREAKER_MIN_FAILURES: '3', BREAKER_CONSECUTIVE_FAILURES: '5', BREAKER_COOL_DOWN_MS: '1500', BREAKER_MAX_COOL_DOWN_MS: '3000', BREAKER_TICK_MS: '100', PROBE_INTERVAL_MS: '300', PROBE_TIMEOUT_MS: '2000', STATS_SNAPSHOT_INTERVAL_MS: '600000' },
      ingress: { SSE_KEEPALIVE_MS: '500', UPSTREAM_FIRST_TOKEN_TIMEOUT_MS: '3000', UPSTREAM_IDLE_TIMEOUT_MS: '3000' },
    },
  });
  const t0 = Date.now();
  await stack.start();
  writeFileSync('/tmp/fo/stack.json', JSON.stringify({ base: stack.baseUrl, key: stack.demoKey, ports: Object.fromEntries(stack.ports), bootMs: Date.now() - t0 }));
  const { existsSync } = await import('node:fs');
  while (!existsSync('/tmp/fo/stop')) await new Promise((r) => setTimeout(r, 500));
  writeFileSync('/tmp/fo/logs.txt', stack.logs());
  await stack.stop();
});
