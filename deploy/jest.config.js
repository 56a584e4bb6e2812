import { createJestConfig } from '@switchyard/jest-config';

export default createJestConfig({ rootDir: import.meta.dirname, testMatch: ['<rootDir>/test/**/*.spec.ts'] });
