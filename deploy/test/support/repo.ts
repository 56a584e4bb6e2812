// What the deployment tests read: the apps found on disk, the compose file, the Kubernetes manifests, the
// Dockerfile, and what each app's own compiled config schema says (defaults, required keys, whether an environment
// is accepted). Nothing here knows the list of apps: it is apps/*/package.json, so a new app without deployment
// artefacts fails the tests.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

export const deployDirectory = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const repoRoot = path.resolve(deployDirectory, '..');
export const k8sDirectory = path.join(deployDirectory, 'k8s');

export function readRepoFile(relativePath: string): string {
  return readFileSync(path.join(repoRoot, relativePath), 'utf8');
}

/** Every app: a folder under apps/ with a package.json. */
export function listApps(): string[] {
  const appsDirectory = path.join(repoRoot, 'apps');
  return readdirSync(appsDirectory)
    .filter((name) => existsSync(path.join(appsDirectory, name, 'package.json')))
    .sort();
}

/** Whether an app talks to Postgres: it has migrations or its sources use DatabaseModule. */
export function appUsesPostgres(app: string): boolean {
  const source = path.join(repoRoot, 'apps', app, 'src');
  if (existsSync(path.join(source, 'migrations'))) return true;
  const stack = existsSync(source) ? [source] : [];
  while (stack.length > 0) {
    const directory = stack.pop()!;
    for (const entry of readdirSync(directory)) {
      const full = path.join(directory, entry);
      if (statSync(full).isDirectory()) stack.push(full);
      else if (entry.endsWith('.ts') && !entry.endsWith('.spec.ts') && readFileSync(full, 'utf8').includes('DatabaseModule')) return true;
    }
  }
  return false;
}

// ---- YAML -------------------------------------------------------------------------------------------------------

export type YamlMap = Record<string, any>;

/** Docker Compose resolves YAML merge keys (`<<: *anchor`), so the tests do too. */
export function parseYaml(text: string): any {
  return parse(text, { merge: true });
}

export function parseYamlDocuments(text: string): YamlMap[] {
  return parseAllDocuments(text, { merge: true })
    .map((document) => {
      if (document.errors.length > 0) throw new Error(document.errors.map((error) => error.message).join('\n'));
      return document.toJS() as YamlMap | null;
    })
    .filter((document): document is YamlMap => document !== null && document !== undefined);
}

/** Every string scalar of a parsed YAML tree, with its path (what compose interpolates). */
export function collectStrings(node: unknown, at: string[] = []): Array<{ path: string; value: string }> {
  if (typeof node === 'string') return [{ path: at.join('.'), value: node }];
  if (Array.isArray(node)) return node.flatMap((item, index) => collectStrings(item, [...at, String(index)]));
  if (node && typeof node === 'object') return Object.entries(node).flatMap(([key, value]) => collectStrings(value, [...at, key]));
  return [];
}

// ---- compose variable interpolation -----------------------------------------------------------------------------

export interface VariableReference {
  raw: string;
  name: string;
  /** `:-` / `-` give a default; `:?` / `?` make the variable required; none: plain reference. */
  operator: ':-' | '-' | ':?' | '?' | ':+' | '+' | null;
  argument: string | null;
}

/**
 * The `${...}` and `$NAME` references of one compose string, as `docker compose config` reads them (`$$` is a literal
 * dollar sign).
 */
export function variableReferences(value: string): VariableReference[] {
  const references: VariableReference[] = [];
  for (let index = 0; index < value.length; index += 1) {
    if (value[index] !== '$') continue;
    if (value[index + 1] === '$') {
      index += 1;
      continue;
    }
    if (value[index + 1] === '{') {
      let depth = 1;
      let end = index + 2;
      while (end < value.length && depth > 0) {
        if (value[end] === '{') depth += 1;
        else if (value[end] === '}') depth -= 1;
        end += 1;
      }
      const body = value.slice(index + 2, end - 1);
      const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:-|-|:\?|\?|:\+|\+)([\s\S]*))?$/.exec(body);
      references.push(
        match
          ? { raw: value.slice(index, end), name: match[1], operator: (match[2] as VariableReference['operator']) ?? null, argument: match[3] ?? null }
          : { raw: value.slice(index, end), name: body, operator: null, argument: null },
      );
      index = end - 1;
      continue;
    }
    const bare = /^[A-Za-z_][A-Za-z0-9_]*/.exec(value.slice(index + 1));
    if (bare) {
      references.push({ raw: `$${bare[0]}`, name: bare[0], operator: null, argument: null });
      index += bare[0].length;
    }
  }
  return references;
}

