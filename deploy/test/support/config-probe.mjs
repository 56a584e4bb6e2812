// Run by repo.ts in a child process: reads {repoRoot, requests: [{app, environments}]} on stdin, loads each app's
// compiled config module (apps/<app>/dist/config/<app>.config.js, exporting <app>ConfigSchema) and prints, per app,
// the schema's defaults, its required keys, and whether each environment is accepted the way the app parses
// it at boot. A separate process keeps the apps' real module graph (zod, nest-kit) out of Jest's module registry.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const camel = (name) => name.replace(/-([a-z0-9])/g, (_match, letter) => letter.toUpperCase());
const pascal = (name) => camel(name).replace(/^./, (letter) => letter.toUpperCase());

function describeError(error) {
  if (error && Array.isArray(error.issues)) return error.issues.map((issue) => `${issue.key ?? issue.path?.join('.')}: ${issue.message}`).join('; ');
  return error instanceof Error ? error.message : String(error);
}

async function probe(repoRoot, { app, environments }) {
  const file = path.join(repoRoot, 'apps', app, 'dist', 'config', `${app}.config.js`);
  const result = { app, available: false, defaults: {}, required: [], keys: [], results: [] };
  if (!existsSync(file)) return result;
  let module;
  try {
    module = await import(pathToFileURL(file).href);
  } catch (error) {
    return { ...result, error: `cannot load ${file}: ${describeError(error)}` };
  }
  const schema = module[`${camel(app)}ConfigSchema`];
  if (!schema || typeof schema.safeParse !== 'function' || !schema.shape) {
    return { ...result, error: `${file} does not export a zod object ${camel(app)}ConfigSchema` };
  }
  result.available = true;
  result.keys = Object.keys(schema.shape);
  for (const [key, field] of Object.entries(schema.shape)) {
    const absent = field.safeParse(undefined);
    if (!absent.success) result.required.push(key);
    else if (['number', 'string', 'boolean'].includes(typeof absent.data)) result.defaults[key] = absent.data;
  }

  // What the app's main.ts calls: load<App>Config(env) when the config module has one, else nest-kit's parseConfig.
  const loader = module[`load${pascal(app)}Config`];
  let parseConfig;
  if (typeof loader !== 'function') ({ parseConfig } = await import(pathToFileURL(path.join(repoRoot, 'packages', 'nest-kit', 'dist', 'index.js')).href));
  for (const environment of environments) {
    try {
      if (typeof loader === 'function') loader({ ...environment });
      else parseConfig(schema, { ...environment });
      const entry = { ok: true };
      if (typeof module.platformKeysFromEnv === 'function') entry.platformKeySlugs = Object.keys(module.platformKeysFromEnv({ ...environment })).sort();
      result.results.push(entry);
    } catch (error) {
      result.results.push({ ok: false, message: describeError(error) });
    }
  }
  return result;
}

let input = '';
for await (const chunk of process.stdin) input += chunk;
const { repoRoot, requests } = JSON.parse(input);
const output = [];
for (const request of requests) output.push(await probe(repoRoot, request));
process.stdout.write(JSON.stringify(output));
