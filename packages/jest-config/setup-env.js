// Runs before each test file: gives the file its own NATS subject prefix (and so its own JetStream stream), so
// test files, parallel workers and parallel sessions never hear each other's messages.
import { randomBytes } from 'node:crypto';

if (!process.env.SWITCHYARD_SUBJECT_PREFIX) {
  process.env.SWITCHYARD_SUBJECT_PREFIX = `t${randomBytes(4).toString('hex')}`;
}
process.env.TEST_DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/switchyard_test';
