// Deleting the JetStream streams that test runs leave behind. One mechanism for the results reporter (the streams of
// a package run's test files) and for nest-kit's deleteTestStream (a test stack's or a benchmark's stream). A
// stream belongs to a subject prefix when every subject it captures starts with "<prefix>.": found from the
// server's own configuration, so no copy of the stream-naming rule lives here.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

/**
 * Deletes every stream whose subjects all belong to one of `prefixes`; returns how many were deleted. Refuses the
 * production prefix `sy`. Best effort: NATS being down or a stream vanishing meanwhile is not an error.
 */
export async function deletePrefixStreams(natsUrl, prefixes) {
  if (prefixes.includes('sy')) throw new Error('refusing to delete the production stream');
  if (prefixes.length === 0) return 0;
  const owned = prefixes.map((prefix) => `${prefix}.`);
  let connection;
  let deleted = 0;
  try {
    connection = await connect({ servers: natsUrl, timeout: 2_000 });
    const manager = await jetstreamManager(connection, { timeout: 5_000 });
    const names = [];
    for await (const stream of manager.streams.list()) {
      const subjects = stream.config.subjects ?? [];
      if (subjects.length > 0 && owned.some((start) => subjects.every((subject) => subject.startsWith(start)))) names.push(stream.config.name);
    }
    for (const name of names) if (await manager.streams.delete(name).catch(() => false)) deleted += 1;
  } catch {
    // Left to expire with their messages' max age.
  } finally {
    await connection?.close().catch(() => undefined);
  }
  return deleted;
}
