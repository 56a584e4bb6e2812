#!/usr/bin/env node
// Summarises a V8 CPU profile (from `npm run bench -- --profile=<service>`): where the busy time went, by package
// and by function. Usage: node bench/profile-summary.mjs <file.cpuprofile> [requests] [--from=<seconds>]
// --from skips the samples of the first seconds (start-up: module loading, migrations) to see the steady state.
import { readFileSync } from 'node:fs';

const from = Number((process.argv.find((arg) => arg.startsWith('--from=')) ?? '--from=0').slice(7)) * 1e6;
const [file, requests = '1'] = process.argv.slice(2).filter((arg) => !arg.startsWith('--from='));
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const selfTime = new Map();
let elapsed = 0;
profile.samples.forEach((id, index) => {
  elapsed += profile.timeDeltas[index] ?? 0;
  if (elapsed >= from) selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
});
const byFunction = new Map();
const byPackage = new Map();
let busy = 0;
for (const [id, micros] of selfTime) {
  const frame = nodes.get(id).callFrame;
  if (frame.functionName === '(idle)') continue;
  busy += micros;
  const where = frame.url.replace(/.*node_modules\//, '').replace(/.*\/work\/main\//, '');
  const key = `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
  const match = /node_modules\/(@[^/]+\/[^/]+|[^/]+)/.exec(frame.url);
  const owner = match ? match[1] : frame.url.includes('/apps/') || frame.url.includes('/packages/') ? where.split('/').slice(0, 2).join('/') : frame.url || frame.functionName;
  byPackage.set(owner, (byPackage.get(owner) ?? 0) + micros);
}
const perRequest = (micros) => (micros / Number(requests)).toFixed(0).padStart(7);
console.log(`busy ${(busy / 1000).toFixed(0)} ms; µs per request (of ${requests}):`);
for (const [key, micros] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`${perRequest(micros)}  ${key}`);
console.log('---');
for (const [key, micros] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${perRequest(micros)}  ${key}`);
