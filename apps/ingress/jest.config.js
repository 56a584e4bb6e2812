import { createJestConfig } from '@switchyard/jest-config';

// One test file at a time: each end-to-end file boots the whole gateway (seven services) on the machine's two cores.
export default createJestConfig({ rootDir: import.meta.dirname, maxWorkers: 1 });
