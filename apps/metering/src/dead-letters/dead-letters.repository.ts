import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Queryable } from '../common/queryable.js';
import { recordsetInput, type RecordsetColumn } from '../common/recordset.js';
import { type DeadLetter, payloadDigest } from './dead-letter.js';

const COLUMNS: ReadonlyArray<RecordsetColumn<DeadLetter>> = [
  { name: 'consumer', type: 'text', value: (letter) => letter.consumer },
  { name: 'subject', type: 'text', value: (letter) => letter.subject },
  { name: 'stream_sequence', type: 'bigint', value: (letter) => letter.streamSequence },
  { name: 'payload_sha256', type: 'text', value: (letter) => payloadDigest(letter.payload) },
  { name: 'payload', type: 'bytea', value: (letter) => letter.payload },
  { name: 'reason', type: 'text', value: (letter) => letter.reason },
];

export interface StoredDeadLetter {
  id: string;
  consumer: string;
  subject: string;
  stream_sequence: string;
  payload: Buffer;
  reason: string;
  received_at: Date;
}

@Injectable()
export class DeadLettersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Records dead letters; the same message redelivered is recorded once. Returns how many are new. */
  async insert(queryable: Queryable, letters: ReadonlyArray<DeadLetter>): Promise<number> {
    if (letters.length === 0) return 0;
    const input = recordsetInput(COLUMNS, letters, 'letter');
    const rows = await queryable.query<Array<{ id: string }>>(
      `INSERT INTO dead_letters (${input.columns}) SELECT ${input.columns} FROM ${input.from}
       ON CONFLICT ON CONSTRAINT dead_letters_once DO NOTHING RETURNING id`,
      input.parameters,
    );
    return rows.length;
  }

  /** Newest first, keyset-paginated by id. */
  async list(options: { consumer?: string; limit: number; beforeId?: string }): Promise<StoredDeadLetter[]> {
    const conditions: string[] = [];
    const parameters: unknown[] = [];
    if (options.consumer) {
      parameters.push(options.consumer);
      conditions.push(`consumer = $${parameters.length}`);
    }
    if (options.beforeId) {
      parameters.push(options.beforeId);
      conditions.push(`id < $${parameters.length}::bigint`);
    }
    parameters.push(options.limit);
    return this.dataSource.query(
      `SELECT id::text AS id, consumer, subject, stream_sequence::text AS stream_sequence, payload, reason, received_at
       FROM dead_letters ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
       ORDER BY id DESC LIMIT $${parameters.length}`,
      parameters,
    );
  }
}
