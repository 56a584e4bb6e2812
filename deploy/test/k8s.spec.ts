// deploy/k8s (Kustomize) against what the services need: one Deployment, Service and PodDisruptionBudget per app
// under apps/, probes that reach the admin port with the admin token, limits, graceful shutdown, autoscaling of the
// hot path, and an environment each app's own config schema accepts in production.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { applyReplacements, readFieldPath, resolveContainerEnvironment } from './support/k8s.js';
import {
  appPorts,
  appUsesPostgres,
  findResource,
  k8sDirectory,
  listApps,
  loadKustomization,
  loadKustomizeResources,
  parseYaml,
  parseYamlDocuments,
  platformKeyEnvName,
  probeSchemas,
  productionRequiredKeys,
  quantity,
  seedProviderSlugs,
  type Manifest,
  type SchemaProbe,
  type YamlMap,
} from './support/repo.js';

const apps = listApps();
const kustomization = loadKustomization();
const resources = loadKustomizeResources();
const manifests = resources.map(({ manifest }) => manifest);
const ofKind = (kind: string): Manifest[] => manifests.filter((manifest) => manifest.kind === kind);
const configMap = findResource(resources, 'ConfigMap', 'switchyard-config')!;
const HPA_APPS = ['ingress', 'providers'];
const KNOWN_KINDS: Record<string, string> = {
  Namespace: 'v1',
  ConfigMap: 'v1',
  Secret: 'v1',
  Service: 'v1',
  Deployment: 'apps/v1',
  PodDisruptionBudget: 'policy/v1',
  HorizontalPodAutoscaler: 'autoscaling/v2',
};
// Valid stand-ins for the Secret template's placeholders (which the services must reject: see below).
const VALID_SECRET_SAMPLES: Record<string, string> = {
  ADMIN_TOKEN: 'k8s-test-admin-token-0123456789',
  SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
};

const containerOf = (app: string): YamlMap => {
  const deployment = findResource(resources, 'Deployment', app);
  if (!deployment) throw new Error(`no Deployment ${app}`);
  const containers = deployment.spec.template.spec.containers as YamlMap[];
  return containers.find((container) => container.name === app) ?? containers[0];
};
const environmentOf = (app: string) => resolveContainerEnvironment(containerOf(app), resources);
const withValidSecrets = (app: string): Record<string, string> => {
  const { values, fromSecrets } = environmentOf(app);
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, key in fromSecrets && key in VALID_SECRET_SAMPLES ? VALID_SECRET_SAMPLES[key] : value]));
};
const matches = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels[key] === value);

let probes: Map<string, SchemaProbe>;

beforeAll(() => {
  // Per app: [its environment with valid secrets, the same with the template's ADMIN_TOKEN placeholder,
  // (providers) the same with the template's SECRETS_KEY placeholder].
  probes = probeSchemas(
    apps.map((app) => {
      if (!findResource(resources, 'Deployment', app)) return { app, environments: [] };
      const valid = withValidSecrets(app);
      const placeholders = environmentOf(app).values;
      const environments = [valid, { ...valid, ADMIN_TOKEN: placeholders.ADMIN_TOKEN }];
      if (app === 'providers') environments.push({ ...valid, SECRETS_KEY: placeholders.SECRETS_KEY });
      return { app, environments };
    }),
  );
});

