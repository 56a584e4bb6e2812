import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { z } from 'zod';
import { bootstrapService, createLogger, listeningPort, parseConfig } from '@switchyard/nest-kit';
import { TEST_ADMIN_TOKEN, TEST_NATS_URL } from '@switchyard/nest-kit/testing';
import { AppModule } from '../../src/app.module.js';
import { simulatorConfigSchema } from '../../src/config/simulator.config.js';
import type { Knobs } from '../../src/knobs/knobs.schema.js';
import type { ModelUsage } from '../../src/ledger/usage-ledger.js';
import type { InflightView } from '../../src/upstream/exchange.js';
import { SimulatorServer } from '../../src/upstream/simulator-server.js';

/** A fetch Response whose JSON body is untyped (tests read it as the wire format they check). */
export type JsonResponse = Omit<Response, 'json'> & { json(): Promise<any> };

export function fetchJson(url: string, init?: RequestInit): Promise<JsonResponse> {
  return fetch(url, init) as Promise<JsonResponse>;
}

/** A zod validator from a JSON Schema literal (zod's own JSONSchema type wants literal type names). */
export function validatorOf(schema: object): z.ZodType {
  return z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
}

export interface RunningSimulator {
  app: NestFastifyApplication;
  /** Origin of the simulated upstreams, e.g. http://127.0.0.1:41234 */
  upstream: string;
  /** Origin of the admin API. */
  admin: string;
  adminFetch(path: string, init?: RequestInit): Promise<JsonResponse>;
  setKnobs(model: string, knobs: Knobs): Promise<void>;
  usage(): Promise<{ models: Record<string, ModelUsage>; totals: ModelUsage }>;
  inflight(): Promise<{ count: number; requests: InflightView[] }>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** Boots the simulator in-process (admin and upstream servers on free ports) against the machine's NATS. */
export async function startSimulator(env: Record<string, string> = {}): Promise<RunningSimulator> {
  const config = parseConfig(simulatorConfigSchema, {
    NATS_URL: TEST_NATS_URL,
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    PORT: '0',
    HOST: '127.0.0.1',
    SIMULATOR_PORT: '0',
    SIMULATOR_HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    ...env,
  });
  const app = await bootstrapService({
    serviceName: 'simulator',
    module: AppModule.forRoot(config),
    port: 0,
    host: '127.0.0.1',
    natsUrl: config.NATS_URL,
    rpc: false,
    logger: createLogger('simulator', { level: 'error' }),
  });
  const admin = `http://127.0.0.1:${listeningPort(app)}`;
  const upstream = `http://127.0.0.1:${app.get(SimulatorServer).port}`;
  const adminFetch = (path: string, init: RequestInit = {}) =>
    fetchJson(`${admin}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string> | undefined) },
    });
  const json = async <T>(response: JsonResponse): Promise<T> => {
    if (!response.ok) throw new Error(`${response.url}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  return {
    app,
    upstream,
    admin,
    adminFetch,
    setKnobs: async (model, knobs) => {
      await json(await adminFetch(`/admin/knobs/${encodeURIComponent(model)}`, { method: 'PUT', body: JSON.stringify(knobs) }));
    },
    usage: async () => json(await adminFetch('/admin/usage')),
    inflight: async () => json(await adminFetch('/admin/inflight')),
    reset: async () => {
      await json(await adminFetch('/admin/reset', { method: 'POST' }));
    },
    close: () => app.close(),
  };
}

/** Prompt tokens of a chat request of plain-text messages, by the simulator's documented rule. */
export function expectedPromptTokens(...messageTexts: string[]): number {
  return 3 + messageTexts.reduce((sum, text) => sum + 4 + Math.ceil(text.length / 4), 0);
}
