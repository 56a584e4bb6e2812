import { createHash } from 'node:crypto';
import { storableText } from '../common/postgres-text.js';

/** An event that can never be stored (not JSON, fails its schema, or rejected by Postgres): kept for an operator. */
export interface DeadLetter {
  consumer: string;
  subject: string;
  streamSequence: number;
  payload: Buffer;
  reason: string;
}

export function deadLetter(consumer: string, message: { subject: string; seq: number; data: Uint8Array }, reason: string): DeadLetter {
  return {
    consumer,
    subject: storableText(message.subject),
    streamSequence: message.seq,
    payload: Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength),
    reason: storableText(reason.length > 2_000 ? `${reason.slice(0, 2_000)}…` : reason),
  };
}

export function payloadDigest(payload: Buffer): string {
  return createHash('sha256').update(payload).digest('hex');
}
