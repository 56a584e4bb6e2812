import { subjects } from '@switchyard/contracts';
import { catalogSnapshotSchema } from '@switchyard/llm-spec';
import { dropSchema } from '@switchyard/nest-kit';
import { ServiceProcess, TEST_ADMIN_TOKEN, TEST_DATABASE_URL, TEST_NATS_URL, freePort, uniqueSchema } from '@switchyard/nest-kit/testing';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { natsConnection } from '../integration/catalog-helpers.js';

const entry = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const schema = uniqueSchema('catalog');

/** The built service as a real process: config from the environment, the seed found from dist/, a clean stop. */
describe('catalog as a process (dist/main.js)', () => {
  let service: ServiceProcess;
  let port: number;

  beforeAll(async () => {
    if (!existsSync(entry)) throw new Error(`${entry} is missing: build first (npx tsc -p tsconfig.build.json)`);
    port = await freePort();
    service = new ServiceProcess({
      name: 'catalog',
      entry,
      env: {
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: TEST_DATABASE_URL,
        NATS_URL: TEST_NATS_URL,
        ADMIN_TOKEN: TEST_ADMIN_TOKEN,
        DB_SCHEMA: schema,
        SIMULATOR_BASE_URL: 'http://127.0.0.1:18555/openai/v1',
        LOG_FORMAT: 'json',
      },
      healthUrl: `http://127.0.0.1:${port}/admin/health`,
    });
    await service.start();
  });

  afterAll(async () => {
    await service?.stop();
    await dropSchema(TEST_DATABASE_URL, schema);
  });

  it('seeds from the bundled seed and answers the snapshot RPC', async () => {
    const nats = await natsConnection();
    try {
      const reply = await nats.request(subjects.catalog.snapshot, JSON.stringify({ pattern: subjects.catalog.snapshot, data: {}, id: 'e2e-1' }), { timeout: 5_000 });
      const snapshot = catalogSnapshotSchema.parse((reply.json() as { response: unknown }).response);
      expect(snapshot.version).toBe(1);
      expect(snapshot.models).toHaveLength(77);
      expect(snapshot.providers.find((provider) => provider.slug === 'simulator')?.baseUrl).toBe('http://127.0.0.1:18555/openai/v1');
    } finally {
      await nats.close();
    }
  });

  it('stops cleanly on SIGTERM', async () => {
    await service.stop(10_000);
    expect(service.exitCode).not.toBeNull();
    expect(service.logs()).not.toMatch(/"level":"(error|fatal)"/);
  });
});
