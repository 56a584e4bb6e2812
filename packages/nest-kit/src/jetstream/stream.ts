import { type JetStreamManager, RetentionPolicy, StorageType, DiscardPolicy } from '@nats-io/jetstream';
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
  try {
    const info = await jsm.streams.info(JETSTREAM_STREAM);
    const missing = config.subjects.filter((subject) => !info.config.subjects.includes(subject));
    if (missing.length > 0) await jsm.streams.update(JETSTREAM_STREAM, { ...info.config, subjects: [...new Set([...info.config.subjects, ...config.subjects])] });
  } catch (error) {
    if (!/stream not found/i.test((error as Error).message)) throw error;
    try {
      await jsm.streams.add(config);
    } catch (addError) {
      if (!/already in use|exists/i.test((addError as Error).message)) throw addError;
    }
  }
}
