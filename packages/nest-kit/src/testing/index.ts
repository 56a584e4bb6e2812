import { deletePrefixStreams } from '@switchyard/jest-config/streams';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { createServer } from 'node:net';

/** Test helpers shared by every package's integration and end-to-end tests. */

/**
 * V8 flags every service runs with (launcher, tests, benchmark; NODE_OPTIONS in compose and k8s): a small young
 * generation keeps an idle service near 120 MB resident instead of 150 MB, and a 96 MB old space keeps every service
 * under 150 MB at steady load (measured flat over 18,000 requests at concurrency 32; the live heap is 40–60 MB).
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--max-old-space-size=96'];

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/switchyard_test';
export const TEST_NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

/**
 * Deletes the JetStream stream of a test subject prefix (a stack's or a benchmark's), so runs leave nothing on the
 * shared server: test streams expire after an hour otherwise, all at once, under whatever runs then. Best effort:
 * a stream that does not exist (or a server that is gone) is not an error. The mechanism is jest-config's, which
 * also deletes the streams of each package run's test files.
 */
export async function deleteTestStream(natsUrl: string, prefix: string): Promise<boolean> {
  return (await deletePrefixStreams(natsUrl, [prefix])) > 0;
}

export function uniqueSuffix(): string {
  return randomBytes(4).toString('hex');
}

/** A schema name of its own for one test (dropped in afterAll with dropSchema). */
export function uniqueSchema(base: string): string {
  return `${base}_t${uniqueSuffix()}`;
}

export async function waitFor<T>(probe: () => T | Promise<T>, options: { timeoutMs?: number; intervalMs?: number; message?: string } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
  throw new Error(`${options.message ?? 'condition'} not met within ${options.timeoutMs ?? 10_000} ms${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

/**
 * Ports handed to test services come from below Linux's ephemeral range (32768–60999): a port the OS picked with
 * `listen(0)` is an ephemeral one, which any outbound connection of the busy test machine (NATS, Postgres, HTTP
 * clients) may take in the seconds before the service binds it (seen as EADDRINUSE under load).
 */
const TEST_PORT_FIRST = 20_000;
const TEST_PORT_LAST = 32_700;
const handedOutPorts = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port on 127.0.0.1 for a test service, never the same twice in one process. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 500; tries++) {
    const port = randomInt(TEST_PORT_FIRST, TEST_PORT_LAST + 1);
    if (handedOutPorts.has(port) || !(await canListen(port))) continue;
    handedOutPorts.add(port);
    return port;
  }
  throw new Error(`no free port between ${TEST_PORT_FIRST} and ${TEST_PORT_LAST}`);
}

export interface ServiceProcessOptions {
  name: string;
  /** Path of the compiled entry point (dist/main.js). */
  entry: string;
  env: Record<string, string>;
  /** URL polled until it answers 200 (with the admin token). */
  healthUrl: string;
  adminToken?: string;
  startTimeoutMs?: number;
}

/** A service started as a real process, as in production: stdout/stderr kept for failure reports. */
export class ServiceProcess {
  child: ChildProcess | undefined;
  readonly output: string[] = [];
  exitCode: number | null = null;

  constructor(readonly options: ServiceProcessOptions) {}

  async start(): Promise<void> {
    this.exitCode = null;
    const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, this.options.entry], {
      env: { ...process.env, ...this.options.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const collect = (chunk: Buffer) => {
      this.output.push(chunk.toString());
      if (this.output.length > 2_000) this.output.splice(0, 1_000);
      if (process.env.TEST_SERVICE_LOGS) process.stderr.write(`[${this.options.name}] ${chunk.toString()}`);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.on('exit', (code) => (this.exitCode = code ?? -1));
    try {
      // A process that exited ends the wait at once (its output says why), rather than at the timeout.
      await waitFor(
        async () => {
          if (this.exitCode !== null) return 'exited';
          const response = await fetch(this.options.healthUrl, { headers: { authorization: `Bearer ${this.options.adminToken ?? TEST_ADMIN_TOKEN}` } });
          return response.status === 200;
        },
        { timeoutMs: this.options.startTimeoutMs ?? 30_000, intervalMs: 100, message: `${this.options.name} healthy` },
      );
      if (this.exitCode !== null) throw new Error(`${this.options.name} exited with ${this.exitCode} before it was healthy`);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- ${this.options.name} output ---\n${this.logs()}`);
    }
  }

  logs(): string {
    return this.output.join('').slice(-8_000);
  }

  /** Graceful stop (SIGTERM), waiting for the exit. */
  async stop(timeoutMs = 15_000): Promise<void> {
    await this.signal('SIGTERM', timeoutMs);
  }

  /** Crash (SIGKILL). */
  async kill(): Promise<void> {
    await this.signal('SIGKILL', 5_000);
  }

  private async signal(signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
    const child = this.child;
    if (!child || this.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    // The deadline is cleared once the child exits: a pending timer would keep the test worker alive after its tests.
    await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    if (this.exitCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  }
}
