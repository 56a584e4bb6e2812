// docker-compose.yml against what the services need. No Docker engine runs here, so the file is checked the way
// `docker compose config` and the services themselves would check it: structure, variable defaults, every app's
// environment parsed by the app's own config schema, health checks executed (with fetch stubbed), ports and
// dependencies cross-checked.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  appPorts,
  appUsesPostgres,
  collectStrings,
  composeEnvironment,
  composePorts,
  composeText,
  dependsOn,
  deployDirectory,
  durationSeconds,
  interpolateWithDefaults,
  listApps,
  loadCompose,
  platformKeyEnvName,
  probeSchemas,
  productionRequiredKeys,
  repoRoot,
  seedProviderSlugs,
  variableReferences,
  type SchemaProbe,
  type YamlMap,
} from './support/repo.js';

const apps = listApps();
const compose = loadCompose();
const services = compose.services as Record<string, YamlMap>;
const INFRASTRUCTURE = ['nats', 'postgres', 'otel-collector', 'jaeger'];

// The keys of the Compose Specification that this project may use: a typo (`depend_on`, `healtcheck`) is ignored
// silently by nothing — `docker compose` refuses the file — so it must fail here too.
const SERVICE_KEYS = new Set([
  'build', 'image', 'command', 'entrypoint', 'environment', 'env_file', 'ports', 'expose', 'volumes', 'depends_on',
  'healthcheck', 'restart', 'init', 'read_only', 'tmpfs', 'security_opt', 'cap_drop', 'cap_add', 'stop_grace_period',
  'stop_signal', 'deploy', 'shm_size', 'user', 'working_dir', 'labels', 'logging', 'networks', 'hostname',
  'container_name', 'ulimits', 'mem_limit', 'extra_hosts', 'profiles', 'platform', 'pull_policy', 'secrets', 'configs',
]);
const HEALTHCHECK_KEYS = new Set(['test', 'interval', 'timeout', 'retries', 'start_period', 'start_interval', 'disable']);
const DEPENDS_ON_KEYS = new Set(['condition', 'restart', 'required']);
const CONDITIONS = new Set(['service_started', 'service_healthy', 'service_completed_successfully']);

let probes: Map<string, SchemaProbe>;

/**
 * A service's environment with defaults applied; {} when a reference has no default (the dedicated test above
 * reports that), so that one bad variable does not stop every other check from running.
 */
function environmentOrEmpty(service: YamlMap | undefined): Record<string, string> {
  try {
    return service ? composeEnvironment(service) : {};
  } catch {
    return {};
  }
}

/** providers' compose environment with every platform key filled in (the compose defaults leave them empty). */
function providersWithKeys(): Record<string, string> {
  const environment = environmentOrEmpty(services.providers);
  const keys = Object.keys(environment).filter((key) => key.startsWith('PROVIDER_API_KEY_'));
  return { ...environment, ...Object.fromEntries(keys.map((key) => [key, `test-${key.toLowerCase()}`])) };
}

beforeAll(() => {
  // One child process reads every app's compiled config schema and parses each environment with it.
  probes = probeSchemas(
    apps.map((app) => ({
      app,
      environments: !services[app] ? [] : app === 'providers' ? [environmentOrEmpty(services[app]), providersWithKeys()] : [environmentOrEmpty(services[app])],
    })),
  );
});

