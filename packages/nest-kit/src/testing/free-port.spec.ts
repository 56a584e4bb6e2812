import { createServer } from 'node:net';
import { freePort } from './index.js';

describe('freePort', () => {
  it('hands out distinct ports below the ephemeral range that a service can bind at once', async () => {
    const ports: number[] = [];
    for (let index = 0; index < 30; index++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(20_000);
      expect(port).toBeLessThan(32_768);
    }
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(ports[0], '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});
