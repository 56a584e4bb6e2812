#!/usr/bin/env node
// `npm run bench`: the stack against the simulator, direct-to-simulator versus through the gateway, in alternating
// rounds inside one run (so both see the same machine state), for non-streaming latency and streaming time to
// first token, at concurrency 1 and 32. The floor of our shape (bench/floor.mjs: Fastify → NATS → a providers
// process → the simulator, with no gateway logic) runs in the same rounds, so the figures also say how much of the
// added latency is the shape on this machine today and how much is the gateway's own code. Prints p50/p99 and the
// added latency, the services' memory, and writes JSON to bench/results/. A benchmark, not a test: nothing here
// asserts.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { SERVICE_NODE_FLAGS: DEFAULT_NODE_FLAGS, deleteTestStream } = await import(path.join(root, 'packages/nest-kit/dist/testing/index.js'));
const args = Object.fromEntries(process.argv.slice(2).map((arg) => { const [key, ...value] = arg.replace(/^--/, '').split('='); return [key, value.join('=')]; }));
const ROUNDS = Number(args.rounds ?? 4);
/** V8 flags of the services (--node-flags="--max-semi-space-size=16" to compare). */
const SERVICE_NODE_FLAGS = args['node-flags'] !== undefined ? args['node-flags'].split(' ').filter(Boolean) : DEFAULT_NODE_FLAGS;
const REQUESTS = Number(args.requests ?? 400);
const CONCURRENCIES = (args.concurrency ?? '1,32').split(',').map(Number);
/** Requests per path and mode before measuring: V8 keeps optimising the services' hot code for a few thousand requests. */
const WARMUP = Number(args.warmup ?? 3000);
const MODEL = args.model ?? 'openai/gpt-4o-mini';
const suffix = randomBytes(3).toString('hex');
const prefix = `bench${suffix}`;
const demoKey = `sk-sy-v1-${suffix.repeat(10)}${'ab'.repeat(2)}`;
const adminToken = 'bench-admin-token-000000';
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/switchyard_bench';
const ports = { public: 18080, floor: 18081, simulator: 18090, ingress: 19080, routing: 19081, providers: 19082, metering: 19083, billing: 19084, catalog: 19085, simulatorAdmin: 19086 };

const services = [
  ['simulator', { PORT: ports.simulatorAdmin, SIMULATOR_PORT: ports.simulator }],
  ['catalog', { PORT: ports.catalog, SIMULATOR_BASE_URL: `http://127.0.0.1:${ports.simulator}/openai/v1` }],
  ['billing', { PORT: ports.billing, SWITCHYARD_DEMO_API_KEY: demoKey, SWITCHYARD_DEMO_CREDIT: '1000000' }],
  ['metering', { PORT: ports.metering }],
  ['routing', { PORT: ports.routing }],
  ['providers', { PORT: ports.providers }],
  ['ingress', { PORT: ports.public, ADMIN_PORT: ports.ingress }],
];

const children = [];
/**
 * --allocations: every service and floor process runs with --trace-gc-nvp, whose lines say how many bytes were
 * allocated since the previous GC; their sum per process gives KB allocated per request (steady from run to run,
 * unlike latency on this machine, so it shows work removed even when the latency cannot).
 */
const ALLOCATIONS = args.allocations !== undefined;
/** --ab: a path `gateway-b`, the same gateway with `globalThis.__ab` switched on (bench/ab/ab.cjs), in every round. */
const AB = args.ab !== undefined;
const ALLOCATION_FLAGS = ALLOCATIONS ? ['--trace-gc-nvp'] : [];
/**
 * --cache: a path `gateway-cached`, the gateway with `X-OpenRouter-Cache: true` on the same request body every time,
 * so every request after the first is a response-cache hit (a direct get from JetStream, no provider call).
 */
const CACHE = args.cache !== undefined;
/** --soak=<minutes>: instead of the rounds, a steady load through the gateway with memory sampled (bench/soak.mjs). */
const SOAK_MINUTES = args.soak !== undefined ? Number(args.soak || 15) : undefined;

