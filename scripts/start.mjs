#!/usr/bin/env node
// `npm start`: the whole gateway on its embedded defaults. Uses NATS_URL / DATABASE_URL when set, else localhost;
// starts nats-server / PostgreSQL with data under .data/ when nothing answers and their binaries are here (or
// says exactly what to install); starts all seven services with one coloured log stream; creates the demo account
// (key fixed by SWITCHYARD_DEMO_API_KEY) and prints a curl line that works at once. Ctrl-C stops everything.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { SERVICE_NODE_FLAGS } = await import(path.join(root, 'packages/nest-kit/dist/testing/index.js'));
const dataDirectory = path.join(root, '.data');
const env = process.env;
const NATS_URL = env.NATS_URL ?? 'nats://127.0.0.1:4222';
const DATABASE_URL = env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/switchyard';
const ADMIN_TOKEN = env.ADMIN_TOKEN ?? 'switchyard-dev-admin-token';
const DEMO_KEY = env.SWITCHYARD_DEMO_API_KEY ?? `sk-sy-v1-${'de'.repeat(32)}`;
const PUBLIC_PORT = Number(env.PORT ?? 8080);
const SIMULATOR_PORT = Number(env.SIMULATOR_PORT ?? 8090);
const colour = process.stdout.isTTY && !env.NO_COLOR;
const paint = (code, text) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);

const services = [
  { name: 'simulator', colour: 90, port: 9086, env: { PORT: '9086', SIMULATOR_PORT: String(SIMULATOR_PORT) } },
  { name: 'catalog', colour: 36, port: 9085, env: { PORT: '9085', SIMULATOR_BASE_URL: `http://127.0.0.1:${SIMULATOR_PORT}/openai/v1` } },
  { name: 'billing', colour: 33, port: 9084, env: { PORT: '9084', SWITCHYARD_DEMO_API_KEY: DEMO_KEY, SWITCHYARD_DEMO_CREDIT: env.SWITCHYARD_DEMO_CREDIT ?? '10' } },
  { name: 'metering', colour: 35, port: 9083, env: { PORT: '9083' } },
  { name: 'routing', colour: 34, port: 9081, env: { PORT: '9081' } },
  { name: 'providers', colour: 32, port: 9082, env: { PORT: '9082' } },
  { name: 'ingress', colour: 31, port: 9080, env: { PORT: String(PUBLIC_PORT), ADMIN_PORT: '9080' } },
];

const children = new Set();
let stopping = false;

function log(name, code, line) {
  process.stdout.write(`${paint(code, name.padEnd(10))}│ ${line}\n`);
}

