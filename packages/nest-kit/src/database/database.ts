import { Logger } from '@nestjs/common';
import pg from 'pg';

const logger = new Logger('Database');

/** Splits a postgres URL into the server URL (for the `postgres` maintenance db) and the database name. */
function splitDatabaseUrl(url: string): { serverUrl: string; database: string } {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres';
  parsed.pathname = '/postgres';
  return { serverUrl: parsed.toString(), database };
}

/** Creates the database when missing (fresh machines), then the service's schema. Idempotent and race-safe. */
export async function ensureDatabaseAndSchema(url: string, schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  const { serverUrl, database } = splitDatabaseUrl(url);
  const probe = new pg.Client({ connectionString: url });
  try {
    await probe.connect();
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') throw error;
    await probe.end().catch(() => undefined);
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
      logger.log(`created database ${database}`);
    } catch (createError) {
      // Created concurrently by another service starting at the same moment: Postgres reports either
      // duplicate_database or, when both inserts race inside pg_database, a unique violation on its name index.
      const code = (createError as { code?: string }).code;
      if (code !== '42P04' && code !== '23505') throw createError;
    } finally {
      await admin.end();
    }
    return ensureDatabaseAndSchema(url, schema);
  }
  try {
    await probe.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } catch (error) {
    // Two services creating the same schema at once: the loser sees a unique violation; the schema exists.
    if ((error as { code?: string }).code !== '23505') throw error;
  } finally {
    await probe.end();
  }
}

/** Drops a schema and everything in it (tests clean up after themselves with it). */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
