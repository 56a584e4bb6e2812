import pg from 'pg';
import { ensureDatabaseAndSchema } from '../../src/database/database.js';
import { TEST_DATABASE_URL } from '../../src/testing/index.js';

// On a fresh machine every service starts at once and each creates the shared database if it is missing: all of
// them must come up, whichever wins the CREATE DATABASE race.
describe('ensureDatabaseAndSchema on a fresh server', () => {
  const database = `switchyard_fresh_${process.pid}_${Date.now().toString(36)}`;
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${database}`;
  const maintenanceUrl = new URL(TEST_DATABASE_URL);
  maintenanceUrl.pathname = '/postgres';

  afterAll(async () => {
    const admin = new pg.Client({ connectionString: maintenanceUrl.toString() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
  });

  it('creates the database once and every concurrent caller gets its schema', async () => {
    const schemas = ['ingress', 'routing', 'providers', 'metering', 'billing', 'catalog', 'simulator', 'extra'];
    await Promise.all(schemas.map((schema) => ensureDatabaseAndSchema(url.toString(), schema)));
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    const { rows } = await client.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE nspname = ANY($1) ORDER BY nspname`, [schemas]);
    await client.end();
    expect(rows.map((row) => row.nspname)).toEqual([...schemas].sort());
  });
});
