#!/usr/bin/env node
// `npm test`: builds, runs every package's tests through turbo (one package at a time: the integration and
// end-to-end suites share the machine's Postgres, NATS and two cores), then prints the total across all packages
// as the last line, "N passed, M failed". A package whose test run crashed before reporting counts as a failure,
// so a run that executed nothing is visible.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const resultsDirectory = path.join(root, '.test-results');
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', FORCE_COLOR: process.env.CI ? '0' : (process.env.FORCE_COLOR ?? '1') };
const extraArgs = process.argv.slice(2);

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  return result.status ?? 1;
}

const workspaces = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).workspaces;
const packagesWithTests = [];
for (const pattern of workspaces) {
  const directories = pattern.endsWith('/*')
    ? readdirSync(path.join(root, pattern.slice(0, -2)), { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => path.join(pattern.slice(0, -2), entry.name))
    : [pattern];
  for (const directory of directories) {
    const manifest = path.join(root, directory, 'package.json');
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
    if (pkg.scripts?.test) packagesWithTests.push({ name: pkg.name, directory, resultName: path.basename(directory) });
  }
}

rmSync(resultsDirectory, { recursive: true, force: true });
const buildStatus = run('npx', ['turbo', 'run', 'build', '--output-logs=errors-only']);
let testStatus = 1;
if (buildStatus === 0) {
  testStatus = run('npx', ['turbo', 'run', 'test', '--continue', '--concurrency=1', ...extraArgs]);
}

let passed = 0;
let failed = 0;
const missing = [];
const failures = [];
for (const pkg of packagesWithTests) {
  const file = path.join(resultsDirectory, `${pkg.resultName}.json`);
  if (!existsSync(file)) {
    missing.push(pkg.name);
    continue;
  }
  const summary = JSON.parse(readFileSync(file, 'utf8'));
  passed += summary.passed;
  failed += summary.failed;
  const crashed = summary.runtimeErrorSuites > 0 ? `, ${summary.runtimeErrorSuites} suites failed to run` : '';
  console.log(`  ${pkg.name.padEnd(28)} ${String(summary.passed).padStart(4)} passed, ${summary.failed} failed${crashed}`);
  if (summary.runtimeErrorSuites > 0) failed += summary.runtimeErrorSuites;
  for (const failure of summary.failures ?? []) failures.push({ pkg: pkg.name, ...failure });
}
if (buildStatus !== 0) console.log('  the build failed: no tests ran');
for (const name of missing) {
  console.log(`  ${name.padEnd(28)} no results (its test run crashed or did not run)`);
  failed += 1;
}
if (failures.length > 0) {
  // Named again here, at the end, because a CI log is often read from its tail.
  console.log('failed tests:');
  for (const failure of failures) console.log(`  ${failure.pkg} ${failure.file} › ${failure.test}\n      ${failure.message}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || buildStatus !== 0 || testStatus !== 0 ? 1 : 0);