describe('kustomization', () => {
  test('lists every manifest file in deploy/k8s, and only files that exist', () => {
    const files: string[] = [];
    const walk = (directory: string): void => {
      for (const entry of readdirSync(directory)) {
        const full = path.join(directory, entry);
        const relative = path.relative(k8sDirectory, full).split(path.sep).join('/');
        // dependencies/ holds Helm values and operator resources installed before the kustomization (README.md).
        if (statSync(full).isDirectory()) {
          if (relative !== 'dependencies') walk(full);
        } else if (/\.ya?ml$/.test(entry) && relative !== 'kustomization.yaml') {
          files.push(relative);
        }
      }
    };
    walk(k8sDirectory);
    const listed = kustomization.resources as string[];
    for (const file of listed) expect([file, existsSync(path.join(k8sDirectory, file))]).toEqual([file, true]);
    expect([...listed].sort()).toEqual(files.sort());
  });

  test('every resource is a known kind at its stable API version, uniquely named, in the switchyard namespace', () => {
    const seen = new Set<string>();
    for (const manifest of manifests) {
      expect([manifest.kind, manifest.apiVersion]).toEqual([manifest.kind, KNOWN_KINDS[manifest.kind]]);
      expect(manifest.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      const key = `${manifest.kind}/${manifest.metadata.name}`;
      expect(seen.has(key)).toBe(false);
      seen.add(key);
      if (manifest.metadata.namespace !== undefined) expect(manifest.metadata.namespace).toBe(kustomization.namespace);
    }
    expect(kustomization.namespace).toBe('switchyard');
    expect(findResource(resources, 'Namespace', kustomization.namespace)).toBeDefined();
  });

  test('every Deployment image can be retagged through `images`, and every `images` entry is used', () => {
    const names = ofKind('Deployment').flatMap((deployment) => (deployment.spec.template.spec.containers as YamlMap[]).map((container) => String(container.image).split(':')[0]));
    const entries = (kustomization.images as Array<{ name: string }>).map((image) => image.name);
    expect([...new Set(names)].sort()).toEqual([...entries].sort());
  });

  test('the replacements put "Bearer <ADMIN_TOKEN>" from the Secret into every probe of every Deployment', () => {
    const token = (findResource(resources, 'Secret', 'switchyard-admin')!.stringData as Record<string, string>).ADMIN_TOKEN;
    const { resources: replaced, changed } = applyReplacements(resources, kustomization.replacements as YamlMap[]);
    expect(changed.every((count) => count > 0)).toBe(true);
    for (const deployment of replaced.filter((manifest) => manifest.kind === 'Deployment')) {
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        const headers = readFieldPath(deployment, `spec.template.spec.containers.*.${probe}.httpGet.httpHeaders.[name=Authorization].value`);
        expect([deployment.metadata.name, probe, headers]).toEqual([deployment.metadata.name, probe, [`Bearer ${token}`]]);
      }
    }
  });

  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  (kubectl.status === 0 ? test : test.skip)('kubectl kustomize renders it, with the same resources and the token in the probes', () => {
    const rendered = spawnSync('kubectl', ['kustomize', k8sDirectory], { encoding: 'utf8', timeout: 60_000 });
    expect(rendered.stderr).toBe('');
    expect(rendered.status).toBe(0);
    const output = parseYamlDocuments(rendered.stdout) as Manifest[];
    const key = (manifest: Manifest) => `${manifest.kind}/${manifest.metadata.name}`;
    expect(output.map(key).sort()).toEqual(manifests.map(key).sort());
    const token = (findResource(resources, 'Secret', 'switchyard-admin')!.stringData as Record<string, string>).ADMIN_TOKEN;
    for (const manifest of output) {
      if (manifest.kind !== 'Namespace') expect(manifest.metadata.namespace).toBe('switchyard');
      if (manifest.kind !== 'Deployment') continue;
      const headers = readFieldPath(manifest, 'spec.template.spec.containers.*.readinessProbe.httpGet.httpHeaders.[name=Authorization].value');
      expect(headers).toEqual([`Bearer ${token}`]);
      expect(String((manifest.spec.template.spec.containers as YamlMap[])[0].image)).toMatch(/^switchyard\/[a-z-]+:\d+\.\d+\.\d+$/);
    }
  });
});

