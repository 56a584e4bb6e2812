// What a Deployment's container ends up with: its environment (ConfigMap, Secrets, literal values, pod fields) and
// the effect of the kustomization's replacements, applied the way kustomize applies them.
import { findResource, type LoadedManifest, type Manifest, type YamlMap } from './repo.js';

export interface ResolvedEnvironment {
  values: Record<string, string>;
  /** Keys whose value comes from a Secret, with the Secret's name. */
  fromSecrets: Record<string, string>;
  /** References to ConfigMaps, Secrets or keys that do not exist (and are not optional). */
  missing: string[];
}

function secretData(secret: Manifest): Record<string, string> {
  const decoded = Object.fromEntries(Object.entries((secret.data ?? {}) as Record<string, string>).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
  return { ...decoded, ...((secret.stringData ?? {}) as Record<string, string>) };
}

export function resolveContainerEnvironment(container: YamlMap, resources: LoadedManifest[]): ResolvedEnvironment {
  const values: Record<string, string> = {};
  const fromSecrets: Record<string, string> = {};
  const missing: string[] = [];
  for (const source of (container.envFrom ?? []) as YamlMap[]) {
    if (source.configMapRef) {
      const configMap = findResource(resources, 'ConfigMap', source.configMapRef.name);
      if (!configMap) {
        if (!source.configMapRef.optional) missing.push(`ConfigMap ${source.configMapRef.name}`);
        continue;
      }
      for (const [key, value] of Object.entries((configMap.data ?? {}) as Record<string, unknown>)) values[(source.prefix ?? '') + key] = String(value);
    }
    if (source.secretRef) {
      const secret = findResource(resources, 'Secret', source.secretRef.name);
      if (!secret) {
        if (!source.secretRef.optional) missing.push(`Secret ${source.secretRef.name}`);
        continue;
      }
      for (const [key, value] of Object.entries(secretData(secret))) {
        values[(source.prefix ?? '') + key] = String(value);
        fromSecrets[(source.prefix ?? '') + key] = source.secretRef.name;
      }
    }
  }
  for (const variable of (container.env ?? []) as YamlMap[]) {
    if (variable.value !== undefined) {
      values[variable.name] = String(variable.value);
      continue;
    }
    const from = variable.valueFrom ?? {};
    if (from.secretKeyRef) {
      const secret = findResource(resources, 'Secret', from.secretKeyRef.name);
      const data = secret ? secretData(secret) : undefined;
      if (data && from.secretKeyRef.key in data) {
        values[variable.name] = data[from.secretKeyRef.key];
        fromSecrets[variable.name] = from.secretKeyRef.name;
      } else if (!from.secretKeyRef.optional) {
        missing.push(`Secret ${from.secretKeyRef.name} key ${from.secretKeyRef.key} (for ${variable.name})`);
      }
    } else if (from.configMapKeyRef) {
      const configMap = findResource(resources, 'ConfigMap', from.configMapKeyRef.name);
      const data = (configMap?.data ?? {}) as Record<string, string>;
      if (from.configMapKeyRef.key in data) values[variable.name] = String(data[from.configMapKeyRef.key]);
      else if (!from.configMapKeyRef.optional) missing.push(`ConfigMap ${from.configMapKeyRef.name} key ${from.configMapKeyRef.key}`);
    } else if (from.fieldRef) {
      values[variable.name] = `pod-${String(from.fieldRef.fieldPath).replace(/[^a-z0-9]+/gi, '-')}-0`;
    } else {
      missing.push(`${variable.name}: no value`);
    }
  }
  return { values, fromSecrets, missing };
}

// ---- kustomize field paths and replacements ----------------------------------------------------------------------

/** The nodes a kustomize field path (`a.b.*.c.[name=x].d`) reaches; the last segment is returned as the key to set. */
function walk(node: unknown, segments: string[]): Array<{ parent: YamlMap; key: string }> {
  if (segments.length === 0 || node === null || typeof node !== 'object') return [];
  const [segment, ...rest] = segments;
  const children: Array<{ parent: YamlMap; key: string }> = [];
  if (segment === '*' && Array.isArray(node)) {
    node.forEach((_item, index) => children.push({ parent: node as unknown as YamlMap, key: String(index) }));
  } else if (/^\[[^=\]]+=[^\]]*\]$/.exec(segment) && Array.isArray(node)) {
    const [field, value] = segment.slice(1, -1).split('=');
    node.forEach((item, index) => {
      if (item && typeof item === 'object' && String((item as YamlMap)[field]) === value) children.push({ parent: node as unknown as YamlMap, key: String(index) });
    });
  } else if (!Array.isArray(node) && segment in (node as YamlMap)) {
    children.push({ parent: node as YamlMap, key: segment });
  }
  if (rest.length === 0) return children;
  return children.flatMap(({ parent, key }) => walk(parent[key], rest));
}

export function fieldPathSegments(fieldPath: string): string[] {
  return fieldPath.split('.');
}

export function readFieldPath(resource: YamlMap, fieldPath: string): unknown[] {
  return walk(resource, fieldPathSegments(fieldPath)).map(({ parent, key }) => parent[key]);
}

function selects(select: YamlMap, manifest: Manifest): boolean {
  if (select.kind && select.kind !== manifest.kind) return false;
  if (select.name && select.name !== manifest.metadata.name) return false;
  if (select.version && !String(manifest.apiVersion).endsWith(select.version)) return false;
  return true;
}

/**
 * Applies the kustomization's `replacements` to copies of the resources and returns them with, per replacement
 * target, how many fields it changed.
 */
export function applyReplacements(resources: LoadedManifest[], replacements: YamlMap[]): { resources: Manifest[]; changed: number[] } {
  const copies = resources.map(({ manifest }) => structuredClone(manifest));
  const changed: number[] = [];
  for (const replacement of replacements) {
    const sourceSelect = replacement.source as YamlMap;
    const source = copies.find((manifest) => selects(sourceSelect, manifest));
    if (!source) throw new Error(`replacement source ${sourceSelect.kind}/${sourceSelect.name} not found`);
    const values = readFieldPath(source, sourceSelect.fieldPath ?? 'metadata.name');
    if (values.length !== 1) throw new Error(`replacement source field ${sourceSelect.fieldPath} not found`);
    const value = String(values[0]);
    for (const target of (replacement.targets ?? []) as YamlMap[]) {
      let count = 0;
      for (const manifest of copies.filter((candidate) => selects(target.select ?? {}, candidate))) {
        for (const fieldPath of target.fieldPaths as string[]) {
          for (const { parent, key } of walk(manifest, fieldPathSegments(fieldPath))) {
            const options = (target.options ?? {}) as { delimiter?: string; index?: number };
            if (options.delimiter !== undefined) {
              const parts = String(parent[key]).split(options.delimiter);
              parts[options.index ?? 0] = value;
              parent[key] = parts.join(options.delimiter);
            } else {
              parent[key] = value;
            }
            count += 1;
          }
        }
      }
      changed.push(count);
    }
  }
  return { resources: copies, changed };
}
