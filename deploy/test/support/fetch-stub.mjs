// Preloaded (node --import) into a compose health-check command by compose.spec.ts: replaces fetch so the command
// runs without a network. It records the request it was given to HEALTHCHECK_RECORD and answers with
// HEALTHCHECK_STATUS, or fails like an unreachable server when that is "network-error".
import { writeFileSync } from 'node:fs';

globalThis.fetch = async (input, init = {}) => {
  const headers = Object.fromEntries(new Headers(init.headers ?? {}).entries());
  writeFileSync(process.env.HEALTHCHECK_RECORD, JSON.stringify({ url: String(input), method: init.method ?? 'GET', headers, hasTimeout: init.signal instanceof AbortSignal }));
  const status = process.env.HEALTHCHECK_STATUS;
  if (status === 'network-error') throw new TypeError('fetch failed');
  return new Response(status === '204' ? null : '{}', { status: Number(status) });
};