describe('docker-compose.yml structure', () => {
  test('uses only Compose Specification keys (no obsolete `version`)', () => {
    for (const key of Object.keys(compose)) expect(['name', 'services', 'volumes', 'networks', 'configs', 'secrets'].includes(key) || key.startsWith('x-')).toBe(true);
    for (const [name, service] of Object.entries(services)) {
      for (const key of Object.keys(service)) {
        if (!SERVICE_KEYS.has(key)) throw new Error(`services.${name}.${key} is not a compose service key`);
      }
      for (const key of Object.keys(service.healthcheck ?? {})) {
        if (!HEALTHCHECK_KEYS.has(key)) throw new Error(`services.${name}.healthcheck.${key} is not a healthcheck key`);
      }
      for (const [dependency, options] of Object.entries(dependsOn(service))) {
        for (const key of Object.keys(options)) if (!DEPENDS_ON_KEYS.has(key)) throw new Error(`services.${name}.depends_on.${dependency}.${key} is unknown`);
      }
    }
  });

  test('every ${VAR} reference has a default, so `docker compose up` works with no .env', () => {
    const references = collectStrings(compose).flatMap(({ path: at, value }) => variableReferences(value).map((reference) => ({ at, reference })));
    expect(references.length).toBeGreaterThan(5);
    const withoutDefault = references.filter(({ reference }) => reference.operator !== ':-' && reference.operator !== '-');
    expect(withoutDefault.map(({ at, reference }) => `${at}: ${reference.raw}`)).toEqual([]);
  });

  test('the variable scanner sees what compose interpolates (and $$ escapes)', () => {
    expect(variableReferences('${A:-x} $B ${C} $$D ${E:?required} ${F-y}').map((reference) => [reference.name, reference.operator])).toEqual([
      ['A', ':-'],
      ['B', null],
      ['C', null],
      ['E', ':?'],
      ['F', '-'],
    ]);
    expect(interpolateWithDefaults('postgres://u:${P:-secret}@db/x $$HOME')).toBe('postgres://u:secret@db/x $HOME');
    expect(() => interpolateWithDefaults('${TOKEN}')).toThrow('has no default');
  });

  test('the Switchyard services are exactly the apps under apps/ (none missing, none stale)', () => {
    const built = Object.entries(services).filter(([, service]) => service.build !== undefined).map(([name]) => name).sort();
    expect(built).toEqual(apps);
    for (const name of INFRASTRUCTURE) expect(services[name]).toBeDefined();
  });

  test('every depends_on target exists, and the dependency graph has no cycle', () => {
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (name: string, trail: string[]): void => {
      if (done.has(name)) return;
      if (visiting.has(name)) throw new Error(`dependency cycle: ${[...trail, name].join(' -> ')}`);
      visiting.add(name);
      for (const [dependency, options] of Object.entries(dependsOn(services[name]))) {
        expect(services[dependency]).toBeDefined();
        expect(CONDITIONS.has(options.condition)).toBe(true);
        if (options.condition === 'service_healthy' && !services[dependency].healthcheck) throw new Error(`${name} waits for ${dependency} to be healthy, but it has no healthcheck`);
        visit(dependency, [...trail, name]);
      }
      visiting.delete(name);
      done.add(name);
    };
    for (const name of Object.keys(services)) visit(name, []);
  });

  test('named volumes are declared and infrastructure state lives in them', () => {
    const declared = Object.keys(compose.volumes ?? {});
    for (const [name, service] of Object.entries(services)) {
      for (const volume of (service.volumes ?? []) as string[]) {
        const source = String(volume).split(':')[0];
        if (source.startsWith('.') || source.startsWith('/')) {
          expect(existsSync(path.resolve(repoRoot, source))).toBe(true);
        } else if (!declared.includes(source)) {
          throw new Error(`services.${name} mounts undeclared volume ${source}`);
        }
      }
    }
    const mountOf = (service: string, target: string) => ((services[service].volumes ?? []) as string[]).find((volume) => String(volume).split(':')[1] === target);
    expect(declared).toContain(mountOf('nats', '/data')?.split(':')[0]);
    expect(declared).toContain(mountOf('postgres', '/var/lib/postgresql/data')?.split(':')[0]);
  });

  test('published ports are bound to the loopback interface (the demo secrets are public)', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const port of composePorts(service)) {
        if (port.published === undefined) continue;
        if (port.host !== '127.0.0.1') throw new Error(`services.${name} publishes ${port.published} on all interfaces`);
      }
    }
  });
});

