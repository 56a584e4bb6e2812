import { Injectable, Logger } from '@nestjs/common';
import { durableConsumers } from '@switchyard/contracts';
import { describeDatabaseError, isDataError } from '../common/database-errors.js';
import { type DeadLetter, deadLetter } from '../dead-letters/dead-letter.js';
import { DeadLettersRepository } from '../dead-letters/dead-letters.repository.js';
import type { BatchOutcome, InboundMessage } from '../ingestion/inbound-message.js';
import { type GenerationRow, mapGenerationEvent, parseJsonPayload } from './generation-row.js';
import { GenerationsRepository } from './generations.repository.js';

interface Accepted {
  row: GenerationRow;
  message: InboundMessage;
}

/**
 * Stores a batch of `generation-completed` events in one transaction: one multi-row insert (idempotent by
 * generation id), aggregates of the rows actually inserted, and dead letters for poison events — which are then
 * acked with the batch instead of blocking it forever. Only a transient failure (database unreachable, deadlock)
 * throws, so the whole batch is redelivered.
 */
@Injectable()
export class GenerationIngestService {
  private readonly logger = new Logger('GenerationIngest');
  readonly consumerName = durableConsumers.meteringGenerations;

  constructor(
    private readonly generations: GenerationsRepository,
    private readonly deadLetters: DeadLettersRepository,
  ) {}

  async storeBatch(messages: ReadonlyArray<InboundMessage>): Promise<BatchOutcome> {
    const accepted: Accepted[] = [];
    const letters: DeadLetter[] = [];
    for (const message of messages) {
      const payload = parseJsonPayload(message.data);
      const mapped = payload.ok ? mapGenerationEvent(payload.value) : payload;
      if (mapped.ok) accepted.push({ row: mapped.value, message });
      else letters.push(deadLetter(this.consumerName, message, mapped.reason));
    }
    try {
      const outcome = await this.write(accepted.map((entry) => entry.row), letters);
      this.logDeadLetters(letters);
      return outcome;
    } catch (error) {
      if (!isDataError(error) || accepted.length === 0) throw error;
      this.logger.warn(`batch of ${messages.length} rejected by Postgres (${describeDatabaseError(error)}); storing its events one by one`);
      return this.writeOneByOne(accepted, letters);
    }
  }

  private write(rows: GenerationRow[], letters: DeadLetter[]): Promise<BatchOutcome> {
    if (rows.length === 0 && letters.length === 0) return Promise.resolve({ stored: 0, duplicates: 0, deadLettered: 0 });
    return this.generations.transaction(async (transaction) => {
      await this.generations.lockForBatchWrite(transaction);
      const outcome = await this.generations.insertGenerations(transaction, rows, { supersedePlaceholders: true });
      await this.deadLetters.insert(transaction, letters);
      if (outcome.superseded > 0) this.logger.log(`${outcome.superseded} reconciled placeholder(s) replaced by their generation-completed event`);
      return { stored: outcome.inserted, duplicates: rows.length - outcome.inserted, deadLettered: letters.length };
    });
  }

  /** The slow path after a data error: each event in its own transaction; the ones Postgres rejects are dead-lettered. */
  private async writeOneByOne(accepted: Accepted[], letters: DeadLetter[]): Promise<BatchOutcome> {
    const total: BatchOutcome = { stored: 0, duplicates: 0, deadLettered: 0 };
    const rejected: DeadLetter[] = [...letters];
    for (const entry of accepted) {
      try {
        const outcome = await this.write([entry.row], []);
        total.stored += outcome.stored;
        total.duplicates += outcome.duplicates;
      } catch (error) {
        if (!isDataError(error)) throw error;
        rejected.push(deadLetter(this.consumerName, entry.message, `rejected by Postgres: ${describeDatabaseError(error)}`));
      }
    }
    const outcome = await this.write([], rejected);
    this.logDeadLetters(rejected);
    return { ...total, deadLettered: outcome.deadLettered };
  }

  private logDeadLetters(letters: DeadLetter[]): void {
    for (const letter of letters) this.logger.warn(`dead-lettered ${letter.subject} #${letter.streamSequence}: ${letter.reason}`);
  }
}
