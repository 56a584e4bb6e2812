import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamStreamName } from '@switchyard/contracts';
import { deleteTestStream, TEST_NATS_URL, uniqueSuffix } from '../../src/testing/index.js';

// Test stacks and benchmark runs delete their JetStream stream when they stop, so the shared server keeps nothing.
describe('deleteTestStream', () => {
  let connection: NatsConnection;
  beforeAll(async () => {
    connection = await connect({ servers: TEST_NATS_URL });
  });
  afterAll(async () => {
    await connection.close();
  });

  it("deletes the stream of a test prefix, and reports when there was none", async () => {
    const prefix = `t${uniqueSuffix()}`;
    const jsm = await jetstreamManager(connection);
    await jsm.streams.add({ name: jetstreamStreamName(prefix), subjects: [`${prefix}.metering.>`] });
    expect((await jsm.streams.info(jetstreamStreamName(prefix))).config.name).toBe(`SWITCHYARD_${prefix.toUpperCase()}`);

    expect(await deleteTestStream(TEST_NATS_URL, prefix)).toBe(true);
    await expect(jsm.streams.info(jetstreamStreamName(prefix))).rejects.toThrow(/stream not found/i);
    expect(await deleteTestStream(TEST_NATS_URL, prefix)).toBe(false);
  });

  it('never deletes the production stream', async () => {
    await expect(deleteTestStream(TEST_NATS_URL, 'sy')).rejects.toThrow(/production/);
  });
});