/** Spawns a process with stdout counted for --allocations (or ignored). */
function spawnCounted(entry, flags, options) {
  const child = spawn(process.execPath, [...flags, ...ALLOCATION_FLAGS, ...(AB ? ['--require', path.join(root, 'bench', 'ab', 'ab.cjs')] : []), ...entry], { ...options, stdio: ['ignore', ALLOCATIONS ? 'pipe' : 'ignore', 'inherit'] });
  child.allocatedBytes = 0;
  if (ALLOCATIONS) {
    let rest = '';
    child.stdout.setEncoding('utf8').on('data', (text) => {
      const lines = (rest + text).split('\n');
      rest = lines.pop();
      for (const line of lines) {
        const allocated = / allocated=(\d+)/.exec(line);
        if (allocated) child.allocatedBytes += Number(allocated[1]);
      }
    });
  }
  return child;
}

function startServices() {
  for (const [name, specific] of services) {
    // --profile=<service> writes a V8 CPU profile of that service to bench/results/profiles/ when it exits.
    const profile = args.profile === name ? ['--cpu-prof', `--cpu-prof-dir=${path.join(root, 'bench', 'results', 'profiles')}`] : [];
    const child = spawnCounted([path.join(root, 'apps', name, 'dist', 'main.js')], [...SERVICE_NODE_FLAGS, ...profile], {
      env: { ...process.env, NATS_URL, DATABASE_URL, ADMIN_TOKEN: adminToken, SWITCHYARD_SUBJECT_PREFIX: prefix, DB_SCHEMA: `${name}_${prefix}`, LOG_LEVEL: 'warn', HOST: '127.0.0.1', OTEL_TRACES_SAMPLER_ARG: '0', ...Object.fromEntries(Object.entries(specific).map(([key, value]) => [key, String(value)])) },
    });
    children.push({ name, child });
  }
  const floorSubject = `${prefix}.floor.chat`;
  for (const [name, args] of [['floor-providers', ['providers', `http://127.0.0.1:${ports.simulator}`]], ['floor-ingress', ['ingress', ports.floor]]]) {
    const child = spawnCounted([path.join(root, 'bench', 'floor.mjs'), ...args, NATS_URL, floorSubject], SERVICE_NODE_FLAGS, {});
    children.push({ name, child, floor: true });
  }
}

async function stopServices() {
  for (const { child } of children) child.kill('SIGTERM');
  // A graceful stop drains and flushes (and writes the CPU profile when profiling): wait for it, up to 15 s.
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && children.some(({ child }) => child.exitCode === null && child.signalCode === null)) await new Promise((resolve) => setTimeout(resolve, 100));
  for (const { child } of children) if (child.exitCode === null) child.kill('SIGKILL');
  await cleanUp();
}

/**
 * Leaves nothing behind on the shared NATS and Postgres: this run's JetStream stream (tens of MB of events that
 * would otherwise sit there for an hour, then expire all at once under whatever runs next) and its schemas.
 */
async function cleanUp() {
  if (!(await deleteTestStream(NATS_URL, prefix))) console.error("could not delete this run's JetStream stream");
  try {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      for (const [name] of services) await client.query(`DROP SCHEMA IF EXISTS "${name}_${prefix}" CASCADE`);
    } finally {
      await client.end();
    }
  } catch (error) {
    console.error(`could not drop this run's schemas: ${error.message}`);
  }
}

/** CPU time a process has used so far, ms: user and system (kernel) separately. */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return { user: (Number(fields[11]) * 1000) / 100, system: (Number(fields[12]) * 1000) / 100 }; // clock ticks, USER_HZ = 100
  } catch {
    return { user: 0, system: 0 };
  }
}

/** CPU time (ms) and, with --allocations, bytes allocated so far, per process of the gateway or of the floor. */
function cpuSnapshot(floor) {
  return Object.fromEntries(children.filter((entry) => Boolean(entry.floor) === floor).map(({ name, child }) => [name, { ...cpuMs(child.pid), allocated: child.allocatedBytes }]));
}

/** Resident memory of every gateway service now, MB. */
function servicesRssMb() {
  return Object.fromEntries(children.filter((entry) => !entry.floor).map(({ name, child }) => [name, rssMb(child.pid)]));
}