/** A compose string as `docker compose up` sees it with no .env and no variables set: every default applied. */
export function interpolateWithDefaults(value: string): string {
  let result = value;
  for (const reference of variableReferences(value)) {
    if (reference.operator !== ':-' && reference.operator !== '-') throw new Error(`${reference.raw} has no default`);
    result = result.replace(reference.raw, interpolateWithDefaults(reference.argument ?? ''));
  }
  return result.replace(/\$\$/g, '$');
}

// ---- docker-compose.yml ------------------------------------------------------------------------------------------

export const composeText = (): string => readRepoFile('docker-compose.yml');
export const loadCompose = (): YamlMap => parseYaml(composeText());

/** A compose service's environment (map or list form) with the defaults applied. */
export function composeEnvironment(service: YamlMap): Record<string, string> {
  const environment = service.environment ?? {};
  const entries: Array<[string, string]> = Array.isArray(environment)
    ? environment.map((item: string) => {
        const separator = item.indexOf('=');
        return separator < 0 ? [item, ''] : [item.slice(0, separator), item.slice(separator + 1)];
      })
    : Object.entries(environment).map(([key, value]) => [key, value === null || value === undefined ? '' : String(value)]);
  return Object.fromEntries(entries.map(([key, value]) => [key, interpolateWithDefaults(value)]));
}

export interface PortMapping {
  host?: string;
  published?: number;
  target: number;
}

/** Short (`"127.0.0.1:8080:8080"`) and long (`{target, published}`) port syntax. */
export function composePorts(service: YamlMap): PortMapping[] {
  return (service.ports ?? []).map((entry: unknown): PortMapping => {
    if (typeof entry === 'object' && entry !== null) {
      const long = entry as { target: number | string; published?: number | string; host_ip?: string };
      return { target: Number(long.target), published: long.published === undefined ? undefined : Number(long.published), host: long.host_ip };
    }
    const parts = interpolateWithDefaults(String(entry)).replace(/\/(tcp|udp)$/, '').split(':');
    if (parts.length === 1) return { target: Number(parts[0]) };
    if (parts.length === 2) return { published: Number(parts[0]), target: Number(parts[1]) };
    return { host: parts.slice(0, -2).join(':'), published: Number(parts[parts.length - 2]), target: Number(parts[parts.length - 1]) };
  });
}

export function dependsOn(service: YamlMap): Record<string, { condition: string }> {
  const value = service.depends_on ?? {};
  if (Array.isArray(value)) return Object.fromEntries(value.map((name: string) => [name, { condition: 'service_started' }]));
  return value;
}

/** "20s", "1m30s", "500ms" → seconds. */
export function durationSeconds(value: string | number): number {
  if (typeof value === 'number') return value;
  let total = 0;
  const pattern = /(\d+(?:\.\d+)?)(h|ms|m|s|us|ns)/g;
  let matched = '';
  for (const match of value.matchAll(pattern)) {
    matched += match[0];
    const amount = Number(match[1]);
    total += { h: 3600, m: 60, s: 1, ms: 0.001, us: 0.000001, ns: 0.000000001 }[match[2] as 'h']! * amount;
  }
  if (matched !== value) throw new Error(`not a compose duration: ${value}`);
  return total;
}

// ---- Kubernetes ------------------------------------------------------------------------------------------------

export const loadKustomization = (): YamlMap => parseYaml(readFileSync(path.join(k8sDirectory, 'kustomization.yaml'), 'utf8'));

export interface Manifest extends YamlMap {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
}

export interface LoadedManifest {
  file: string;
  manifest: Manifest;
}

/** Every resource of every file the kustomization lists. */
export function loadKustomizeResources(): LoadedManifest[] {
  const kustomization = loadKustomization();
  return (kustomization.resources as string[]).flatMap((file) =>
    parseYamlDocuments(readFileSync(path.join(k8sDirectory, file), 'utf8')).map((manifest) => ({ file, manifest: manifest as Manifest })),
  );
}

export function findResource(resources: LoadedManifest[], kind: string, name: string): Manifest | undefined {
  return resources.find((resource) => resource.manifest.kind === kind && resource.manifest.metadata?.name === name)?.manifest;
}

