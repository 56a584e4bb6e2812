import { Injectable, Logger } from '@nestjs/common';
import { durableConsumers } from '@switchyard/contracts';
import { describeDatabaseError, isDataError } from '../common/database-errors.js';
import { type DeadLetter, deadLetter } from '../dead-letters/dead-letter.js';
import { DeadLettersRepository } from '../dead-letters/dead-letters.repository.js';
import { parseJsonPayload } from '../generations/generation-row.js';
import { GenerationsRepository } from '../generations/generations.repository.js';
import type { BatchOutcome, InboundMessage } from '../ingestion/inbound-message.js';
import { type AttemptUsageRow, mapAttemptUsageEvent } from './attempt-usage-row.js';
import { AttemptUsageRepository } from './attempt-usage.repository.js';

/** Stores a batch of `attempt-usage` events (one insert, idempotent by attempt id; poison → dead letters). */
@Injectable()
export class AttemptUsageIngestService {
  private readonly logger = new Logger('AttemptUsageIngest');
  readonly consumerName = durableConsumers.meteringAttemptUsage;

  constructor(
    private readonly generations: GenerationsRepository,
    private readonly attemptUsage: AttemptUsageRepository,
    private readonly deadLetters: DeadLettersRepository,
  ) {}

  async storeBatch(messages: ReadonlyArray<InboundMessage>): Promise<BatchOutcome> {
    const accepted: Array<{ row: AttemptUsageRow; message: InboundMessage }> = [];
    const letters: DeadLetter[] = [];
    for (const message of messages) {
      const payload = parseJsonPayload(message.data);
      const mapped = payload.ok ? mapAttemptUsageEvent(payload.value) : payload;
      if (mapped.ok) accepted.push({ row: mapped.value, message });
      else letters.push(deadLetter(this.consumerName, message, mapped.reason));
    }
    try {
      return await this.write(accepted.map((entry) => entry.row), letters);
    } catch (error) {
      if (!isDataError(error) || accepted.length === 0) throw error;
      this.logger.warn(`batch of ${messages.length} rejected by Postgres (${describeDatabaseError(error)}); storing its events one by one`);
      const total: BatchOutcome = { stored: 0, duplicates: 0, deadLettered: 0 };
      const rejected = [...letters];
      for (const entry of accepted) {
        try {
          const outcome = await this.write([entry.row], []);
          total.stored += outcome.stored;
          total.duplicates += outcome.duplicates;
        } catch (rowError) {
          if (!isDataError(rowError)) throw rowError;
          rejected.push(deadLetter(this.consumerName, entry.message, `rejected by Postgres: ${describeDatabaseError(rowError)}`));
        }
      }
      const outcome = await this.write([], rejected);
      return { ...total, deadLettered: outcome.deadLettered };
    }
  }

  private async write(rows: AttemptUsageRow[], letters: DeadLetter[]): Promise<BatchOutcome> {
    if (rows.length === 0 && letters.length === 0) return { stored: 0, duplicates: 0, deadLettered: 0 };
    const outcome = await this.generations.transaction(async (transaction) => {
      const stored = await this.attemptUsage.insert(transaction, rows);
      await this.deadLetters.insert(transaction, letters);
      return { stored, duplicates: rows.length - stored, deadLettered: letters.length };
    });
    for (const letter of letters) this.logger.warn(`dead-lettered ${letter.subject} #${letter.streamSequence}: ${letter.reason}`);
    return outcome;
  }
}
