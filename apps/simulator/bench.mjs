#!/usr/bin/env node
// Throughput sanity check of the simulated upstreams (not run by tests).
//   node apps/simulator/bench.mjs [--url http://127.0.0.1:8090] [--requests 20000] [--concurrency 32] [--route chat|stream|anthropic|gemini|embeddings]
// Fires N requests over keep-alive connections with a fixed number in flight and prints requests/second and latency
// percentiles. Start the simulator first (npm start in apps/simulator, or the whole stack).
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:8090' },
    requests: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '32' },
    route: { type: 'string', default: 'chat' },
    key: { type: 'string', default: 'bench-key' },
  },
});
const total = Number(values.requests);
const concurrency = Number(values.concurrency);
const base = new URL(values.url);
const messages = [{ role: 'user', content: 'Give me a short answer about benchmarks.' }];
const routes = {
  chat: { path: '/openai/v1/chat/completions', headers: { authorization: `Bearer ${values.key}` }, body: { model: 'openai/gpt-4o-mini', messages } },
  stream: { path: '/openai/v1/chat/completions', headers: { authorization: `Bearer ${values.key}` }, body: { model: 'openai/gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } } },
  anthropic: { path: '/anthropic/v1/messages', headers: { 'x-api-key': values.key, 'anthropic-version': '2023-06-01' }, body: { model: 'anthropic/claude-haiku-4.5', max_tokens: 256, messages } },
  gemini: { path: '/gemini/v1beta/models/gemini-2.5-flash:generateContent', headers: { 'x-goog-api-key': values.key }, body: { contents: [{ role: 'user', parts: [{ text: messages[0].content }] }] } },
  embeddings: { path: '/openai/v1/embeddings', headers: { authorization: `Bearer ${values.key}` }, body: { model: 'text-embedding-3-small', input: 'benchmark' } },
};
const route = routes[values.route];
if (!route) throw new Error(`unknown route ${values.route}; one of ${Object.keys(routes).join(', ')}`);
const payload = Buffer.from(JSON.stringify(route.body));
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

function once() {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const request = http.request(
      { host: base.hostname, port: base.port, path: route.path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': payload.length, ...route.headers } },
      (response) => {
        response.on('data', () => {});
        response.on('end', () => (response.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`status ${response.statusCode}`))));
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

// Warm up (JIT, connections), then measure.
for (let index = 0; index < Math.min(1000, total); index++) await once();
const latencies = [];
let issued = 0;
const started = performance.now();
async function worker() {
  while (issued < total) {
    issued++;
    latencies.push(await once());
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
const seconds = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const percentile = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(2);
console.log(`${values.route}: ${total} requests, concurrency ${concurrency}: ${Math.round(total / seconds)} requests/s, p50 ${percentile(50)} ms, p99 ${percentile(99)} ms`);
agent.destroy();