describe.each(apps)('%s on Kubernetes', (app) => {
  const deployment = findResource(resources, 'Deployment', app);
  const service = findResource(resources, 'Service', app);
  const budget = findResource(resources, 'PodDisruptionBudget', app);
  const podLabels = (deployment?.spec?.template?.metadata?.labels ?? {}) as Record<string, string>;

  test('has a Deployment, a Service and a PodDisruptionBudget whose selectors match its pods', () => {
    expect(deployment).toBeDefined();
    expect(service).toBeDefined();
    expect(budget).toBeDefined();
    expect(podLabels['app.kubernetes.io/name']).toBe(app);
    expect(matches(deployment!.spec.selector.matchLabels, podLabels)).toBe(true);
    expect(matches(service!.spec.selector, podLabels)).toBe(true);
    expect(matches(budget!.spec.selector.matchLabels, podLabels)).toBe(true);
    // No other app's pods are selected.
    for (const other of apps.filter((name) => name !== app)) {
      const otherLabels = findResource(resources, 'Deployment', other)?.spec.template.metadata.labels ?? {};
      expect(matches(service!.spec.selector, otherLabels)).toBe(false);
    }
  });

  test('runs its image with the ports its config schema defaults to', () => {
    const container = containerOf(app);
    expect(container.name).toBe(app);
    expect(String(container.image)).toMatch(new RegExp(`^switchyard/${app}:[\\w.-]+$`));
    const { admin, all } = appPorts(app, probes.get(app));
    const declared = (container.ports as YamlMap[]).map((port) => Number(port.containerPort)).sort();
    expect(declared).toEqual(Object.values(all).sort());
    expect((container.ports as YamlMap[]).find((port) => port.name === 'admin')?.containerPort).toBe(admin);
    const { values } = environmentOf(app);
    for (const [key, port] of Object.entries(all)) expect([key, values[key] === undefined ? port : Number(values[key])]).toEqual([key, port]);
  });

  test('startup, readiness and liveness probes ask /admin/health on the admin port with a Bearer header', () => {
    const container = containerOf(app);
    const { admin } = appPorts(app, probes.get(app));
    for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      const probe = container[kind] as YamlMap;
      expect([kind, probe?.httpGet?.path]).toEqual([kind, '/admin/health']);
      const port = probe.httpGet.port;
      const resolved = typeof port === 'number' ? port : (container.ports as YamlMap[]).find((candidate) => candidate.name === port)?.containerPort;
      expect([kind, resolved]).toEqual([kind, admin]);
      const headers = (probe.httpGet.httpHeaders ?? []) as Array<{ name: string; value: string }>;
      expect(headers.find((header) => header.name === 'Authorization')?.value).toMatch(/^Bearer \S+$/);
      // The health report waits up to 2 s for a dependency check.
      expect(probe.timeoutSeconds).toBeGreaterThanOrEqual(3);
    }
    // Liveness tolerates a dependency outage of at least 30 s before restarting anything.
    expect(container.livenessProbe.periodSeconds * container.livenessProbe.failureThreshold).toBeGreaterThanOrEqual(30);
  });

  test('requests CPU and memory, and is limited to 256Mi of memory at most', () => {
    const { requests, limits } = containerOf(app).resources as { requests: YamlMap; limits: YamlMap };
    expect(quantity(requests.cpu)).toBeGreaterThan(0);
    expect(quantity(requests.memory)).toBeGreaterThan(0);
    expect(quantity(limits.memory)).toBeLessThanOrEqual(quantity('256Mi'));
    expect(quantity(requests.memory)).toBeLessThanOrEqual(quantity(limits.memory));
    // Node's heap is capped below the container limit, so V8 collects before the kernel kills.
    const heap = /--max-old-space-size=(\d+)/.exec(environmentOf(app).values.NODE_OPTIONS ?? '');
    expect(heap).not.toBeNull();
    expect(Number(heap![1]) * 1024 * 1024).toBeLessThan(quantity(limits.memory) * 0.75);
  });

  test('shuts down gracefully: grace period > preStop + SHUTDOWN_TIMEOUT_MS, and > 10 s', () => {
    const spec = deployment!.spec.template.spec;
    const container = containerOf(app);
    const command = container.lifecycle?.preStop?.exec?.command as string[] | undefined;
    const preStopSeconds = command && command[0] === 'sleep' ? Number(command[1]) : Number(container.lifecycle?.preStop?.sleep?.seconds ?? 0);
    expect(preStopSeconds).toBeGreaterThan(0);
    const shutdownMs = Number(environmentOf(app).values.SHUTDOWN_TIMEOUT_MS ?? probes.get(app)?.defaults.SHUTDOWN_TIMEOUT_MS ?? 10_000);
    expect(spec.terminationGracePeriodSeconds).toBeGreaterThan(preStopSeconds + shutdownMs / 1000);
    expect(spec.terminationGracePeriodSeconds).toBeGreaterThan(10);
    expect(deployment!.spec.strategy?.rollingUpdate?.maxUnavailable).toBe(0);
  });

  test('runs non-root, read-only, without privileges, service-account token or service-link variables', () => {
    const spec = deployment!.spec.template.spec;
    const container = containerOf(app);
    expect(spec.securityContext.runAsNonRoot).toBe(true);
    expect(spec.securityContext.runAsUser).toBeGreaterThan(0);
    expect(spec.securityContext.seccompProfile?.type).toBe('RuntimeDefault');
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(container.securityContext.capabilities.drop).toContain('ALL');
    const tmp = (container.volumeMounts as YamlMap[]).find((mount) => mount.mountPath === '/tmp');
    expect((spec.volumes as YamlMap[]).find((volume) => volume.name === tmp?.name)?.emptyDir).toBeDefined();
    expect(spec.automountServiceAccountToken).toBe(false);
    // A Service named "simulator" would otherwise inject SIMULATOR_PORT=tcp://..., which is a config key.
    expect(spec.enableServiceLinks).toBe(false);
  });

  test('its Service exposes the admin port (and the public ports) by container port name', () => {
    const containerPorts = containerOf(app).ports as YamlMap[];
    const { admin, all } = appPorts(app, probes.get(app));
    const ports = service!.spec.ports as YamlMap[];
    for (const port of ports) {
      const target = typeof port.targetPort === 'number' ? containerPorts.find((candidate) => candidate.containerPort === port.targetPort) : containerPorts.find((candidate) => candidate.name === port.targetPort);
      expect([port.name, target !== undefined]).toEqual([port.name, true]);
    }
    expect(ports.map((port) => port.port).sort()).toEqual(Object.values(all).sort());
    expect(ports.find((port) => port.name === 'admin')?.port).toBe(admin);
  });

  test('its PodDisruptionBudget keeps one pod up without ever blocking a drain', () => {
    const { minAvailable, maxUnavailable } = budget!.spec as { minAvailable?: number; maxUnavailable?: number };
    expect([minAvailable, maxUnavailable].filter((value) => value !== undefined)).toHaveLength(1);
    const autoscaler = ofKind('HorizontalPodAutoscaler').find((candidate) => candidate.spec.scaleTargetRef.name === app);
    const fewestPods = autoscaler ? autoscaler.spec.minReplicas : (deployment!.spec.replicas ?? 1);
    if (minAvailable !== undefined) {
      expect(minAvailable).toBe(1);
      expect(fewestPods).toBeGreaterThan(minAvailable);
    } else {
      expect(maxUnavailable).toBe(1);
    }
  });

  test('gets every key its config requires, and nothing dangling', () => {
    const { values, missing } = environmentOf(app);
    expect(missing).toEqual([]);
    const probe = probes.get(app)!;
    for (const key of [...probe.required, ...productionRequiredKeys(app)]) expect([key, values[key] !== undefined]).toEqual([key, true]);
    expect(values.NODE_ENV).toBe('production');
    expect(values.LOG_FORMAT).toBe('json');
    expect(values.NATS_URL).toBeDefined();
    expect(values.OTEL_EXPORTER_OTLP_ENDPOINT).toBeDefined();
    if (appUsesPostgres(app)) expect(values.DATABASE_URL).toMatch(/^postgres(ql)?:\/\//);
    else expect(values.DATABASE_URL).toBeUndefined();
  });

  test('its environment is accepted by the app itself in production (with real secrets in place)', () => {
    const probe = probes.get(app)!;
    if (!probe.available) return; // not built yet: the key checks above still apply
    expect(probe.error).toBeUndefined();
    expect(probe.results[0]).toEqual(expect.objectContaining({ ok: true }));
    const known = new Set([...probe.keys, 'NODE_OPTIONS']);
    expect(Object.keys(environmentOf(app).values).filter((key) => !known.has(key) && !key.startsWith('PROVIDER_API_KEY_'))).toEqual([]);
  });

  test('refuses to start with the Secret template\'s ADMIN_TOKEN placeholder', () => {
    const probe = probes.get(app)!;
    if (!probe.available) return;
    expect(probe.results[1]).toEqual({ ok: false, message: expect.stringContaining('ADMIN_TOKEN') });
  });
});

