import { hashApiKey } from '@switchyard/contracts';
import { formatMoney, type DecimalInput } from '@switchyard/money';
import { dropSchema } from '@switchyard/nest-kit';
import { deleteTestStream, freePort, ServiceProcess, TEST_ADMIN_TOKEN, TEST_DATABASE_URL, TEST_NATS_URL, uniqueSuffix, waitFor } from '@switchyard/nest-kit/testing';
import path from 'node:path';

const appsDirectory = path.resolve(import.meta.dirname, '../../..');

export type ServiceName = 'simulator' | 'catalog' | 'billing' | 'metering' | 'routing' | 'providers' | 'ingress';
export const ALL_SERVICES: ServiceName[] = ['simulator', 'catalog', 'billing', 'metering', 'routing', 'providers', 'ingress'];

export interface StackOptions {
  services?: ServiceName[];
  /** Extra env per service. */
  env?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Extra env for every service (e.g. OTEL_EXPORTER_OTLP_ENDPOINT, NATS_URL). */
  commonEnv?: Record<string, string>;
  demoCredit?: string;
  /** How long ingress may take to serve `/key` and `/models` after its process is healthy, ms (default 30 s). */
  readyTimeoutMs?: number;
}

export interface IngressReplica {
  name: string;
  process: ServiceProcess;
  /** `http://127.0.0.1:<port>/api/v1` */
  baseUrl: string;
  adminUrl: string;
}

/**
 * The whole gateway as real processes (each service's dist/main.js), isolated from everything else on the machine:
 * its own NATS subject prefix (and so its own JetStream stream), its own Postgres schemas, free ports.
 */
export class Stack {
  readonly suffix = uniqueSuffix();
  readonly prefix = `e2e${this.suffix}`;
  readonly demoKey = `sk-sy-v1-${this.suffix.repeat(8)}`;
  readonly processes = new Map<ServiceName, ServiceProcess>();
  readonly ports = new Map<string, number>();
  /** Further ingress replicas started with `startIngressReplica` (same NATS, prefix and services). */
  readonly ingressReplicas: IngressReplica[] = [];
  private readonly schemas: string[] = [];

