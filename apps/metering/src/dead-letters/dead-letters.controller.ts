import { Controller, Get, Query } from '@nestjs/common';
import { AdminOnly } from '@switchyard/nest-kit';
import { z } from 'zod';
import { parseParameters } from '../common/query-validation.js';
import { DeadLettersRepository } from './dead-letters.repository.js';

export const listDeadLettersQuerySchema = z
  .object({
    consumer: z.string().min(1).max(256).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    before: z.string().regex(/^\d{1,18}$/, 'a dead-letter id').optional(),
  })
  .strict();

/** Admin: events that could not be stored, with the reason and the exact payload (for replay after a fix). */
@Controller('admin/dead-letters')
@AdminOnly()
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLettersRepository) {}

  /** `GET /admin/dead-letters?consumer=&limit=&before=`: newest first. */
  @Get()
  async list(@Query() query: unknown): Promise<{ data: Array<Record<string, unknown>>; next_before: string | null }> {
    const { consumer, limit, before } = parseParameters(listDeadLettersQuerySchema, query);
    const rows = await this.deadLetters.list({ consumer, limit, beforeId: before });
    return {
      data: rows.map((row) => ({
        id: row.id,
        consumer: row.consumer,
        subject: row.subject,
        stream_sequence: Number(row.stream_sequence),
        reason: row.reason,
        received_at: row.received_at.toISOString(),
        payload_base64: row.payload.toString('base64'),
      })),
      next_before: rows.length === limit ? rows[rows.length - 1]!.id : null,
    };
  }
}