function reachable(url, defaultPort) {
  const parsed = new URL(url);
  const host = parsed.hostname || '127.0.0.1';
  const port = Number(parsed.port || defaultPort);
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function which(binary, extraDirectories = []) {
  for (const directory of [...(env.PATH ?? '').split(':'), ...extraDirectories]) {
    const candidate = path.join(directory, binary);
    if (directory && existsSync(candidate)) return candidate;
  }
  return undefined;
}

async function waitUntil(probe, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} did not come up within ${timeoutMs / 1000} s`);
}

function track(name, code, child) {
  child.serviceName = name;
  children.add(child);
  const relay = (stream) => {
    let buffer = '';
    stream.on('data', (chunk) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) log(name, code, line);
    });
  };
  relay(child.stdout);
  relay(child.stderr);
  child.on('exit', (exitCode, signal) => {
    children.delete(child);
    if (!stopping) log(name, code, paint(31, `exited (${signal ?? exitCode}); stopping everything`));
    if (!stopping) void shutdown(1);
  });
}

async function ensureNats() {
  if (await reachable(NATS_URL, 4222)) return log('launcher', 37, `NATS at ${NATS_URL}`);
  if (env.NATS_URL) throw new Error(`NATS_URL=${NATS_URL} does not answer`);
  const binary = which('nats-server', ['/usr/sbin', '/usr/local/bin']);
  if (!binary) {
    throw new Error('NATS is not running and nats-server is not installed. Install it (Debian/Ubuntu: `apt-get install nats-server`; macOS: `brew install nats-server`) or run `docker compose up nats postgres`, then retry.');
  }
  const storage = path.join(dataDirectory, 'nats');
  mkdirSync(storage, { recursive: true });
  log('launcher', 37, `starting ${binary} with JetStream (data in .data/nats)`);
  const child = spawn(binary, ['-a', '127.0.0.1', '-p', '4222', '-js', '-sd', storage], { stdio: ['ignore', 'pipe', 'pipe'] });
  track('nats', 37, child);
  await waitUntil(() => reachable(NATS_URL, 4222), 15_000, 'nats-server');
}

function postgresBinaries() {
  const base = '/usr/lib/postgresql';
  const direct = which('pg_ctl');
  if (direct) return path.dirname(direct);
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) if (existsSync(path.join(base, version, 'bin', 'pg_ctl'))) return path.join(base, version, 'bin');
  return undefined;
}

async function ensurePostgres() {
  if (await reachable(DATABASE_URL, 5432)) return log('launcher', 37, `PostgreSQL at ${new URL(DATABASE_URL).host}`);
  if (env.DATABASE_URL) throw new Error(`DATABASE_URL=${DATABASE_URL} does not answer`);
  const cluster = which('pg_ctlcluster');
  if (cluster && existsSync('/etc/postgresql')) {
    const version = readdirSync('/etc/postgresql').sort().at(-1);
    log('launcher', 37, `starting the system PostgreSQL cluster ${version}/main`);
    spawnSync(cluster, ['--skip-systemctl-redirect', version, 'main', 'start'], { stdio: 'inherit' });
    await waitUntil(() => reachable(DATABASE_URL, 5432), 20_000, 'PostgreSQL');
    return;
  }
  const bin = postgresBinaries();
  if (!bin || process.getuid?.() === 0) {
    throw new Error('PostgreSQL is not running' + (bin ? ' (and it cannot run as root from .data/)' : ' and is not installed') + '. Install it (Debian/Ubuntu: `apt-get install postgresql`; macOS: `brew install postgresql@16`) or run `docker compose up nats postgres`, then retry.');
  }
  const directory = path.join(dataDirectory, 'postgres');
  if (!existsSync(path.join(directory, 'PG_VERSION'))) {
    log('launcher', 37, 'initialising PostgreSQL in .data/postgres');
    spawnSync(path.join(bin, 'initdb'), ['-D', directory, '-U', 'postgres', '--auth=trust'], { stdio: 'inherit' });
  }
  log('launcher', 37, 'starting PostgreSQL (data in .data/postgres)');
  const child = spawn(path.join(bin, 'postgres'), ['-D', directory, '-p', '5432', '-k', '/tmp', '-c', 'listen_addresses=127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  track('postgres', 37, child);
  await waitUntil(() => reachable(DATABASE_URL, 5432), 20_000, 'PostgreSQL');
}

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  log('launcher', 37, 'stopping all services');
  const services = [...children].filter((child) => !['nats-server', 'postgres'].some((name) => child.spawnfile.endsWith(name)));
  const infrastructure = [...children].filter((child) => !services.includes(child));
  const waitExit = (child) => new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
  // Ingress first: it drains its requests and hands its credit leases back to billing, which must still be up.
  const front = services.filter((child) => child.serviceName === 'ingress');
  const rest = services.filter((child) => !front.includes(child));
  for (const child of front) child.kill('SIGTERM');
  await Promise.race([Promise.all(front.map(waitExit)), new Promise((resolve) => setTimeout(resolve, 15_000))]);
  for (const child of rest) child.kill('SIGTERM');
  await Promise.race([Promise.all(rest.map(waitExit)), new Promise((resolve) => setTimeout(resolve, 15_000))]);
  for (const child of infrastructure) child.kill('SIGTERM');
  await Promise.race([Promise.all(infrastructure.map(waitExit)), new Promise((resolve) => setTimeout(resolve, 10_000))]);
  for (const child of children) child.kill('SIGKILL');
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  await ensureNats();
  await ensurePostgres();
  for (const service of services) {
    const entry = path.join(root, 'apps', service.name, 'dist', 'main.js');
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
    const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, entry], {
      cwd: path.join(root, 'apps', service.name),
      env: { ...env, NATS_URL, DATABASE_URL, ADMIN_TOKEN, ...service.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    track(service.name, service.colour, child);
  }
  const base = `http://127.0.0.1:${PUBLIC_PORT}`;
  await waitUntil(
    async () => {
      try {
        const response = await fetch(`${base}/api/v1/models`);
        const key = await fetch(`${base}/api/v1/key`, { headers: { authorization: `Bearer ${DEMO_KEY}` } });
        return response.ok && key.ok;
      } catch {
        return false;
      }
    },
    90_000,
    'the gateway',
  );
  const curl = `curl ${base}/api/v1/chat/completions -H "Authorization: Bearer ${DEMO_KEY}" -H "Content-Type: application/json" -d '{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Hello!"}]}'`;
  console.log(`\n${paint(1, 'Switchyard is up.')}\n  API:        ${base}/api/v1   (OpenAI-compatible; models: ${base}/api/v1/models)\n  Demo key:   ${DEMO_KEY}\n  Admin token: ${ADMIN_TOKEN}\n\nTry it:\n  ${curl}\n\nCtrl-C stops everything.\n`);
} catch (error) {
  console.error(paint(31, `\n${error.message}\n`));
  await shutdown(1);
}