describe('autoscaling', () => {
  test.each(HPA_APPS)('%s scales on CPU between at least 2 replicas and more, and the HPA alone sets the count', (app) => {
    const autoscaler = findResource(resources, 'HorizontalPodAutoscaler', app);
    expect(autoscaler).toBeDefined();
    expect(autoscaler!.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: app });
    expect(autoscaler!.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(autoscaler!.spec.maxReplicas).toBeGreaterThan(autoscaler!.spec.minReplicas);
    const cpu = (autoscaler!.spec.metrics as YamlMap[]).find((metric) => metric.type === 'Resource' && metric.resource.name === 'cpu');
    expect(cpu?.resource.target.type).toBe('Utilization');
    expect(cpu?.resource.target.averageUtilization).toBeGreaterThan(0);
    expect(cpu?.resource.target.averageUtilization).toBeLessThanOrEqual(90);
    // A replica count in the Deployment would be re-applied over the HPA's on every `kubectl apply`.
    expect(findResource(resources, 'Deployment', app)!.spec.replicas).toBeUndefined();
    // Utilization is relative to the CPU request, so the container must have one.
    expect(quantity(containerOf(app).resources.requests.cpu)).toBeGreaterThan(0);
  });

  test('every HorizontalPodAutoscaler targets an existing Deployment', () => {
    for (const autoscaler of ofKind('HorizontalPodAutoscaler')) expect(findResource(resources, 'Deployment', autoscaler.spec.scaleTargetRef.name)).toBeDefined();
  });
});