describe('infrastructure services', () => {
  test('NATS 2.10 runs JetStream on file storage in its volume, with a health check on the monitoring port', () => {
    const nats = services.nats;
    expect(nats.image).toMatch(/^nats:2\.10(\.\d+)?(-alpine[\d.]*)?$/);
    const command = nats.command as string[];
    expect(command).toContain('-js');
    expect(command[command.indexOf('-sd') + 1]).toBe('/data');
    expect(command[command.indexOf('-m') + 1]).toBe('8222');
    const configMount = (nats.volumes as string[]).find((volume) => volume.includes('nats.conf'))!;
    expect(command[command.indexOf('--config') + 1]).toBe(configMount.split(':')[1]);
    expect(existsSync(path.join(repoRoot, configMount.split(':')[0]))).toBe(true);
    expect(nats.healthcheck.test.join(' ')).toContain('http://127.0.0.1:8222/healthz');
    // The image's shell tools: the alpine variant has busybox wget; the scratch one has nothing to run.
    expect(nats.healthcheck.test[1] === 'wget' ? String(nats.image).includes('alpine') : true).toBe(true);
  });

  test('nats.conf keeps max_payload above the largest frame providers publishes', () => {
    const conf = readFileSync(path.join(deployDirectory, 'nats', 'nats.conf'), 'utf8');
    const match = /^\s*max_payload:\s*(\d+)\s*(MB|KB|B)?\s*$/m.exec(conf);
    expect(match).not.toBeNull();
    const bytes = Number(match![1]) * ({ MB: 1024 * 1024, KB: 1024, B: 1 }[match![2] ?? 'B'] ?? 1);
    const frame = probes.get('providers')?.defaults.FRAME_MAX_BYTES;
    expect(bytes).toBeGreaterThanOrEqual(typeof frame === 'number' ? frame : 256 * 1024);
  });

  test('Postgres 16 with database switchyard and a TCP pg_isready health check', () => {
    const postgres = services.postgres;
    expect(postgres.image).toMatch(/^postgres:16([.-]|$)/);
    const environment = composeEnvironment(postgres);
    expect(environment.POSTGRES_DB).toBe('switchyard');
    const test = postgres.healthcheck.test as string[];
    expect(test[0]).toBe('CMD');
    expect(test[1]).toBe('pg_isready');
    expect(test[test.indexOf('-U') + 1]).toBe(environment.POSTGRES_USER);
    expect(test[test.indexOf('-d') + 1]).toBe('switchyard');
    expect(test[test.indexOf('-h') + 1]).toBe('127.0.0.1');
  });

  test('the collector loads deploy/otel/collector.yaml, and Jaeger receives OTLP on all interfaces with its UI on 16686', () => {
    const collector = services['otel-collector'];
    expect(collector.image).toMatch(/^otel\/opentelemetry-collector-contrib:\d+\.\d+\.\d+$/);
    const configPath = String((collector.command as string[]).find((argument) => argument.startsWith('--config='))).slice('--config='.length);
    expect((collector.volumes as string[]).map((volume) => volume.split(':').slice(0, 2).join(':'))).toContain(`./deploy/otel/collector.yaml:${configPath}`);
    const jaeger = services.jaeger;
    expect(jaeger.image).toMatch(/^jaegertracing\/(jaeger:2|all-in-one:1)\.\d+\.\d+$/);
    expect((jaeger.command as string[]).join(' ')).toContain('receivers.otlp.protocols.grpc.endpoint=0.0.0.0:4317');
    expect(composePorts(jaeger).map((port) => port.target)).toContain(16686);
  });
});

