import { Controller, Get, Param, Query } from '@nestjs/common';
import { BadRequestError, NotFoundError } from '@switchyard/contracts';
import { AdminOnly } from '@switchyard/nest-kit';
import { z } from 'zod';
import { parseParameters } from '../common/query-validation.js';
import { toAdminGeneration } from './generation-view.js';
import { GenerationsRepository } from './generations.repository.js';

const identifier = z.string().min(1).max(256);

export const listGenerationsQuerySchema = z
  .object({
    account_id: identifier.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    /** The id of the last generation of the previous page. */
    before: identifier.optional(),
  })
  .strict();

/** Admin: the generation log. */
@Controller('admin/generations')
@AdminOnly()
export class GenerationsController {
  constructor(private readonly generations: GenerationsRepository) {}

  /** `GET /admin/generations?account_id=&limit=&before=`: newest first; `next_before` fetches the next page. */
  @Get()
  async list(@Query() query: unknown): Promise<{ data: Array<Record<string, unknown>>; next_before: string | null }> {
    const { account_id: accountId, limit, before } = parseParameters(listGenerationsQuerySchema, query);
    if (before && !(await this.generations.exists(before))) throw new BadRequestError('Invalid query parameters: before: no generation has this id', { before });
    const rows = await this.generations.list({ accountId, limit, beforeId: before });
    return { data: rows.map((row) => toAdminGeneration(row)), next_before: rows.length === limit ? rows[rows.length - 1]!.id : null };
  }

  /** `GET /admin/generations/:id`: every stored field, with the opted-in content when there is some, and the account's feedback. */
  @Get(':id')
  async get(@Param() parameters: unknown): Promise<{ data: Record<string, unknown> }> {
    const { id } = parseParameters(z.object({ id: identifier }), parameters, 'path parameters');
    const found = await this.generations.findWithContent(id);
    if (!found) throw new NotFoundError('Generation not found', { id });
    const feedback = await this.generations.feedbackOf(id);
    return { data: { ...toAdminGeneration(found.generation, found.content), feedback: feedback.map((entry) => ({ category: entry.category, comment: entry.comment, created_at: new Date(entry.created_at).toISOString() })) } };
  }
}