function rssMb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024);
  } catch {
    return null;
  }
}

const agent = new Agent({ connections: 128, pipelining: 1, keepAliveTimeout: 30_000 });
const body = (stream) => JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Benchmark me, briefly.' }], max_tokens: 16, stream, ...(stream ? { stream_options: { include_usage: true } } : {}) });
const targets = {
  direct: { url: `http://127.0.0.1:${ports.simulator}/openai/v1/chat/completions`, headers: { authorization: 'Bearer sim-key', 'content-type': 'application/json' }, model: MODEL },
  floor: { url: `http://127.0.0.1:${ports.floor}/chat`, headers: { 'content-type': 'application/json' } },
  gateway: { url: `http://127.0.0.1:${ports.public}/api/v1/chat/completions`, headers: { authorization: `Bearer ${demoKey}`, 'content-type': 'application/json' } },
};
if (AB) targets['gateway-b'] = { ...targets.gateway };
if (CACHE) targets['gateway-cached'] = { ...targets.gateway, headers: { ...targets.gateway.headers, 'x-openrouter-cache': 'true' } };

/** --ab: switches `globalThis.__ab` in every gateway process (on for `gateway-b`, off for `gateway`), then lets the signals land. */
async function switchAb(on) {
  for (const { child, floor } of children) if (!floor) child.kill(on ? 'SIGWINCH' : 'SIGURG');
  await new Promise((resolve) => setTimeout(resolve, 50));
}
const TARGETS = Object.keys(targets);

/** One request: total latency (non-stream) or time to the first content event (stream), ms. */
async function once(target, stream) {
  globalThis.__probe?.('req'); // bench/probe: a no-op unless the probe is preloaded
  const started = performance.now();
  const response = await request(target.url, { method: 'POST', headers: target.headers, body: body(stream), dispatcher: agent });
  globalThis.__probe?.('head');
  if (response.statusCode !== 200) {
    const text = await response.body.text();
    throw new Error(`${target.url} answered ${response.statusCode}: ${text.slice(0, 200)}`);
  }
  if (!stream) {
    await response.body.text();
    globalThis.__probe?.('ttft');
    return performance.now() - started;
  }
  let ttft;
  for await (const chunk of response.body) {
    if (ttft === undefined && chunk.toString().includes('"content"')) {
      ttft = performance.now() - started;
      globalThis.__probe?.('ttft');
    }
  }
  return ttft ?? performance.now() - started;
}

