// The one multi-stage Dockerfile: its stages, what each installs and copies, one runnable target per app.
// No Docker engine runs here; the steps that matter are checked for meaning (and the manifest-collecting step is
// executed against the repository).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execForm, isIgnored, loadDockerfile, loadDockerignore, parseCopy, parseDockerfile, parseDockerignore, type Stage } from './support/dockerfile.js';
import { appPorts, listApps, loadCompose, probeSchemas, readRepoFile, repoRoot, type SchemaProbe } from './support/repo.js';

const apps = listApps();
const dockerfile = loadDockerfile();
const ignore = loadDockerignore();
const BUILD_STAGES = ['base', 'manifests', 'deps', 'build', 'prod-deps', 'runtime'];
const NODE_IMAGE = 'node:22-bookworm-slim';
const rootManifest = JSON.parse(readRepoFile('package.json')) as { packageManager: string; workspaces: string[] };

const stage = (name: string): Stage => {
  const found = dockerfile.stages.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`the Dockerfile has no stage "${name}"`);
  return found;
};
const runs = (name: string): string[] => stage(name).instructions.filter((instruction) => instruction.keyword === 'RUN').map((instruction) => instruction.arguments);
const copies = (name: string) => stage(name).instructions.filter((instruction) => instruction.keyword === 'COPY').map(parseCopy);

/** Every workspace folder named by the root package.json (globs expanded). */
function workspaceFolders(): string[] {
  return rootManifest.workspaces.flatMap((pattern) =>
    pattern.endsWith('/*')
      ? readdirSync(path.join(repoRoot, pattern.slice(0, -2)))
          .map((name) => `${pattern.slice(0, -2)}/${name}`)
          .filter((folder) => existsSync(path.join(repoRoot, folder, 'package.json')))
      : [pattern],
  );
}

let probes: Map<string, SchemaProbe>;
beforeAll(() => {
  probes = probeSchemas(apps.map((app) => ({ app, environments: [] })));
});