  constructor(private readonly options: StackOptions = {}) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.ports.get('public')}/api/v1`;
  }

  get simulatorUrl(): string {
    return `http://127.0.0.1:${this.ports.get('simulator-upstream')}`;
  }

  adminUrl(service: ServiceName): string {
    return `http://127.0.0.1:${this.ports.get(service)}`;
  }

  get demoKeyHash(): string {
    return hashApiKey(this.demoKey);
  }

  async start(): Promise<void> {
    const services = this.options.services ?? ALL_SERVICES;
    for (const name of [...ALL_SERVICES, 'public', 'simulator-upstream']) this.ports.set(name, await freePort());
    for (const name of services) this.processes.set(name, this.createProcess(name));
    await Promise.all([...this.processes.values()].map((service) => service.start()));
    if (services.includes('ingress')) {
      await waitFor(
        async () => {
          const response = await fetch(`${this.baseUrl}/key`, { headers: { authorization: `Bearer ${this.demoKey}` } });
          const models = await fetch(`${this.baseUrl}/models`);
          return response.status === 200 && models.status === 200;
        },
        { timeoutMs: this.options.readyTimeoutMs ?? 30_000, message: 'ingress ready with keys and catalog' },
      );
    }
  }

  private createProcess(name: ServiceName): ServiceProcess {
    const schema = `${name}_${this.prefix}`;
    if (!this.schemas.includes(schema)) this.schemas.push(schema);
    const common: Record<string, string> = {
      NATS_URL: TEST_NATS_URL,
      DATABASE_URL: TEST_DATABASE_URL,
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      SWITCHYARD_SUBJECT_PREFIX: this.prefix,
      DB_SCHEMA: schema,
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(this.ports.get(name)),
    };
    const specific: Record<ServiceName, Record<string, string>> = {
      simulator: { SIMULATOR_PORT: String(this.ports.get('simulator-upstream')), SIMULATOR_HOST: '127.0.0.1' },
      catalog: { SIMULATOR_BASE_URL: `http://127.0.0.1:${this.ports.get('simulator-upstream')}/openai/v1` },
      billing: { SWITCHYARD_DEMO_API_KEY: this.demoKey, SWITCHYARD_DEMO_CREDIT: this.options.demoCredit ?? '100' },
      metering: {},
      routing: {},
      providers: {},
      ingress: { PORT: String(this.ports.get('public')), ADMIN_PORT: String(this.ports.get('ingress')) },
    };
    return new ServiceProcess({
      name,
      entry: path.join(appsDirectory, name, 'dist', 'main.js'),
      env: { ...common, ...this.options.commonEnv, ...specific[name], ...this.options.env?.[name] },
      healthUrl: `http://127.0.0.1:${this.ports.get(name)}/admin/health`,
      // Generous: on a loaded two-core machine seven Node services start slowly.
      startTimeoutMs: Number(process.env.TEST_SERVICE_START_TIMEOUT_MS ?? 90_000),
    });
  }

  service(name: ServiceName): ServiceProcess {
    const service = this.processes.get(name);
    if (!service) throw new Error(`${name} is not part of this stack`);
    return service;
  }

  async admin(name: ServiceName, method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${this.adminUrl(name)}${route}`, {
      method,
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  /**
   * Starts one more ingress process on the same stack (its own ports and REPLICA_ID), e.g. to check that credit
   * leases hold across replicas or that a key change reaches every replica. Resolves once it serves `/key` and
   * `/models`; stopped with the stack.
   */
  async startIngressReplica(env: Record<string, string> = {}): Promise<IngressReplica> {
    const index = this.ingressReplicas.length + 2;
    const publicPort = await freePort();
    const adminPort = await freePort();
    const base = this.createProcess('ingress');
    const process = new ServiceProcess({
      ...base.options,
      name: `ingress-${index}`,
      env: { ...base.options.env, PORT: String(publicPort), ADMIN_PORT: String(adminPort), REPLICA_ID: `ingress-${index}-${this.suffix}`, ...env },
      healthUrl: `http://127.0.0.1:${adminPort}/admin/health`,
    });
    const replica: IngressReplica = { name: `ingress-${index}`, process, baseUrl: `http://127.0.0.1:${publicPort}/api/v1`, adminUrl: `http://127.0.0.1:${adminPort}` };
    this.ingressReplicas.push(replica);
    await process.start();
    await this.waitForIngress(replica.baseUrl);
    return replica;
  }

  /** Waits until an ingress answers `/key` for the demo key and `/models` (keys and catalog loaded). */
  async waitForIngress(baseUrl = this.baseUrl): Promise<void> {
    await waitFor(
      async () => {
        const response = await fetch(`${baseUrl}/key`, { headers: { authorization: `Bearer ${this.demoKey}` } });
        const models = await fetch(`${baseUrl}/models`);
        return response.status === 200 && models.status === 200;
      },
      { timeoutMs: this.options.readyTimeoutMs ?? 30_000, message: `ingress at ${baseUrl} ready with keys and catalog` },
    );
  }

  /**
   * Waits until ingress knows which providers lack a platform key (it asks providers shortly after it starts; the
   * gauge `switchyard_ingress_uncredentialed_providers` says when): routing plans them last, the auto router skips them.
   */
  async waitForProviderKeysKnown(): Promise<void> {
    await waitFor(
      async () => {
        const metrics = await (await fetch(`${this.adminUrl('ingress')}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).text();
        return Number(/switchyard_ingress_uncredentialed_providers\{[^}]*\} (-?\d+)/.exec(metrics)?.[1] ?? -1) > 0;
      },
      { timeoutMs: 15_000, message: 'ingress knows the providers without a key' },
    );
  }

  /** The demo account's `GET /generation` data of one generation, once metering recorded it. */
  generation(id: string): Promise<Record<string, any>> {
    return waitFor(
      async () => {
        const response = await fetch(`${this.baseUrl}/generation?id=${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${this.demoKey}` } });
        return response.status === 200 ? ((await response.json()) as { data: Record<string, any> }).data : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100, message: `generation ${id} recorded` },
    );
  }

  /**
   * The demo account's credits (`GET /credits`) once billing debited its usage to exactly `spent` (usage formatted
   * as money). A timeout names the last usage seen and carries every service's log.
   */
  async demoUsageReaches(spent: DecimalInput, timeoutMs = 20_000): Promise<{ totalCredits: number; totalUsage: string }> {
    let lastSeen = '(none)';
    return waitFor(
      async () => {
        const response = (await (await fetch(`${this.baseUrl}/credits`, { headers: { authorization: `Bearer ${this.demoKey}` } })).json()) as { data: { total_credits: number; total_usage: number } };
        lastSeen = formatMoney(String(response.data.total_usage));
        return lastSeen === formatMoney(spent) ? { totalCredits: response.data.total_credits, totalUsage: lastSeen } : undefined;
      },
      { timeoutMs, message: `credits debited by exactly ${formatMoney(spent)}` },
    ).catch((error: Error) => {
      throw new Error(`${error.message}; last total_usage seen: ${lastSeen}\n${this.logs()}`);
    });
  }

  /** Everything the services printed, for failure reports. */
  logs(): string {
    const all: Array<[string, ServiceProcess]> = [...this.processes.entries(), ...this.ingressReplicas.map((replica): [string, ServiceProcess] => [replica.name, replica.process])];
    return all.map(([name, service]) => `--- ${name} ---\n${service.logs()}`).join('\n');
  }

  async stop(): Promise<void> {
    await Promise.all([...this.processes.values(), ...this.ingressReplicas.map((replica) => replica.process)].map((service) => service.stop()));
    for (const schema of this.schemas) await dropSchema(TEST_DATABASE_URL, schema).catch(() => undefined);
    await deleteTestStream(TEST_NATS_URL, this.prefix);
  }
}