async function measure(target, stream, concurrency, count) {
  const samples = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next += 1;
        samples.push(await once(target, stream));
      }
    }),
  );
  return { samples, seconds: (performance.now() - started) / 1000 };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function waitReady() {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    try {
      for (const target of Object.values(targets)) await once(target, false);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  throw new Error('the stack did not become ready');
}

process.on('SIGINT', async () => {
  await stopServices();
  process.exit(1);
});

startServices();
try {
  await waitReady();
  // Warm up both paths (JIT, connection pools, caches): a gateway in service runs warm, so the figures are of warm code.
  for (const stream of [false, true]) {
    for (const [name, target] of Object.entries(targets)) {
      if (AB && (name === 'gateway' || name === 'gateway-b')) await switchAb(name === 'gateway-b'); // both variants warm
      await measure(target, stream, 8, WARMUP);
    }
  }
  if (SOAK_MINUTES !== undefined) {
    await runSoak();
  } else {
    await runRounds();
  }
} finally {
  await agent.close();
  await stopServices();
}

async function runSoak() {
  const { soak } = await import('./soak.mjs');
  const rate = Number(args['soak-rate'] ?? 200);
  const concurrency = Number(args['soak-concurrency'] ?? 8);
  console.log(`soak: ${SOAK_MINUTES} min at ${rate} req/s (${concurrency} clients, half streaming) through the gateway`);
  const result = await soak({ minutes: SOAK_MINUTES, rate, concurrency, send: (stream) => once(targets.gateway, stream), residentMb: servicesRssMb });
  console.log(`${result.completed} requests, ${result.failed} failed${result.lastError ? ` (last: ${result.lastError})` : ''}, ${result.requestsPerSecond} req/s`);
  console.log('resident memory (MB): after warm-up → peak → end; trend of the second half');
  for (const [name, figures] of Object.entries(result.summary)) {
    console.log(`  ${name.padEnd(10)} ${figures.startMb} → ${figures.peakMb} → ${figures.endMb}; ${figures.secondHalfMbPerHour >= 0 ? '+' : ''}${figures.secondHalfMbPerHour} MB/h`);
  }
  writeReport('soak', { soak: result });
}

function writeReport(kind, fields) {
  const date = new Date().toISOString();
  const report = { date, machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version }, model: MODEL, ...fields };
  mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  const file = path.join(root, 'bench', 'results', `${kind}-${date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2));
  console.log(`written ${path.relative(root, file)}`);
}

async function runRounds() {
  // Peak resident memory of each service while the rounds run (sampled every second), beside the figure after the run.
  const peakMb = {};
  const peakSampler = setInterval(() => {
    for (const [name, mb] of Object.entries(servicesRssMb())) if (mb !== null) peakMb[name] = Math.max(peakMb[name] ?? 0, mb);
  }, 1000);
  const results = [];
  for (const stream of [false, true]) {
    for (const concurrency of CONCURRENCIES) {
      const collected = Object.fromEntries(TARGETS.map((name) => [name, []]));
      /** Each round's p50 per path: differences within a round compare paths under the same machine state. */
      const roundP50s = [];
      const seconds = Object.fromEntries(TARGETS.map((name) => [name, 0]));
      const cpuSpent = {};
      for (let round = 0; round < ROUNDS; round++) {
        const roundP50 = {};
        roundP50s.push(roundP50);
        // Each round rotates the order, so no path always runs first (or right after another).
        for (const name of TARGETS.map((_, index) => TARGETS[(index + round) % TARGETS.length])) {
          const floor = name === 'floor';
          if (AB && (name === 'gateway' || name === 'gateway-b')) await switchAb(name === 'gateway-b');
          // CPU and allocations are counted for `gateway` (switched off) only.
          const before = name === 'direct' || name === 'gateway-b' ? undefined : cpuSnapshot(floor);
          const { samples, seconds: elapsed } = await measure(targets[name], stream, concurrency, Math.ceil(REQUESTS / ROUNDS));
          if (before) {
            for (const [service, ms] of Object.entries(cpuSnapshot(floor))) {
              const spent = (cpuSpent[service] ??= { user: 0, system: 0, allocated: 0 });
              spent.user += ms.user - before[service].user;
              spent.system += ms.system - before[service].system;
              spent.allocated += ms.allocated - before[service].allocated;
            }
          }
          collected[name].push(...samples);
          roundP50[name] = percentile([...samples].sort((a, b) => a - b), 50);
          seconds[name] += elapsed;
        }
      }
      const summary = { metric: stream ? 'stream time to first token' : 'non-stream latency', concurrency };
      for (const name of TARGETS) {
        const sorted = collected[name].sort((a, b) => a - b);
        summary[name] = { p50: +percentile(sorted, 50).toFixed(3), p99: +percentile(sorted, 99).toFixed(3), requestsPerSecond: +(sorted.length / seconds[name]).toFixed(0), n: sorted.length };
      }
      summary.addedP50 = +(summary.gateway.p50 - summary.direct.p50).toFixed(3);
      summary.addedP99 = +(summary.gateway.p99 - summary.direct.p99).toFixed(3);
      summary.ratioP50 = +(summary.gateway.p50 / summary.direct.p50).toFixed(2);
      summary.floorAddedP50 = +(summary.floor.p50 - summary.direct.p50).toFixed(3);
      summary.overFloorP50 = +(summary.gateway.p50 - summary.floor.p50).toFixed(3);
      // The same figures as the median over rounds of each round's difference: steadier when the machine's speed
      // drifts during a run (each round's paths run within a second or two of each other).
      const pairedMedian = (from, to) => +median(roundP50s.map((round) => round[to] - round[from])).toFixed(3);
      summary.pairedAddedP50 = pairedMedian('direct', 'gateway');
      summary.pairedFloorAddedP50 = pairedMedian('direct', 'floor');
      summary.pairedOverFloorP50 = pairedMedian('floor', 'gateway');
      // CPU per gateway request, by service (µs): includes the asynchronous metering and billing work it causes.
      const requestsOf = (service) => (children.find((entry) => entry.name === service)?.floor ? summary.floor.n : summary.gateway.n);
      summary.cpuMicrosecondsPerRequest = Object.fromEntries(
        Object.entries(cpuSpent).map(([service, ms]) => [service, { user: Math.round((ms.user * 1000) / requestsOf(service)), system: Math.round((ms.system * 1000) / requestsOf(service)) }]),
      );
      // Counted at each GC, so a path's figure is exact to within one GC interval (tens of requests) per round.
      if (ALLOCATIONS) summary.allocatedKbPerRequest = Object.fromEntries(Object.entries(cpuSpent).map(([service, ms]) => [service, +(ms.allocated / 1024 / requestsOf(service)).toFixed(1)]));
      results.push(summary);
      console.log(`${summary.metric.padEnd(28)} c=${String(concurrency).padEnd(3)} direct p50 ${summary.direct.p50} ms p99 ${summary.direct.p99} ms | gateway p50 ${summary.gateway.p50} ms p99 ${summary.gateway.p99} ms | added p50 +${summary.addedP50} ms p99 +${summary.addedP99} ms | ${summary.gateway.requestsPerSecond} req/s through the gateway`);
      console.log(`${''.padEnd(33)}floor p50 ${summary.floor.p50} ms p99 ${summary.floor.p99} ms (the shape adds +${summary.floorAddedP50} ms p50, the gateway's own code +${summary.overFloorP50} ms) | ${summary.floor.requestsPerSecond} req/s through the floor`);
      console.log(`${''.padEnd(33)}per-round differences (median of ${ROUNDS}): added +${summary.pairedAddedP50} ms, the shape +${summary.pairedFloorAddedP50} ms, the gateway's own code +${summary.pairedOverFloorP50} ms`);
      if (CACHE) {
        summary.pairedCachedP50 = pairedMedian('direct', 'gateway-cached');
        console.log(`${''.padEnd(33)}response-cache hits: p50 ${summary['gateway-cached'].p50} ms p99 ${summary['gateway-cached'].p99} ms (${summary['gateway-cached'].requestsPerSecond} req/s), against direct ${summary.pairedCachedP50 >= 0 ? '+' : ''}${summary.pairedCachedP50} ms per round`);
      }
      if (AB) {
        summary.pairedAbP50 = pairedMedian('gateway', 'gateway-b');
        console.log(`${''.padEnd(33)}A/B: gateway-b (__ab on) p50 ${summary['gateway-b'].p50} ms against ${summary.gateway.p50}; per-round differences (median of ${ROUNDS}): ${summary.pairedAbP50 >= 0 ? '+' : ''}${summary.pairedAbP50} ms`);
      }
      console.log(`${''.padEnd(33)}CPU µs per request (user+system): ${Object.entries(summary.cpuMicrosecondsPerRequest).map(([service, us]) => `${service} ${us.user}+${us.system}`).join(', ')}`);
      if (summary.allocatedKbPerRequest) console.log(`${''.padEnd(33)}KB allocated per request: ${Object.entries(summary.allocatedKbPerRequest).map(([service, kb]) => `${service} ${kb}`).join(', ')}`);
    }
  }
  clearInterval(peakSampler);
  const memory = servicesRssMb();
  console.log(`resident memory after the run (MB): ${Object.entries(memory).map(([name, mb]) => `${name} ${mb}`).join(', ')}`);
  console.log(`peak resident memory during the rounds (MB): ${Object.entries(peakMb).map(([name, mb]) => `${name} ${mb}`).join(', ')}`);
  writeReport('bench', { rounds: ROUNDS, requests: REQUESTS, results, memoryMb: memory, peakMemoryMb: peakMb });
}