describe('Dockerfile stages', () => {
  test('builds on Node 22 LTS (bookworm-slim) only', () => {
    expect(dockerfile.syntax).toMatch(/^docker\/dockerfile:1/);
    expect(dockerfile.globalArguments.NODE_IMAGE).toBe(NODE_IMAGE);
    const names: string[] = [];
    for (const { name, from } of dockerfile.stages) {
      // Every FROM is the Node image or an earlier stage.
      expect(from === NODE_IMAGE || names.includes(from) ? 'ok' : `${name} FROM ${from}`).toBe('ok');
      names.push(name);
    }
  });

  test('has the build stages and one stage per app, nothing else', () => {
    const names = dockerfile.stages.map((candidate) => candidate.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual([...BUILD_STAGES, ...apps].sort());
  });

  test('pins the npm that wrote the lockfile (root package.json packageManager)', () => {
    const version = rootManifest.packageManager.replace(/^npm@/, '');
    expect(runs('base').join(' ')).toMatch(new RegExp(`npm install (--global|-g) npm@${version.replace(/\./g, '\\.')}( |$)`));
  });

  test('manifests collects every workspace package.json and the lockfile (the step, executed here)', () => {
    const [command] = runs('manifests');
    const directory = mkdtempSync(path.join(tmpdir(), 'manifests-'));
    try {
      // The same shell step, with the image's /context and /manifests mapped onto the repository and a temp folder.
      execFileSync('sh', ['-c', command.replaceAll('/context', repoRoot).replaceAll('/manifests', directory)], { stdio: 'pipe' });
      expect(existsSync(path.join(directory, 'package-lock.json'))).toBe(true);
      expect(existsSync(path.join(directory, 'package.json'))).toBe(true);
      for (const folder of workspaceFolders()) expect([folder, existsSync(path.join(directory, folder, 'package.json'))]).toEqual([folder, true]);
      expect(existsSync(path.join(directory, 'node_modules'))).toBe(false);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
    expect(copies('manifests')).toEqual([expect.objectContaining({ sources: ['.'], destination: '/context' })]);
  });

  test('deps installs every dependency from the lockfile with npm ci', () => {
    expect(copies('deps')).toEqual([expect.objectContaining({ from: 'manifests' })]);
    const install = runs('deps').join(' ');
    expect(install).toMatch(/\bnpm ci\b/);
    expect(install).not.toMatch(/--omit|--production/);
  });

  test('build runs the turbo build of every app, then collects the dist of every package and app', () => {
    expect(stage('build').from).toBe('deps');
    const [build] = runs('build');
    expect(build).toMatch(/npx turbo run build( |$)/);
    const filter = /--filter[= ]'?([^'\s]+)'?/.exec(build);
    if (filter) expect(filter[1]).toBe('./apps/*');
    expect(build).toMatch(/for dir in packages\/\* apps\/\*/);
    // Every @switchyard package an app imports lives under packages/ (so the loop collects its dist).
    for (const app of apps) {
      const dependencies = Object.keys((JSON.parse(readRepoFile(`apps/${app}/package.json`)) as { dependencies?: Record<string, string> }).dependencies ?? {});
      for (const dependency of dependencies.filter((name) => name.startsWith('@switchyard/'))) {
        expect(existsSync(path.join(repoRoot, 'packages', dependency.slice('@switchyard/'.length), 'package.json'))).toBe(true);
      }
    }
  });

  test('prod-deps installs runtime dependencies only', () => {
    expect(copies('prod-deps')).toEqual([expect.objectContaining({ from: 'manifests' })]);
    expect(runs('prod-deps').join(' ')).toMatch(/\bnpm ci\b.*--omit=dev/);
  });

  test('runtime: fresh Node image, production mode, pruned node_modules, compiled code, the catalog seed, user node', () => {
    const runtime = stage('runtime');
    expect(runtime.from).toBe(NODE_IMAGE);
    const environment = runtime.instructions.filter((instruction) => instruction.keyword === 'ENV').map((instruction) => instruction.arguments).join(' ');
    expect(environment).toMatch(/NODE_ENV=production/);
    expect(runtime.instructions.find((instruction) => instruction.keyword === 'WORKDIR')?.arguments).toBe('/app');
    const copied = copies('runtime');
    expect(copied).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ from: 'prod-deps', destination: './' }),
        expect.objectContaining({ from: 'build', destination: './' }),
        expect.objectContaining({ from: undefined, sources: ['apps/catalog/seed/'], destination: './apps/catalog/seed/' }),
      ]),
    );
    // The seed is where the compiled catalog looks for it: dist/store/seed-file.js → ../../seed/market.json.
    expect(existsSync(path.join(repoRoot, 'apps/catalog/seed/market.json'))).toBe(true);
    const users = runtime.instructions.filter((instruction) => instruction.keyword === 'USER');
    expect(users.map((instruction) => instruction.arguments)).toEqual(['node']);
    // No dev dependencies reach the image: nothing is copied from deps, and build contributes only dist folders.
    expect(copied.some((copy) => copy.from === 'deps')).toBe(false);
  });

  test('every COPY --from names an earlier stage', () => {
    const seen: string[] = [];
    for (const { name, instructions } of dockerfile.stages) {
      for (const instruction of instructions.filter((candidate) => candidate.keyword === 'COPY')) {
        const { from } = parseCopy(instruction);
        if (from !== undefined) expect([name, seen.includes(from)]).toEqual([name, true]);
      }
      seen.push(name);
    }
  });

  test('every file copied from the build context exists and is not excluded by .dockerignore', () => {
    for (const { instructions } of dockerfile.stages) {
      for (const instruction of instructions.filter((candidate) => candidate.keyword === 'COPY')) {
        const copy = parseCopy(instruction);
        if (copy.from !== undefined) continue;
        for (const source of copy.sources) {
          if (source === '.') continue;
          expect([source, existsSync(path.join(repoRoot, source))]).toEqual([source, true]);
          expect([source, isIgnored(ignore, source)]).toEqual([source, false]);
        }
      }
    }
  });

  test('every build target named in docker-compose.yml is a stage', () => {
    const services = loadCompose().services as Record<string, { build?: { target?: string } }>;
    const names = dockerfile.stages.map((candidate) => candidate.name);
    for (const [name, service] of Object.entries(services)) if (service.build) expect([name, names.includes(service.build.target ?? '')]).toEqual([name, true]);
  });
});