describe('secrets', () => {
  const secretsText = readFileSync(path.join(k8sDirectory, 'secrets.yaml'), 'utf8');

  test('the template says to use a secret manager, and holds no usable value', () => {
    expect(secretsText).toMatch(/secret manager/i);
    for (const secret of ofKind('Secret')) {
      for (const [key, value] of Object.entries((secret.stringData ?? {}) as Record<string, string>)) {
        expect([key, value === '' || value.includes('<unset>')]).toEqual([key, true]);
      }
      expect(secret.data).toBeUndefined();
    }
  });

  test('providers refuses to start with the template\'s SECRETS_KEY placeholder', () => {
    const probe = probes.get('providers');
    if (!probe?.available) return;
    expect(probe.results[2]).toEqual({ ok: false, message: expect.stringContaining('SECRETS_KEY') });
  });

  test('each secret reaches only the services that use it', () => {
    for (const app of apps) {
      const { fromSecrets } = environmentOf(app);
      const keys = Object.keys(fromSecrets);
      expect([app, keys.includes('ADMIN_TOKEN')]).toEqual([app, true]);
      expect([app, keys.includes('DATABASE_URL')]).toEqual([app, appUsesPostgres(app)]);
      expect([app, keys.includes('SECRETS_KEY')]).toEqual([app, app === 'providers']);
      expect([app, keys.some((key) => key.startsWith('PROVIDER_API_KEY_'))]).toEqual([app, app === 'providers']);
      expect([app, keys.includes('ALERT_WEBHOOK_URL') && keys.includes('ALERT_WEBHOOK_SECRET')]).toEqual([app, app === 'billing']);
    }
  });

  test('the provider keys Secret names a platform key for every provider of the catalog seed', () => {
    const keys = Object.keys(findResource(resources, 'Secret', 'switchyard-provider-keys')!.stringData as Record<string, string>).sort();
    expect(keys).toEqual(seedProviderSlugs().map(platformKeyEnvName).sort());
  });
});