describe.each(apps)('compose service %s', (app) => {
  const service = services[app] ?? {};
  const environment = environmentOrEmpty(services[app]);

  test('exists and is built from the root Dockerfile, target = the app', () => {
    expect(services[app]).toBeDefined();
    expect(service.build.context).toBe('.');
    expect(service.build.dockerfile ?? 'Dockerfile').toBe('Dockerfile');
    expect(service.build.target).toBe(app);
    expect(interpolateWithDefaults(service.image)).toMatch(new RegExp(`^switchyard/${app}:[\\w.-]+$`));
  });

  test('sets the shared environment: NATS, admin token, OTLP endpoint, production mode, JSON logs', () => {
    expect(environment.NATS_URL).toBe('nats://nats:4222');
    expect(environment.ADMIN_TOKEN.length).toBeGreaterThanOrEqual(8);
    const otlp = new URL(environment.OTEL_EXPORTER_OTLP_ENDPOINT);
    expect(services[otlp.hostname]).toBeDefined();
    expect(otlp.port).toBe('4318');
    expect(environment.NODE_ENV).toBe('production');
    expect(environment.LOG_FORMAT).toBe('json');
  });

  test('DATABASE_URL points at the compose Postgres exactly when the app uses Postgres', () => {
    if (!appUsesPostgres(app)) {
      // Credentials only where they are used.
      expect(environment.DATABASE_URL).toBeUndefined();
      return;
    }
    const url = new URL(environment.DATABASE_URL);
    const postgres = composeEnvironment(services.postgres);
    expect(url.protocol).toBe('postgres:');
    expect(url.hostname).toBe('postgres');
    expect(url.port || '5432').toBe('5432');
    expect(decodeURIComponent(url.username)).toBe(postgres.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(postgres.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${postgres.POSTGRES_DB}`);
  });

  test('waits for healthy NATS (and Postgres when used) before starting', () => {
    const dependencies = dependsOn(service);
    expect(dependencies.nats?.condition).toBe('service_healthy');
    if (appUsesPostgres(app)) expect(dependencies.postgres?.condition).toBe('service_healthy');
    else expect(dependencies.postgres).toBeUndefined();
  });

  test('listens on the ports its config schema defaults to, and publishes only those', () => {
    const { all } = appPorts(app, probes.get(app));
    for (const [key, port] of Object.entries(all)) expect(environment[key] === undefined ? port : Number(environment[key])).toBe(port);
    for (const mapping of composePorts(service)) expect(Object.values(all)).toContain(mapping.target);
  });

  test('its environment is accepted by the app itself, as in production (no .env)', () => {
    const probe = probes.get(app)!;
    for (const key of [...probe.required, ...productionRequiredKeys(app)]) expect([key, environment[key] !== undefined && environment[key] !== '']).toEqual([key, true]);
    if (!probe.available) return; // not built yet: the ports table and key lists above still apply
    expect(probe.error).toBeUndefined();
    expect(probe.results[0]).toEqual(expect.objectContaining({ ok: true }));
    // Every variable set means something to the app (a typo such as NATS_URI would be ignored silently).
    const known = new Set([...probe.keys, 'NODE_OPTIONS']);
    expect(Object.keys(environment).filter((key) => !known.has(key) && !key.startsWith('PROVIDER_API_KEY_'))).toEqual([]);
  });

  test('is restarted on failure, stopped gracefully, limited to 256 MB, read-only and unprivileged', () => {
    expect(['unless-stopped', 'always', 'on-failure']).toContain(service.restart);
    const shutdownMs = Number(environment.SHUTDOWN_TIMEOUT_MS ?? probes.get(app)?.defaults.SHUTDOWN_TIMEOUT_MS ?? 10_000);
    expect(durationSeconds(service.stop_grace_period)).toBeGreaterThan(shutdownMs / 1000);
    const memory = String(service.deploy?.resources?.limits?.memory ?? service.mem_limit);
    const match = /^(\d+)([MmGg])$/.exec(memory);
    expect(match).not.toBeNull();
    expect(Number(match![1]) * (/[Gg]/.test(match![2]) ? 1024 : 1)).toBeLessThanOrEqual(256);
    expect(service.read_only).toBe(true);
    expect((service.tmpfs as string[]).some((entry) => entry.split(':')[0] === '/tmp')).toBe(true);
    expect(service.cap_drop).toContain('ALL');
    expect(service.security_opt).toContain('no-new-privileges:true');
  });

  describe('health check', () => {
    // The command runs for real (node -e), with fetch replaced by a stub that records the request and answers
    // with the status under test. The scenarios run in parallel child processes.
    const stub = pathToFileURL(path.join(deployDirectory, 'test', 'support', 'fetch-stub.mjs')).href;
    const token = `rotated-admin-token-${app}`;
    const outcomes = new Map<string, { code: number | null; request?: { url: string; method: string; headers: Record<string, string>; hasTimeout: boolean } }>();

    beforeAll(async () => {
      const test = service.healthcheck?.test as string[] | undefined;
      if (!test || test[1] !== 'node') return;
      const directory = mkdtempSync(path.join(tmpdir(), 'healthcheck-'));
      try {
        await Promise.all(
          ['200', '503', 'network-error'].map(async (status) => {
            const record = path.join(directory, `${status}.json`);
            const code = await new Promise<number | null>((resolve) => {
              const child = spawn(process.execPath, ['--import', stub, ...test.slice(2)], {
                env: { PATH: process.env.PATH ?? '', ADMIN_TOKEN: token, HEALTHCHECK_RECORD: record, HEALTHCHECK_STATUS: status },
                stdio: 'ignore',
              });
              const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
              child.on('exit', (exitCode) => {
                clearTimeout(timer);
                resolve(exitCode);
              });
            });
            outcomes.set(status, { code, request: existsSync(record) ? JSON.parse(readFileSync(record, 'utf8')) : undefined });
          }),
        );
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    });

    test('is `node -e` (no curl or wget in the slim image)', () => {
      expect((service.healthcheck.test as string[]).slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    });

    test('asks GET http://127.0.0.1:<admin port>/admin/health with the admin token from the environment', () => {
      const { admin } = appPorts(app, probes.get(app));
      const { code, request } = outcomes.get('200')!;
      expect(code).toBe(0);
      expect(request!.url).toBe(`http://127.0.0.1:${admin}/admin/health`);
      expect(request!.method).toBe('GET');
      // Read from ADMIN_TOKEN at run time, so a token set in .env is the one presented.
      expect(request!.headers.authorization).toBe(`Bearer ${token}`);
      expect(request!.hasTimeout).toBe(true);
    });

    test('fails when the service answers 503 (a dependency is down) or cannot be reached', () => {
      expect(outcomes.get('503')!.code).toBe(1);
      expect(outcomes.get('network-error')!.code).toBe(1);
    });

    test('gives up inside the health check timeout, and allows a start period for migrations', () => {
      const script = (service.healthcheck.test as string[])[3];
      const match = /AbortSignal\.timeout\((\d+)\)/.exec(script);
      expect(match).not.toBeNull();
      expect(Number(match![1]) / 1000).toBeLessThan(durationSeconds(service.healthcheck.timeout));
      expect(durationSeconds(service.healthcheck.start_period)).toBeGreaterThanOrEqual(30);
    });
  });
});