describe.each(apps)('Dockerfile target %s', (app) => {
  test('runs node on the app\'s compiled main, in exec form (node is PID 1 and receives SIGTERM)', () => {
    const target = stage(app);
    expect(target.from).toBe('runtime');
    const commands = target.instructions.filter((instruction) => instruction.keyword === 'CMD');
    expect(commands).toHaveLength(1);
    expect(execForm(commands[0].arguments)).toEqual(['node', `apps/${app}/dist/main.js`]);
    const manifest = JSON.parse(readRepoFile(`apps/${app}/package.json`)) as { main?: string; scripts?: Record<string, string> };
    expect(path.posix.normalize(manifest.main ?? '')).toBe('dist/main.js');
    expect(manifest.scripts?.build).toBeDefined();
    expect(target.instructions.some((instruction) => instruction.keyword === 'USER')).toBe(false);
    expect(target.instructions.some((instruction) => instruction.keyword === 'ENTRYPOINT')).toBe(false);
  });

  test('exposes the ports its config schema defaults to', () => {
    const exposed = stage(app)
      .instructions.filter((instruction) => instruction.keyword === 'EXPOSE')
      .flatMap((instruction) => instruction.arguments.split(/\s+/))
      .map((port) => Number(port.replace(/\/tcp$/, '')))
      .sort();
    expect(exposed).toEqual(Object.values(appPorts(app, probes.get(app)).all).sort());
  });

  test('its sources and manifest reach the build context', () => {
    expect(isIgnored(ignore, `apps/${app}/package.json`)).toBe(false);
    expect(isIgnored(ignore, `apps/${app}/src/main.ts`)).toBe(false);
    expect(isIgnored(ignore, `apps/${app}/tsconfig.build.json`)).toBe(false);
  });
});

describe('.dockerignore', () => {
  test('keeps host installs, build output, git and local secrets out of the context', () => {
    for (const excluded of ['node_modules/zod/package.json', 'apps/ingress/node_modules/x', 'apps/ingress/dist/main.js', 'packages/money/dist/index.js', '.git/HEAD', '.env', 'apps/billing/.env.local', '.turbo/cache', 'apps/catalog/src/store/seed-file.spec.ts']) {
      expect([excluded, isIgnored(ignore, excluded)]).toEqual([excluded, true]);
    }
  });

  test('keeps everything the build needs', () => {
    const needed = ['package.json', 'package-lock.json', 'turbo.json', 'apps/catalog/seed/market.json', 'packages/nest-kit/src/index.ts', 'packages/typescript-config/base.json', 'packages/typescript-config/nest.json'];
    for (const folder of workspaceFolders()) needed.push(`${folder}/package.json`);
    for (const file of needed) expect([file, isIgnored(ignore, file)]).toEqual([file, false]);
  });

  test('the matcher follows BuildKit rules (parents, ** and ! re-inclusion)', () => {
    const patterns = parseDockerignore('**/dist\napps/*/test\n*.md\n!README.md\n/build');
    expect(isIgnored(patterns, 'dist')).toBe(true);
    expect(isIgnored(patterns, 'a/b/dist/c.js')).toBe(true);
    expect(isIgnored(patterns, 'apps/x/test/y.ts')).toBe(true);
    expect(isIgnored(patterns, 'apps/x/src/test.ts')).toBe(false);
    expect(isIgnored(patterns, 'NOTES.md')).toBe(true);
    expect(isIgnored(patterns, 'docs/NOTES.md')).toBe(false);
    expect(isIgnored(patterns, 'README.md')).toBe(false);
    expect(isIgnored(patterns, 'build/x')).toBe(true);
  });

});

describe('test helpers', () => {
  test('the Dockerfile reader joins continuations and reads stages', () => {
    const parsed = parseDockerfile('# syntax=docker/dockerfile:1\nARG IMAGE=node:22\nFROM ${IMAGE} AS one\nRUN a \\\n  # note\n  && b\nFROM one AS two\nCMD ["node", "x.js"]\n');
    expect(parsed.syntax).toBe('docker/dockerfile:1');
    expect(parsed.stages.map((candidate) => [candidate.name, candidate.from])).toEqual([['one', 'node:22'], ['two', 'one']]);
    expect(parsed.stages[0].instructions[0].arguments).toBe('a && b');
    expect(execForm(parsed.stages[1].instructions[0].arguments)).toEqual(['node', 'x.js']);
  });
});

test('the runtime image carries no package manager (fewer binaries to patch)', () => {
  const removal = runs('runtime').join(' ');
  for (const binary of ['/usr/local/bin/npm', '/usr/local/bin/npx', '/usr/local/lib/node_modules/npm']) expect(removal).toContain(binary);
  // Nothing in the runtime stage runs npm after that.
  expect(readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8').split('FROM ${NODE_IMAGE} AS runtime')[1]).not.toMatch(/\bRUN\s+npm\b/);
});
