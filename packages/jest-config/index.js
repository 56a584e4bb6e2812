// Shared Jest configuration: ESM mode, TypeScript through @swc/jest (TypeScript 7 has no JS API, so no ts-jest).
// Each package's jest.config.js calls createJestConfig(import.meta.url-relative options).
import { mkdirSync } from 'node:fs';
import path from 'node:path';

const swcOptions = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'es6' },
  sourceMaps: 'inline',
};

/**
 * @param {{ rootDir: string, testMatch?: string[], testTimeout?: number, maxWorkers?: number | string }} options
 */
export function createJestConfig(options) {
  const name = path.basename(options.rootDir);
  const resultsDirectory = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../.test-results');
  mkdirSync(resultsDirectory, { recursive: true });
  return {
    rootDir: options.rootDir,
    testEnvironment: 'node',
    extensionsToTreatAsEsm: ['.ts'],
    transform: { '^.+\\.ts$': ['@swc/jest', swcOptions] },
    moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
    testMatch: options.testMatch ?? [
      '<rootDir>/src/**/*.spec.ts',
      '<rootDir>/test/**/*.int-spec.ts',
      '<rootDir>/test/**/*.e2e-spec.ts',
    ],
    testPathIgnorePatterns: ['/node_modules/', '/dist/'],
    setupFiles: [path.resolve(path.dirname(new URL(import.meta.url).pathname), 'setup-env.js')],
    testTimeout: options.testTimeout ?? 30_000,
    maxWorkers: options.maxWorkers ?? 2,
    // A leaked handle (an unclosed NATS connection after a failed beforeAll) must fail the run, not hang CI.
    forceExit: true,
    reporters: [
      'default',
      [path.resolve(path.dirname(new URL(import.meta.url).pathname), 'results-reporter.js'), { outputFile: path.join(resultsDirectory, `${name}.json`) }],
    ],
  };
}
