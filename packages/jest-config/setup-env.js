// Runs before each test file: gives the file its own NATS subject prefix (and so its own JetStream stream), so
// test files, parallel workers and parallel sessions never hear each other's messages. The prefix is noted in the
// run's prefix log, so that the results reporter deletes the file's stream once the package's run is over.
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';

if (!process.env.SWITCHYARD_SUBJECT_PREFIX) {
  process.env.SWITCHYARD_SUBJECT_PREFIX = `t${randomBytes(4).toString('hex')}`;
  if (process.env.SWITCHYARD_TEST_PREFIX_LOG) appendFileSync(process.env.SWITCHYARD_TEST_PREFIX_LOG, `${process.env.SWITCHYARD_SUBJECT_PREFIX}\n`);
}
process.env.TEST_DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/switchyard_test';