describe('wiring to NATS, Postgres, the collector and the simulator', () => {
  const dependencies = path.join(k8sDirectory, 'dependencies');

  test('NATS_URL reaches the NATS chart release, which runs JetStream on file storage', () => {
    const url = new URL(configMap.data.NATS_URL);
    expect(url.protocol).toBe('nats:');
    expect(url.hostname).toBe('nats');
    expect(url.port).toBe('4222');
    const values = parseYaml(readFileSync(path.join(dependencies, 'nats-values.yaml'), 'utf8'));
    expect(values.config.jetstream.enabled).toBe(true);
    expect(values.config.jetstream.fileStore.enabled).toBe(true);
    expect(values.config.jetstream.fileStore.pvc.enabled).toBe(true);
    expect(readFileSync(path.join(dependencies, 'nats-values.yaml'), 'utf8')).toMatch(/helm upgrade --install nats nats\/nats -n switchyard/);
  });

  test('DATABASE_URL names the CloudNativePG cluster\'s primary and database', () => {
    const cluster = parseYaml(readFileSync(path.join(dependencies, 'postgres-cluster.yaml'), 'utf8'));
    expect(cluster.kind).toBe('Cluster');
    expect(cluster.spec.imageName).toMatch(/postgresql:16/);
    const url = new URL((findResource(resources, 'Secret', 'switchyard-database')!.stringData as Record<string, string>).DATABASE_URL);
    expect(url.hostname).toBe(`${cluster.metadata.name}-rw`);
    expect(url.pathname).toBe(`/${cluster.spec.bootstrap.initdb.database}`);
    expect(decodeURIComponent(url.username)).toBe(cluster.spec.bootstrap.initdb.owner);
  });

  test('OTEL_EXPORTER_OTLP_ENDPOINT reaches the collector release on its OTLP/HTTP receiver', () => {
    const url = new URL(configMap.data.OTEL_EXPORTER_OTLP_ENDPOINT);
    const values = parseYaml(readFileSync(path.join(dependencies, 'otel-collector-values.yaml'), 'utf8'));
    expect(url.hostname).toBe(values.fullnameOverride);
    expect(values.config.receivers.otlp.protocols.http.endpoint).toBe(`0.0.0.0:${url.port}`);
    expect(values.config.service.pipelines.traces.receivers).toContain('otlp');
    expect(Number(configMap.data.OTEL_TRACES_SAMPLER_ARG)).toBeGreaterThan(0);
    expect(Number(configMap.data.OTEL_TRACES_SAMPLER_ARG)).toBeLessThanOrEqual(1);
  });

  test('catalog points the simulator provider at the simulator Service\'s upstream port', () => {
    const url = new URL(environmentOf('catalog').values.SIMULATOR_BASE_URL);
    expect(url.hostname).toBe('simulator');
    const upstream = appPorts('simulator', probes.get('simulator')).all.SIMULATOR_PORT;
    expect((findResource(resources, 'Service', 'simulator')!.spec.ports as YamlMap[]).map((port) => port.port)).toContain(Number(url.port));
    expect(Number(url.port)).toBe(upstream);
  });

  test('ingress holds credit leases under its pod name', () => {
    const variable = (containerOf('ingress').env as YamlMap[]).find((entry) => entry.name === 'REPLICA_ID');
    expect(variable?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
  });

  test('README.md documents the charts, the secrets and the probe token', () => {
    const readme = readFileSync(path.join(k8sDirectory, 'README.md'), 'utf8');
    for (const phrase of ['nats-values.yaml', 'postgres-cluster.yaml', 'otel-collector-values.yaml', 'kubectl apply -k', 'ADMIN_TOKEN', 'SECRETS_KEY', 'JetStream']) {
      expect([phrase, readme.includes(phrase)]).toEqual([phrase, true]);
    }
  });
});