/** Kubernetes quantities ("256Mi", "0.5Gi", "268435456", "250m") → bytes or units. */
export function quantity(value: string | number): number {
  if (typeof value === 'number') return value;
  const match = /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(value);
  if (!match) throw new Error(`not a Kubernetes quantity: ${value}`);
  const factor = { m: 0.001, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 }[match[2] ?? ''] ?? 1;
  return Number(match[1]) * factor;
}

// ---- what the apps' compiled config schemas say ----------------------------------------------------------------

/** The ports table of the service guide: used when an app's dist is not built (then nothing is failed on it). */
export const FALLBACK_PORTS: Record<string, Record<string, number>> = {
  ingress: { PORT: 8080, ADMIN_PORT: 9080 },
  routing: { PORT: 9081 },
  providers: { PORT: 9082 },
  metering: { PORT: 9083 },
  billing: { PORT: 9084 },
  catalog: { PORT: 9085 },
  simulator: { PORT: 9086, SIMULATOR_PORT: 8090 },
};

export interface SchemaProbe {
  app: string;
  /** false when apps/<app>/dist/config/<app>.config.js does not exist (not built yet). */
  available: boolean;
  error?: string;
  /** The schema's scalar defaults (PORT, ADMIN_PORT, SIMULATOR_PORT, SHUTDOWN_TIMEOUT_MS, ...). */
  defaults: Record<string, number | string | boolean>;
  /** Keys with no default that are not optional. */
  required: string[];
  /** Every key the schema knows. */
  keys: string[];
  /** One result per environment given to probeSchemas, in order. */
  results: Array<{ ok: true; platformKeySlugs?: string[] } | { ok: false; message: string }>;
}

/**
 * Loads each app's compiled config module in a child node process (the real one, with its own imports) and reports
 * its defaults and required keys, and whether each given environment is accepted as the app itself would parse it
 * at boot (`load<App>Config` when the module has one, `parseConfig` otherwise).
 */
export function probeSchemas(requests: Array<{ app: string; environments: Array<Record<string, string>> }>): Map<string, SchemaProbe> {
  const script = path.join(deployDirectory, 'test', 'support', 'config-probe.mjs');
  const child = spawnSync(process.execPath, [script], {
    cwd: repoRoot,
    input: JSON.stringify({ repoRoot, requests }),
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
  });
  if (child.status !== 0) throw new Error(`config probe failed (${child.status}): ${child.stderr}`);
  const probes = JSON.parse(child.stdout) as SchemaProbe[];
  return new Map(probes.map((probe) => [probe.app, probe]));
}

/** The ports an app listens on: the schema's defaults, or the service guide's table when the app is not built. */
export function appPorts(app: string, probe: SchemaProbe | undefined): { admin: number; all: Record<string, number> } {
  const fromSchema = probe?.available
    ? (Object.fromEntries(Object.entries(probe.defaults).filter(([key, value]) => (key === 'PORT' || key.endsWith('_PORT')) && typeof value === 'number')) as Record<string, number>)
    : undefined;
  const all = fromSchema && Object.keys(fromSchema).length > 0 ? fromSchema : FALLBACK_PORTS[app];
  if (!all) throw new Error(`no port defaults for ${app}: build it (apps/${app}/dist) or add it to FALLBACK_PORTS`);
  return { admin: all.ADMIN_PORT ?? all.PORT, all };
}

/** Keys the services need in production although their schemas let them be absent (parseConfig/load* enforce them). */
export function productionRequiredKeys(app: string): string[] {
  return app === 'providers' ? ['ADMIN_TOKEN', 'SECRETS_KEY'] : ['ADMIN_TOKEN'];
}

/** The provider slugs of the bundled catalog seed that need a platform key (every provider but the simulators). */
export function seedProviderSlugs(): string[] {
  const seed = JSON.parse(readRepoFile('apps/catalog/seed/market.json')) as { providers: Array<{ slug: string; adapter?: string }> };
  return seed.providers
    .filter((provider) => provider.slug !== 'simulator' && !provider.slug.startsWith('simulator-') && provider.adapter !== 'simulator')
    .map((provider) => provider.slug)
    .sort();
}

/** `together-ai` → `PROVIDER_API_KEY_TOGETHER_AI` (providers' platformKeyEnvName). */
export function platformKeyEnvName(slug: string): string {
  return `PROVIDER_API_KEY_${slug.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}