describe('service-specific wiring', () => {
  test('providers gets the credential key and a platform key variable for every provider of the catalog seed', () => {
    const environment = composeEnvironment(services.providers);
    expect(Buffer.from(environment.SECRETS_KEY, 'base64')).toHaveLength(32);
    const expected = seedProviderSlugs().map(platformKeyEnvName).sort();
    expect(Object.keys(environment).filter((key) => key.startsWith('PROVIDER_API_KEY_')).sort()).toEqual(expected);
    // With every key filled in, providers recognises each one as the key of a seed provider.
    const probe = probes.get('providers')!;
    if (probe.available) expect(probe.results[1]).toEqual({ ok: true, platformKeySlugs: seedProviderSlugs() });
  });

  test('catalog points the simulator provider at the simulator service\'s upstream port', () => {
    const url = new URL(composeEnvironment(services.catalog).SIMULATOR_BASE_URL);
    expect(url.hostname).toBe('simulator');
    const simulatorPorts = appPorts('simulator', probes.get('simulator')).all;
    expect(Number(url.port)).toBe(Number(composeEnvironment(services.simulator).SIMULATOR_PORT ?? simulatorPorts.SIMULATOR_PORT));
    expect(url.pathname).toBe('/openai/v1');
  });

  test('billing seeds a demo key in the shape of a Switchyard API key', () => {
    const environment = composeEnvironment(services.billing);
    expect(environment.SWITCHYARD_DEMO_API_KEY).toMatch(/^sk-sy-v1-[0-9a-f]{64}$/);
    expect(environment.SWITCHYARD_DEMO_CREDIT).toMatch(/^\d+(\.\d+)?$/);
  });

  test('ingress starts after the services whose snapshots make it ready', () => {
    const dependencies = dependsOn(services.ingress);
    for (const name of ['catalog', 'billing']) expect(dependencies[name]?.condition).toBe('service_healthy');
  });

  test('YAML merge keys resolved: no service keeps a literal `<<` key', () => {
    // A merge that failed would leave `<<` behind and drop the shared settings and environment.
    const literalMerges = collectStrings(compose).filter(({ path: at }) => at.split('.').includes('<<'));
    expect(literalMerges).toEqual([]);
    expect(composeText()).toContain('<<: *app-env');
    expect(Object.keys(composeEnvironment(services.metering))).toEqual(expect.arrayContaining(['NATS_URL', 'ADMIN_TOKEN', 'DATABASE_URL', 'PORT']));
    expect(services.metering.read_only).toBe(true);
  });
});
