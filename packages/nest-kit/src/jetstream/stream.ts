import { type JetStreamManager, RetentionPolicy, StorageType, DiscardPolicy, type StreamConfig } from '@nats-io/jetstream';
import { JETSTREAM_STREAM, JETSTREAM_SUBJECTS, SUBJECT_PREFIX } from '@switchyard/contracts';

const NANOS_PER_MS = 1_000_000;

/**
 * Creates (or updates) the stream that holds every money-carrying event: file storage, limits retention, a
 * two-minute de-duplication window keyed by `Nats-Msg-Id`. Test prefixes get a short max age so they clean up.
 */
export async function ensureSwitchyardStream(jsm: JetStreamManager): Promise<void> {
  const isTest = SUBJECT_PREFIX !== 'sy';
  const config = {
    name: JETSTREAM_STREAM,
    subjects: [...JETSTREAM_SUBJECTS],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    duplicate_window: 120_000 * NANOS_PER_MS,
    max_age: (isTest ? 3_600_000 : 30 * 24 * 3_600_000) * NANOS_PER_MS,
    num_replicas: 1,
  };
  await ensureStream(jsm, config, (existing) => {
    const missing = config.subjects.filter((subject) => !existing.subjects.includes(subject));
    return missing.length > 0 ? { ...existing, subjects: [...new Set([...existing.subjects, ...config.subjects])] } : undefined;
  });
}

/**
 * Creates a stream, or, when it exists, applies `update` to its configuration (`undefined`: leave it as it is).
 * Two replicas creating it at once is not an error.
 */
export async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }, update: (existing: StreamConfig) => StreamConfig | undefined): Promise<void> {
  try {
    const info = await jsm.streams.info(config.name);
    const updated = update(info.config);
    if (updated) await jsm.streams.update(config.name, updated);
  } catch (error) {
    if (!/stream not found/i.test((error as Error).message)) throw error;
    try {
      await jsm.streams.add(config);
    } catch (addError) {
      if (!/already in use|exists/i.test((addError as Error).message)) throw addError;
    }
  }
}
